package upstream

import (
	"strings"

	"github.com/shopspring/decimal"
)

// tokenErrors maps the error words of SMS-Activate and its clones (bare
// tokens, HeroSMS envelope titles, {"status":"error"} values) to sentinels.
// It is the single table for upstream text → error; parameterised words
// (BANNED:<until>) are looked up by the part before the first colon.
var tokenErrors = map[string]error{
	"NO_NUMBERS":                     ErrNoNumbers,
	"NO_BALANCE":                     ErrNoBalance,
	"NO_MONEY":                       ErrNoBalance, // DaisySMS
	"NO_BALANCE_FORWARD":             ErrNoBalance,
	"BAD_KEY":                        ErrBadKey,
	"NO_KEY":                         ErrNoKey,
	"BAD_SERVICE":                    ErrBadService,
	"WRONG_SERVICE":                  ErrBadService, // SMSHub, SMSBower
	"SERVICE_NOT_AVAILABLE":          ErrBadService, // HeroSMS 403
	"SERVICE_UNAVAILABLE_REGION":     ErrBadService, // Grizzly
	"BAD_ACTION":                     ErrBadAction,
	"NO_ACTIVATION":                  ErrNoActivation,
	"NOT_FOUND":                      ErrNoActivation, // HeroSMS 404
	"WRONG_ACTIVATION_ID":            ErrWrongActivationID,
	"INVALID_ACTIVATION_ID":          ErrWrongActivationID,
	"BAD_STATUS":                     ErrBadStatus,
	"OTP_RECEIVED":                   ErrBadStatus, // HeroSMS 409: cancel after a code
	"NEW_OTP_RECEIVED":               ErrBadStatus, // HeroSMS 409
	"ACTIVATION_NOT_ACTIVE":          ErrBadStatus, // HeroSMS 409: already over
	"FREE_CANCELLATION_EXPIRED":      ErrBadStatus, // HeroSMS 409
	"EARLY_CANCEL_DENIED":            ErrEarlyCancelDenied,
	"BANNED":                         ErrBanned,
	"CHANNELS_LIMIT":                 ErrBanned,      // SA doc: "account blocked"
	"ACCOUNT_INACTIVE":               ErrBanned,      // HeroSMS 403
	"RATE_LIMIT":                     ErrRateLimited, // HeroSMS 429
	"RATE_LIMITED":                   ErrRateLimited,
	"TOO_MANY_REQUESTS":              ErrRateLimited,
	"TOO_MANY_ACTIVE_RENTALS":        ErrRateLimited, // DaisySMS: 20 active
	"ERROR_SQL":                      ErrServer,
	"SQL_ERROR":                      ErrServer,
	"WRONG_EXCEPTION_PHONE":          ErrBadRequest,
	"ORDER_ALREADY_EXISTS":           ErrBadRequest,
	"UNPROCESSABLE_ENTITY":           ErrBadRequest, // refined by field below
	"VALIDATION_ERROR":               ErrBadRequest,
	"RENEW_ACTIVATION_NOT_AVAILABLE": ErrBadRequest,
}

// errorFromToken returns the error for a protocol error word, or nil when
// head is not one. rest is what followed the first colon.
func errorFromToken(head, rest string) error {
	switch head {
	case "WRONG_MAX_PRICE":
		floor, err := decimal.NewFromString(strings.TrimSpace(rest))
		if err != nil {
			floor = decimal.Zero // still a refusal; the minimum is just unknown
		}
		return &WrongMaxPriceError{Min: floor}
	case "MAX_PRICE_EXCEEDED": // DaisySMS: over max_price, minimum not given
		return &WrongMaxPriceError{}
	case "UNPROCESSABLE_ENTITY": // HeroSMS: UNPROCESSABLE_ENTITY:service:INVALID
		if field, _, _ := strings.Cut(rest, ":"); strings.EqualFold(field, "service") {
			return ErrBadService
		}
	}
	return tokenErrors[head]
}

// splitToken splits a bare answer "HEAD:rest" at the first colon. ok is false
// when the head is not an upper-case protocol word, so an HTML page or JSON
// is never mistaken for a token.
func splitToken(body string) (head, rest string, ok bool) {
	head, rest, _ = strings.Cut(body, ":")
	if head == "" || len(head) > 64 {
		return "", "", false
	}
	for i := 0; i < len(head); i++ {
		c := head[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return "", "", false
		}
	}
	return head, rest, true
}

// trimBody strips the whitespace and byte-order mark some providers add
// around a token.
func trimBody(body []byte) string {
	return strings.TrimSpace(strings.TrimPrefix(string(body), "\uFEFF"))
}
