package bot

import (
	"errors"

	"accgen/core"
)

// errorKeys is the one table from engine error codes to what the user is
// told. Internal errors are logged once, here at the boundary, and the user
// only hears that something went wrong.
var errorKeys = map[core.Code]string{
	core.CodeInvalid:             "error.invalid",
	core.CodeUnauthorized:        "error.forbidden",
	core.CodeForbidden:           "error.forbidden",
	core.CodeNotFound:            "error.not_found",
	core.CodeConflict:            "error.conflict",
	core.CodeInsufficientFunds:   "error.insufficient_funds",
	core.CodeInsufficientStock:   "error.no_stock",
	core.CodeRateLimited:         "error.rate_limited",
	core.CodeUpstreamUnavailable: "error.upstream",
	core.CodeInternal:            "error.internal",
}

// detailed codes carry an engine message specific enough to help (which
// field is wrong, which state an order is in). Engine messages are English,
// so they are shown to English speakers and to admins, who work in English.
var detailed = map[core.Code]bool{core.CodeInvalid: true, core.CodeConflict: true}

// errorText renders err for the user of r.
func (r *req) errorText(err error) string {
	if errors.Is(err, errSessions) {
		return r.p.t("error.retry")
	}
	code := core.ErrorCode(err)
	key, ok := errorKeys[code]
	if !ok {
		key, code = "error.internal", core.CodeInternal
	}
	if code == core.CodeInternal {
		r.b.logger.ErrorContext(r.ctx, "bot request failed", "user", r.user.ID, "update", r.upd.ID, "err", err)
	}
	text := r.p.t(key)
	if detailed[code] && (r.p.Lang() == "en" || r.admin) {
		text += "\n<i>" + esc(core.ErrorMessage(err)) + "</i>"
	}
	return text
}
