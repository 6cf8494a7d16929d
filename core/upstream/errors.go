package upstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// Protocol words, matched with errors.Is. The error returned by a method
// wraps one of these and names the action and the exact token the provider
// sent, so logs stay specific while callers branch on a small vocabulary.
var (
	// ErrNoNumbers: no stock for the service and country (NO_NUMBERS).
	ErrNoNumbers = errors.New("no numbers available")
	// ErrNoBalance: the upstream account cannot pay (NO_BALANCE, NO_MONEY).
	ErrNoBalance = errors.New("insufficient upstream balance")
	// ErrBadKey: the API key was refused (BAD_KEY, HTTP 401).
	ErrBadKey = errors.New("api key refused")
	// ErrNoKey: the provider saw no API key (NO_KEY).
	ErrNoKey = errors.New("api key missing")
	// ErrBadService: unknown or unavailable service (BAD_SERVICE,
	// WRONG_SERVICE, UNPROCESSABLE_ENTITY:service:…).
	ErrBadService = errors.New("unknown service")
	// ErrBadAction: the provider does not support the action (BAD_ACTION).
	ErrBadAction = errors.New("unsupported action")
	// ErrNoActivation: no such activation (NO_ACTIVATION, HeroSMS 404 NOT_FOUND).
	ErrNoActivation = errors.New("no such activation")
	// ErrWrongActivationID: the id is malformed (WRONG_ACTIVATION_ID).
	ErrWrongActivationID = errors.New("malformed activation id")
	// ErrBadStatus: the status change is not allowed now, e.g. cancelling
	// after a code arrived (BAD_STATUS, HeroSMS OTP_RECEIVED…).
	ErrBadStatus = errors.New("status change refused")
	// ErrEarlyCancelDenied: cancel refused inside the provider's early-cancel
	// window; retry later (EARLY_CANCEL_DENIED).
	ErrEarlyCancelDenied = errors.New("early cancel denied")
	// ErrWrongMaxPrice: maxPrice is below the current price; the error is a
	// *WrongMaxPriceError carrying the minimum (WRONG_MAX_PRICE:<min>).
	ErrWrongMaxPrice = errors.New("max price too low")
	// ErrBanned: the upstream account is blocked (BANNED:<until>,
	// CHANNELS_LIMIT, ACCOUNT_INACTIVE).
	ErrBanned = errors.New("upstream account blocked")
	// ErrRateLimited: too many requests (HTTP 429, RATE_LIMIT).
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: the provider failed internally (ERROR_SQL, HTTP 5xx). The
	// request may have taken effect: see IsOutcomeUnknown.
	ErrServer = errors.New("upstream server error")
	// ErrBadRequest: the provider rejected a parameter for a reason the words
	// above do not cover (WRONG_EXCEPTION_PHONE, ORDER_ALREADY_EXISTS,
	// HeroSMS 422, {"status":"false","msg":…}).
	ErrBadRequest = errors.New("request rejected")
)

// WrongMaxPriceError is the WRONG_MAX_PRICE:<min> answer to getNumber. It
// matches ErrWrongMaxPrice with errors.Is.
type WrongMaxPriceError struct {
	// Min is the lowest price the provider accepts now; zero when the
	// provider did not say (DaisySMS MAX_PRICE_EXCEEDED).
	Min decimal.Decimal
}

// Error implements error.
func (e *WrongMaxPriceError) Error() string {
	if e.Min.IsZero() {
		return ErrWrongMaxPrice.Error()
	}
	return fmt.Sprintf("%s (minimum %s)", ErrWrongMaxPrice, e.Min)
}

// Is reports whether target is ErrWrongMaxPrice.
func (e *WrongMaxPriceError) Is(target error) bool { return target == ErrWrongMaxPrice }

// ProtocolError is an answer this package cannot read: an HTML page, broken
// or truncated JSON, an empty body, an unknown token, a non-2xx status
// without a known error. It never carries the API key.
type ProtocolError struct {
	// Action is the protocol action that was called.
	Action string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Snippet is the start of the body (at most 64 bytes), with control
	// characters and invalid UTF-8 replaced and the API key redacted.
	Snippet string
	// Reason says what was wrong, redacted like Snippet.
	Reason string
}

// Error implements error.
func (e *ProtocolError) Error() string {
	msg := fmt.Sprintf("upstream %s: unreadable answer (HTTP %d)", e.Action, e.StatusCode)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return fmt.Sprintf("%s: %q", msg, e.Snippet)
}

// OutcomeUnknown reports whether the provider may have acted on the request.
// A 2xx answer we cannot read might still be a success (a number bought), so
// it counts as unknown; a 4xx page means the request was turned away.
func (e *ProtocolError) OutcomeUnknown() bool {
	return e.StatusCode < 300 || e.StatusCode >= 500
}

// TransportError is a failed exchange: connection refused, reset, timeout,
// a body cut short, or an HTTP 5xx without a protocol word (then it wraps
// ErrServer). Err never contains the API key: URLs are redacted.
type TransportError struct {
	// Action is the protocol action that was called.
	Action string
	// StatusCode is the HTTP status when an answer arrived (5xx), else 0.
	StatusCode int
	// RequestSent is true once the request was written to the connection,
	// so the provider may have received it.
	RequestSent bool
	// Err is the cause, redacted.
	Err error
}

// Error implements error.
func (e *TransportError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("upstream %s: HTTP %d: %v", e.Action, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("upstream %s: transport: %v", e.Action, e.Err)
}

// Unwrap returns the cause, so errors.Is(err, context.DeadlineExceeded) and
// errors.Is(err, ErrServer) work.
func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the exchange ran out of time.
func (e *TransportError) Timeout() bool {
	var t interface{ Timeout() bool }
	if errors.As(e.Err, &t) && t.Timeout() {
		return true
	}
	return errors.Is(e.Err, context.DeadlineExceeded)
}

// OutcomeUnknown reports whether the provider may have acted on the request:
// it was sent (a timeout or reset after writing it) or answered with a 5xx.
// A refused connection or a failed DNS lookup is known not to have arrived.
func (e *TransportError) OutcomeUnknown() bool {
	return e.RequestSent || e.StatusCode >= 500
}

// IsOutcomeUnknown reports whether a failed call may nevertheless have taken
// effect upstream. The engine's two-phase order placement must not refund
// on such an error before it has checked upstream (getActiveActivations)
// for an orphan activation. It is true for a *TransportError after the
// request was sent, for HTTP 5xx and ERROR_SQL (ErrServer), and for an
// unreadable 2xx answer (*ProtocolError); false for nil, for protocol words
// such as ErrNoNumbers, and for failures before the request left.
func IsOutcomeUnknown(err error) bool {
	if err == nil {
		return false
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.OutcomeUnknown()
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.OutcomeUnknown()
	}
	return errors.Is(err, ErrServer)
}
