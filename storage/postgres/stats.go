package postgres

import (
	"context"
	"fmt"

	"accgen/core"
)

var _ core.StatsStore = (*DB)(nil)

// StatsSnapshot implements core.StatsStore in one read-only snapshot.
func (db *DB) StatsSnapshot(ctx context.Context) (core.StatsSnapshot, error) {
	s := core.StatsSnapshot{SMSOrdersByStatus: map[string]int64{}, WebhookDeliveriesByState: map[string]int64{}}
	tx, err := db.pool.BeginTx(ctx, pgxRepeatableReadReadOnly)
	if err != nil {
		return s, mapErr(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	counts := func(query string, into map[string]int64) error {
		rows, err := tx.Query(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			into[k] = n
		}
		return rows.Err()
	}
	if err := counts(`SELECT status, count(*) FROM sms_orders GROUP BY status`, s.SMSOrdersByStatus); err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	if err := counts(`SELECT state, count(*) FROM webhook_deliveries GROUP BY state`, s.WebhookDeliveriesByState); err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	err = tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM account_orders),
			(SELECT count(*) FROM stock_items WHERE status = 'sold'),
			(SELECT COALESCE(sum(balance), 0) FROM ledger_accounts WHERE kind = 'wallet'),
			(SELECT COALESCE(sum(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.code = 'system:sales'),
			(SELECT COALESCE(sum(amount), 0) FROM ledger_transactions WHERE kind = 'refund'),
			(SELECT COALESCE(sum(amount), 0) FROM ledger_transactions WHERE kind = 'topup'),
			(SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) FROM sms_orders WHERE status IN ('placing', 'pending'))`).
		Scan(&s.AccountOrders, &s.AccountItemsSold, &s.WalletBalances, &s.Sales, &s.Refunds, &s.TopUps, &s.OldestLiveOrderSeconds)
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	return s, nil
}
