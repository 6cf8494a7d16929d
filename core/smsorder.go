package core

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// SMSStatus is an SMS order's state.
type SMSStatus string

// SMS order statuses. Placing is internal: the order is charged and its
// number is being bought; clients see it as pending.
const (
	SMSPlacing   SMSStatus = "placing"
	SMSPending   SMSStatus = "pending"
	SMSCompleted SMSStatus = "completed"
	SMSCancelled SMSStatus = "cancelled"
	SMSExpired   SMSStatus = "expired"
	SMSFailed    SMSStatus = "failed"
)

// Public is the status shown to clients.
func (s SMSStatus) Public() string {
	if s == SMSPlacing {
		return string(SMSPending)
	}
	return string(s)
}

// Refunded reports a final status whose charge was returned.
func (s SMSStatus) Refunded() bool { return s == SMSCancelled || s == SMSExpired || s == SMSFailed }

// OrderSource says which front end placed an order.
type OrderSource string

// Order sources.
const (
	SourceAPI  OrderSource = "api"
	SourceStub OrderSource = "stub"
	SourceBot  OrderSource = "bot"
)

// SMSOrder is a rented number and what it received.
type SMSOrder struct {
	ID              string
	ShortID         int64
	UserID          int64
	APIKeyID        int64 // 0 for bot orders
	Source          OrderSource
	ServiceID       string
	ServiceName     string
	CountryID       int
	CountryName     string
	Price           decimal.Decimal
	UpstreamCost    decimal.Decimal
	Status          SMSStatus
	ChargeReference string
	UpstreamID      string
	Phone           string // digits only, with the country calling code
	Code            string // the latest code
	Text            string // the latest SMS text
	AwaitingAnother bool   // another SMS was requested and has not come yet
	FailureReason   string
	CreatedAt       time.Time
	ExpiresAt       *time.Time
	ReceivedAt      *time.Time
	FinishedAt      *time.Time
	ClosedAt        *time.Time
	TelegramChatID  int64
	IdempotencyKey  string
	Fingerprint     string
	MessageCount    int // SMS received so far (filled by PendingSMSOrders)
}

// E164 is the phone number with a leading +, or "" before one is issued.
func (o SMSOrder) E164() string {
	if o.Phone == "" {
		return ""
	}
	return "+" + o.Phone
}

// SMSMessage is one SMS received for an order.
type SMSMessage struct {
	Seq        int
	Code       string
	Text       string
	ReceivedAt time.Time
}

// SMSOrderFilter selects orders for a list.
type SMSOrderFilter struct {
	UserID   int64
	APIKeyID int64 // 0: every order of the user
	Limit    int
	Offset   int
}

// Errors the SMS store reports so the engine can react.
var (
	// ErrShortIDTaken: the generated short id collided; generate another.
	ErrShortIDTaken = errors.New("short id taken")
	// ErrOutcomeUnknown: the database did not answer a commit, so the
	// writes may or may not have been made; they must not be made again.
	ErrOutcomeUnknown = errors.New("the database did not confirm the commit")
	// ErrIdempotencyKeyTaken: another order already holds the idempotency key.
	ErrIdempotencyKeyTaken = errors.New("idempotency key taken")
)

// NewSMSOrder is an order about to be placed and the charge that pays for it.
type NewSMSOrder struct {
	Order  SMSOrder
	Charge Posting
}

// IssuedNumber is a number bought upstream for a placing order.
type IssuedNumber struct {
	OrderID   string
	Number    ProviderNumber
	ExpiresAt time.Time
}

// LiveActivation is a pending order and its upstream activation.
type LiveActivation struct {
	OrderID    string
	UpstreamID string
}

// SMSStore persists SMS orders. Every state change is guarded by the states
// it may leave, and reports CodeConflict (with the order's current state)
// when the order is no longer in one of them.
type SMSStore interface {
	// CreateSMSOrders records new placing orders and posts their charges,
	// all in one transaction: if any is refused nothing is written. A
	// collision is ErrShortIDTaken or ErrIdempotencyKeyTaken; a refused
	// charge is the ledger's error (insufficient funds).
	CreateSMSOrders(ctx context.Context, orders []NewSMSOrder) error
	SMSOrderByID(ctx context.Context, id string) (SMSOrder, error)
	SMSOrderByShortID(ctx context.Context, shortID int64) (SMSOrder, error)
	SMSOrderByIdempotencyKey(ctx context.Context, apiKeyID int64, key string) (SMSOrder, error)
	ListSMSOrders(ctx context.Context, f SMSOrderFilter) ([]SMSOrder, int, error)
	SMSMessages(ctx context.Context, orderID string) ([]SMSMessage, error)

	// IssueSMSNumbers records bought numbers, placing → pending, in one
	// transaction, and returns the orders that moved: one missing from the
	// result was no longer placing.
	IssueSMSNumbers(ctx context.Context, numbers []IssuedNumber) ([]SMSOrder, error)
	// FailSMSOrder: placing → failed.
	FailSMSOrder(ctx context.Context, id, reason string) (SMSOrder, error)
	// RecordSMS stores message seq and makes the order completed, when it
	// is pending and does not have that message yet.
	RecordSMS(ctx context.Context, id string, seq int, code, text string, at time.Time) (SMSOrder, error)
	// CancelSMSOrder: pending (or unfinished completed when allowCompleted)
	// → cancelled, with the upstream cancel due now.
	CancelSMSOrder(ctx context.Context, id string, allowCompleted bool) (SMSOrder, error)
	// RequestAnotherSMS: unfinished, unexpired completed → pending, awaiting another.
	RequestAnotherSMS(ctx context.Context, id string, now time.Time) (SMSOrder, error)
	// FinishSMSOrder: completed → completed and finished.
	FinishSMSOrder(ctx context.Context, id string) (SMSOrder, error)
	// ExpireSMSOrders closes up to limit pending orders past their expiry:
	// those that never got a code become expired (and are returned for
	// refund); those waiting for another SMS go back to completed.
	ExpireSMSOrders(ctx context.Context, now time.Time, limit int) ([]SMSOrder, error)
	// StalePlacingSMSOrders lists orders stuck placing since before.
	StalePlacingSMSOrders(ctx context.Context, before time.Time, limit int) ([]SMSOrder, error)
	// LiveSMSActivations lists up to limit pending orders' upstream ids:
	// what a poll tick compares with upstream's list, kept small because it
	// runs every tick over every live order.
	LiveSMSActivations(ctx context.Context, limit int) ([]LiveActivation, error)
	// PendingSMSOrders returns those of ids still pending, with MessageCount.
	PendingSMSOrders(ctx context.Context, ids []string) ([]SMSOrder, error)
	// SetSMSOrderExpiry moves a pending order's expiry (upstream closed it).
	SetSMSOrderExpiry(ctx context.Context, id string, at time.Time) error
	// DueUpstreamCancels lists orders whose upstream cancel is due.
	DueUpstreamCancels(ctx context.Context, now time.Time, limit int) ([]SMSOrder, error)
	// SetUpstreamCancelDue reschedules (or, with nil, clears) an upstream cancel.
	SetUpstreamCancelDue(ctx context.Context, id string, due *time.Time) error
	// UnownedActivations returns those of ids that no order owns.
	UnownedActivations(ctx context.Context, ids []string) ([]string, error)
	// NoteOrphan records an unowned activation (first sighting kept) and
	// returns when it was first seen and whether it is already cancelled.
	NoteOrphan(ctx context.Context, upstreamID string, now time.Time) (firstSeen time.Time, cancelled bool, err error)
	// ResolveOrphan records the outcome of cancelling an orphan.
	ResolveOrphan(ctx context.Context, upstreamID string, cancelled bool, errText string) error
}

// newShortID returns a random 8-digit id whose first digit is 1–9, and a
// UUID that starts with those digits: strict SMS-Activate clients parse
// activation ids as integers, and the short id is the UUID's prefix.
func newShortID() (int64, string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, "", err
	}
	short := int64(binary.BigEndian.Uint32(b[:4])%90_000_000) + 10_000_000
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	id := fmt.Sprintf("%08d-%x-%x-%x-%x", short, b[4:6], b[6:8], b[8:10], b[10:16])
	return short, id, nil
}
