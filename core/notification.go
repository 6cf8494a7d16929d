package core

import (
	"time"

	"github.com/shopspring/decimal"
)

// Durable Telegram messages. The bot never sends a message that must not be
// lost (a code, an expiry, a top-up, a broadcast) straight from the code
// path that causes it: it writes a Notification row in the same database
// transaction, and a worker delivers the row. These are the records the bot
// and its store exchange; the bot decides what they say.

// Notification states.
const (
	NotificationPending = "pending"
	NotificationSent    = "sent"
	NotificationBlocked = "blocked" // the user blocked the bot; not retried
	NotificationFailed  = "failed"  // every retry used up
)

// Notification is one message queued for a Telegram chat.
type Notification struct {
	ID     int64
	UserID int64
	ChatID int64
	// Kind names the message (for example "sms_code"); Payload is its
	// JSON-encoded data, rendered in the user's language when sent.
	Kind    string
	Payload []byte
	// DedupeKey, when set, makes enqueueing the same event twice a no-op.
	DedupeKey   string
	BroadcastID int64 // set for broadcast messages
	Attempts    int
	// Language is the user's chosen language, else Telegram's (filled when
	// claimed).
	Language string
	// Blocked is filled when claimed: the user has blocked the bot.
	Blocked bool
}

// Broadcast is an admin's message to every user who has not blocked the bot.
type Broadcast struct {
	ID int64
	// Reference makes creating a broadcast idempotent (the admin's chat and
	// message ids).
	Reference         string
	AdminChatID       int64
	ProgressMessageID int
	Text              string
	CreatedAt         time.Time
	FinishedAt        *time.Time
}

// BroadcastProgress counts a broadcast's messages by state.
type BroadcastProgress struct {
	Total, Sent, Blocked, Failed, Pending int
}

// Done reports whether every message reached a final state.
func (p BroadcastProgress) Done() bool { return p.Pending == 0 }

// SalesStats sums what was sold since a moment (orders that were refunded
// are left out).
type SalesStats struct {
	SMSOrders      int
	SMSRevenue     decimal.Decimal
	SMSCost        decimal.Decimal // upstream cost in the provider's currency
	AccountOrders  int
	AccountItems   int
	AccountRevenue decimal.Decimal
	TopUps         decimal.Decimal
	NewUsers       int
}

// UserSummary is what an admin sees about a customer.
type UserSummary struct {
	SMSOrders     int
	AccountOrders int
	ActiveKeys    int
}

// OrderRef says which order an admin named and who owns it.
type OrderRef struct {
	Kind   string // "sms" or "account"
	ID     string // the order's UUID
	UserID int64
}
