package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

// Read models for the bot's admin commands.

// FindOrder resolves an order an admin names: an 8-digit SMS short id, or a
// UUID of an SMS or account order.
func (db *DB) FindOrder(ctx context.Context, ref string) (core.OrderRef, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	notFound := core.Errorf(core.CodeNotFound, "No order %q.", ref)
	q := db.q(ctx)
	var out core.OrderRef
	var err error
	switch {
	case core.IsUUID(ref):
		out.Kind = "sms"
		err = q.QueryRow(ctx, `SELECT id::text, user_id FROM sms_orders WHERE id = $1`, ref).Scan(&out.ID, &out.UserID)
		if errors.Is(err, pgx.ErrNoRows) {
			out.Kind = "account"
			err = q.QueryRow(ctx, `SELECT id::text, user_id FROM account_orders WHERE id = $1`, ref).Scan(&out.ID, &out.UserID)
		}
	default:
		short, perr := strconv.ParseInt(ref, 10, 64)
		if perr != nil {
			return core.OrderRef{}, notFound
		}
		out.Kind = "sms"
		err = q.QueryRow(ctx, `SELECT id::text, user_id FROM sms_orders WHERE short_id = $1`, short).Scan(&out.ID, &out.UserID)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return core.OrderRef{}, notFound
	}
	return out, mapErr(err)
}

// UserSummary counts a user's orders and active API keys.
func (db *DB) UserSummary(ctx context.Context, userID int64) (core.UserSummary, error) {
	var s core.UserSummary
	err := db.q(ctx).QueryRow(ctx, `SELECT
			(SELECT count(*) FROM sms_orders WHERE user_id = $1),
			(SELECT count(*) FROM account_orders WHERE user_id = $1),
			(SELECT count(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL)`, userID).
		Scan(&s.SMSOrders, &s.AccountOrders, &s.ActiveKeys)
	return s, mapErr(err)
}

// SalesStats sums sales since a moment. Refunded orders are left out: SMS
// orders by status, account orders by the refund of their charge.
func (db *DB) SalesStats(ctx context.Context, since time.Time) (core.SalesStats, error) {
	var s core.SalesStats
	err := db.q(ctx).QueryRow(ctx, `SELECT
			(SELECT count(*) FROM sms_orders WHERE created_at >= $1 AND status IN ('pending', 'completed')),
			(SELECT COALESCE(sum(price_ngn), 0) FROM sms_orders WHERE created_at >= $1 AND status IN ('pending', 'completed')),
			(SELECT COALESCE(sum(upstream_cost), 0) FROM sms_orders WHERE created_at >= $1 AND status IN ('pending', 'completed')),
			(SELECT count(*) FROM account_orders a WHERE a.created_at >= $1 AND NOT EXISTS
				(SELECT 1 FROM ledger_transactions t WHERE t.reference = 'refund:' || a.ledger_reference)),
			(SELECT COALESCE(sum(quantity), 0) FROM account_orders a WHERE a.created_at >= $1 AND NOT EXISTS
				(SELECT 1 FROM ledger_transactions t WHERE t.reference = 'refund:' || a.ledger_reference)),
			(SELECT COALESCE(sum(total), 0) FROM account_orders a WHERE a.created_at >= $1 AND NOT EXISTS
				(SELECT 1 FROM ledger_transactions t WHERE t.reference = 'refund:' || a.ledger_reference)),
			(SELECT COALESCE(sum(amount), 0) FROM ledger_transactions WHERE kind = 'topup' AND created_at >= $1),
			(SELECT count(*) FROM users WHERE created_at >= $1)`, since).
		Scan(&s.SMSOrders, &s.SMSRevenue, &s.SMSCost, &s.AccountOrders, &s.AccountItems, &s.AccountRevenue, &s.TopUps, &s.NewUsers)
	return s, mapErr(err)
}
