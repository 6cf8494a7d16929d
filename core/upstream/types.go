package upstream

import (
	"time"

	"github.com/shopspring/decimal"
)

// Price is one offer in a getPrices answer, in the provider's currency.
type Price struct {
	// Cost is the price of one activation.
	Cost decimal.Decimal
	// Count is the number of numbers in stock (physicalCount when the
	// provider sends no count).
	Count int
}

// Prices maps country id → service code → offer.
type Prices map[int]map[string]Price

// Country is one entry of getCountries.
type Country struct {
	// ID is the provider's numeric country id (187 USA, 16 UK, 19 Nigeria…).
	ID int
	// Name is the English name ("eng").
	Name string
}

// Service is one entry of getServicesList.
type Service struct {
	// Code is the provider's service code ("wa", "tg"…).
	Code string
	// Name is the display name, trimmed.
	Name string
}

// NumberRequest describes the number to buy with GetNumber.
type NumberRequest struct {
	// Service is the service code, required.
	Service string
	// Country is the provider's country id; 0 is Russia, not "any".
	Country int
	// MaxPrice, when set, is sent as maxPrice: the provider refuses with a
	// *WrongMaxPriceError when its current price is higher.
	MaxPrice *decimal.Decimal
}

// Number is a bought activation.
type Number struct {
	// ActivationID is the provider's id, digits only.
	ActivationID string
	// Phone is the number, digits only, with the country calling code and
	// without "+".
	Phone string
	// Cost is what the provider charged, zero when the answer did not say
	// (plain getNumber without an X-Price header) or said it unreadably:
	// a bought number is never dropped over its cost field.
	Cost decimal.Decimal
}

// StatusState is the state of an activation as getStatus reports it.
type StatusState string

// The states getStatus and getStatusV2 can report.
const (
	// StatusWaiting: no code yet (STATUS_WAIT_CODE).
	StatusWaiting StatusState = "waiting"
	// StatusWaitRetry: another code was requested with setStatus 3; Code
	// holds the previous one (STATUS_WAIT_RETRY:<old code>).
	StatusWaitRetry StatusState = "wait_retry"
	// StatusWaitResend: waiting for the SMS to be sent again (STATUS_WAIT_RESEND).
	StatusWaitResend StatusState = "wait_resend"
	// StatusReceived: a code arrived (STATUS_OK:<code>).
	StatusReceived StatusState = "received"
	// StatusCancelled: the activation is over, cancelled or completed
	// (STATUS_CANCEL); the protocol does not say which.
	StatusCancelled StatusState = "cancelled"
)

// Status is the answer of GetStatus and GetStatusV2.
type Status struct {
	// State is the activation's state.
	State StatusState
	// Code is the received code (StatusReceived) or the previous code
	// (StatusWaitRetry); empty otherwise, and also empty when getStatusV2
	// delivered a message whose code the provider did not extract (then
	// only Text is set).
	Code string
	// Text is the full SMS text when the provider sends it (getStatusV2 only).
	Text string
}

// SetStatus values accepted by the protocol.
const (
	// SetStatusReady tells the provider the SMS was requested (ACCESS_READY).
	SetStatusReady = 1
	// SetStatusRetry asks for another code on the same number (ACCESS_RETRY_GET).
	SetStatusRetry = 3
	// SetStatusFinish completes the activation (ACCESS_ACTIVATION).
	SetStatusFinish = 6
	// SetStatusCancel cancels the activation and refunds it (ACCESS_CANCEL).
	SetStatusCancel = 8
)

// Activation is one row of getActiveActivations.
type Activation struct {
	// ID is the activation id, digits only.
	ID string
	// Phone is the number, digits only.
	Phone string
	// Service is the service code.
	Service string
	// Country is the country id.
	Country int
	// Cost is what the activation cost.
	Cost decimal.Decimal
	// Status is the provider's activation status id as sent ("4" waiting,
	// "2" code received, "3" waiting for a resend…); providers differ, so it
	// is not interpreted here.
	Status string
	// Codes are the codes received so far, oldest first.
	Codes []string
	// Text is the SMS text, when sent.
	Text string
	// Time is when the activation was bought; zero when the provider's value
	// could not be parsed. Times without a zone are read as UTC.
	Time time.Time
}
