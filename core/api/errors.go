package api

import (
	"net/http"

	"accgen/core"
)

// errorStatus is the one table from core error codes to the seed's HTTP
// statuses and envelope codes. A conflict (a repeated idempotency key with
// another body, an order that can no longer be cancelled) is a validation
// failure of the request against the current state.
var errorStatus = map[core.Code]struct {
	status int
	code   string
}{
	core.CodeInvalid:             {http.StatusBadRequest, "VALIDATION_ERROR"},
	core.CodeConflict:            {http.StatusBadRequest, "VALIDATION_ERROR"},
	core.CodeUnauthorized:        {http.StatusUnauthorized, "UNAUTHORIZED"},
	core.CodeForbidden:           {http.StatusNotFound, "NOT_FOUND"}, // never confirm what exists
	core.CodeNotFound:            {http.StatusNotFound, "NOT_FOUND"},
	core.CodeInsufficientFunds:   {http.StatusPaymentRequired, "INSUFFICIENT_BALANCE"},
	core.CodeInsufficientStock:   {http.StatusServiceUnavailable, "INSUFFICIENT_STOCK"},
	core.CodeRateLimited:         {http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED"},
	core.CodeUpstreamUnavailable: {http.StatusInternalServerError, "INTERNAL_ERROR"},
	core.CodeInternal:            {http.StatusInternalServerError, "INTERNAL_ERROR"},
}

// writeError answers err in the envelope. Internal errors are logged here,
// once, with the request id; the client sees only a generic message.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := core.ErrorCode(err)
	e, ok := errorStatus[code]
	if !ok {
		e = errorStatus[core.CodeInternal]
	}
	if e.status >= 500 {
		h.logger.ErrorContext(r.Context(), "request failed", "err", err, "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r))
	}
	writeErrorStatus(w, e.status, e.code, core.ErrorMessage(err))
}
