package core

import (
	"context"

	"github.com/shopspring/decimal"
)

// StatsSnapshot is the shop's state as the database sees it, for metrics and
// the admin /stats screen. Every instance reads the same numbers.
type StatsSnapshot struct {
	SMSOrdersByStatus        map[string]int64
	AccountOrders            int64
	AccountItemsSold         int64
	WalletBalances           decimal.Decimal // what customers hold
	Sales                    decimal.Decimal // purchases net of refunds (the sales account)
	Refunds                  decimal.Decimal // everything ever refunded
	TopUps                   decimal.Decimal // everything ever credited from outside
	WebhookDeliveriesByState map[string]int64
	OldestLiveOrderSeconds   float64 // age of the oldest order waiting for an SMS (0: none)
}

// StatsStore reads a StatsSnapshot.
type StatsStore interface {
	StatsSnapshot(ctx context.Context) (StatsSnapshot, error)
}
