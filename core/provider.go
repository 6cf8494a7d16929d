package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// Provider is the upstream SMS-Activate-compatible seller of numbers, as the
// engine needs it. core/upstream implements it over HTTP.
type Provider interface {
	// Catalog lists services, countries and the upstream price and stock of
	// every offered pair.
	Catalog(ctx context.Context) (ProviderCatalog, error)
	// BuyNumber rents a number. Errors are *ProviderError.
	BuyNumber(ctx context.Context, service string, country int) (ProviderNumber, error)
	// ActiveActivations lists every live activation in one request, or fails
	// with ProviderUnsupported when the provider has no such call.
	ActiveActivations(ctx context.Context) ([]ProviderActivation, error)
	// Status asks about one activation.
	Status(ctx context.Context, activationID string) (ProviderActivation, error)
	// Cancel releases an activation (ProviderEarlyCancel when it is too early,
	// ProviderGone when it no longer exists or is already closed).
	Cancel(ctx context.Context, activationID string) error
	// RequestAnother asks for one more SMS on the same number.
	RequestAnother(ctx context.Context, activationID string) error
	// Finish tells upstream the activation is complete.
	Finish(ctx context.Context, activationID string) error
	// Balance is our balance at the provider, in its currency.
	Balance(ctx context.Context) (decimal.Decimal, error)
}

// ProviderCatalog is what the provider sells.
type ProviderCatalog struct {
	Services  []Service
	Countries []Country
	Prices    []ProviderPrice
}

// ProviderPrice is the upstream cost (in the provider's currency) and stock
// of one service in one country.
type ProviderPrice struct {
	Service string
	Country int
	Cost    decimal.Decimal
	Count   int
}

// ProviderNumber is a freshly rented number.
type ProviderNumber struct {
	ActivationID string
	Phone        string // digits only, with the country calling code
	Cost         decimal.Decimal
}

// ProviderActivation is the state of one activation upstream.
type ProviderActivation struct {
	ID      string
	State   ProviderState
	Service string
	Country int
	Phone   string
	// Codes are every code received so far, oldest first (some providers
	// report only the latest).
	Codes []string
	Text  string // text of the latest SMS, when the provider gives it
}

// ProviderState is an activation's upstream state.
type ProviderState int

// Provider activation states.
const (
	ProviderWaiting   ProviderState = iota // waiting for the first SMS
	ProviderWaitRetry                      // waiting for another SMS after a code
	ProviderReceived                       // a code is there
	ProviderClosed                         // cancelled, finished or expired upstream
)

// ProviderErrorKind classifies provider failures by what the engine must do.
type ProviderErrorKind int

// Provider error kinds.
const (
	// ProviderRefused: the provider definitely did not do it (bad service,
	// our account has no balance there, banned, …).
	ProviderRefused ProviderErrorKind = iota
	// ProviderNoNumbers: out of stock for that service and country.
	ProviderNoNumbers
	// ProviderUncertain: the request may have reached the provider and
	// succeeded (timeout, reset, 5xx, garbage answer).
	ProviderUncertain
	// ProviderEarlyCancel: cancelling is not allowed yet; retry later.
	ProviderEarlyCancel
	// ProviderGone: the activation no longer exists or is already closed.
	ProviderGone
	// ProviderUnsupported: the provider has no such call.
	ProviderUnsupported
)

// ProviderError is a failure of a Provider call.
type ProviderError struct {
	Op   string
	Kind ProviderErrorKind
	Err  error
}

func (e *ProviderError) Error() string { return fmt.Sprintf("upstream %s: %v", e.Op, e.Err) }
func (e *ProviderError) Unwrap() error { return e.Err }

// ProviderErrorKindOf returns the kind of a provider failure; anything that
// is not a *ProviderError counts as uncertain.
func ProviderErrorKindOf(err error) ProviderErrorKind {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return ProviderUncertain
}
