package stub

import (
	"context"
	"errors"
	"strings"

	"accgen/core"
	"accgen/core/httpx"
)

// The protocol's error tokens (SMS-Activate's spelling).
const (
	tokenNoKey             = "NO_KEY"
	tokenBadKey            = "BAD_KEY"
	tokenBadAction         = "BAD_ACTION"
	tokenBadService        = "BAD_SERVICE"
	tokenNoNumbers         = "NO_NUMBERS"
	tokenNoBalance         = "NO_BALANCE"
	tokenNoActivation      = "NO_ACTIVATION"
	tokenWrongActivationID = "WRONG_ACTIVATION_ID"
	tokenBadStatus         = "BAD_STATUS"
	tokenErrorSQL          = "ERROR_SQL"
	tokenWrongMaxPrice     = "WRONG_MAX_PRICE" // WRONG_MAX_PRICE:<our price>
	tokenRateLimit         = "RATE_LIMIT"
	tokenNoActivations     = "NO_ACTIVATIONS"      // JSON envelope
	tokenOperatorsNotFound = "OPERATORS_NOT_FOUND" // JSON envelope
)

// codeTokens is the one table from engine error codes to tokens. An invalid
// request reaching the engine names an unknown service or country (the only
// fields the stub passes it), hence BAD_SERVICE; a state conflict is a
// setStatus the order's state refuses; another key's order is simply not
// there. Anything the client cannot fix is ERROR_SQL, SMS-Activate's only
// server-failure token, with the cause in our log alone.
var codeTokens = map[core.Code]string{
	core.CodeInvalid:             tokenBadService,
	core.CodeUnauthorized:        tokenBadKey,
	core.CodeForbidden:           tokenNoActivation,
	core.CodeNotFound:            tokenNoActivation,
	core.CodeConflict:            tokenBadStatus,
	core.CodeInsufficientFunds:   tokenNoBalance,
	core.CodeInsufficientStock:   tokenNoNumbers,
	core.CodeRateLimited:         tokenRateLimit,
	core.CodeUpstreamUnavailable: tokenErrorSQL,
	core.CodeInternal:            tokenErrorSQL,
}

// tokenError is a refusal decided by the stub itself (a malformed id, an
// unknown action); envelope answers it as SMS-Activate's JSON error object,
// which the protocol uses for a few JSON actions.
type tokenError struct {
	token    string
	envelope bool
}

func (e *tokenError) Error() string { return e.token }

var (
	errNoKey             = &tokenError{token: tokenNoKey}
	errBadAction         = &tokenError{token: tokenBadAction}
	errBadService        = &tokenError{token: tokenBadService}
	errBadStatus         = &tokenError{token: tokenBadStatus}
	errNoActivation      = &tokenError{token: tokenNoActivation}
	errWrongActivationID = &tokenError{token: tokenWrongActivationID}
	errNoActivations     = &tokenError{token: tokenNoActivations, envelope: true}
	errOperatorsNotFound = &tokenError{token: tokenOperatorsNotFound, envelope: true}
)

// errorReply answers err. Failures the client cannot fix are logged here,
// once, with the request id; the client only ever sees the token.
func (h *Handler) errorReply(ctx context.Context, action string, err error) reply {
	var te *tokenError
	if errors.As(err, &te) {
		if te.envelope {
			return failEnvelope(te.token)
		}
		return fail(te.token)
	}
	var above *core.PriceAboveMaxError
	if errors.As(err, &above) {
		return fail(tokenWrongMaxPrice + ":" + core.FormatNGN(above.Price))
	}
	code := core.ErrorCode(err)
	token, ok := codeTokens[code]
	if !ok {
		token = tokenErrorSQL
	}
	if token == tokenErrorSQL {
		h.logger.ErrorContext(ctx, "stub request failed", "action", action, "code", string(code), "err", err,
			"request_id", httpx.RequestID(ctx))
	}
	return fail(token)
}

// errorWords are the tokens clients look for by substring (the sms-activate
// npm client tests body.includes('NO_NUMBERS'), 'BANNED', …). A success body
// must never contain one, even inside an SMS text or a service name that came
// from upstream; see neutralize.
var errorWords = []string{
	tokenNoKey, tokenBadKey, tokenBadAction, tokenBadService, tokenNoNumbers, tokenNoBalance,
	tokenNoActivation, tokenWrongActivationID, tokenBadStatus, tokenErrorSQL, tokenWrongMaxPrice,
	tokenRateLimit, tokenOperatorsNotFound, "SQL_ERROR", "BANNED", "EARLY_CANCEL_DENIED", "CHANNELS_LIMIT",
	"WRONG_EXCEPTION_PHONE", "ORDER_ALREADY_EXISTS", "WRONG_SERVICE", "NO_MONEY",
}

// neutralize lowercases every error word in a success body. Only text from
// outside (SMS texts, catalog names) can contain one, and lowercasing keeps
// it readable while no case-sensitive substring test matches it any more;
// our own JSON keys and tokens never contain these words.
func neutralize(body string) string {
	for _, w := range errorWords {
		if strings.Contains(body, w) {
			body = strings.ReplaceAll(body, w, strings.ToLower(w))
		}
	}
	return body
}
