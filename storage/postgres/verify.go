package postgres

import (
	"context"
	"fmt"

	"accgen/core"
)

// invariant is one ledger check: a query that returns one human-readable
// line per violation and nothing when the invariant holds.
type invariant struct {
	name  string
	query string
}

// invariants are the ledger's promises (design.md "Money"). Order matters
// only for the report.
var invariants = []invariant{
	{"transactions balance to zero", `
		SELECT format('transaction %s (%s): entries sum to %s over %s entries', t.id, t.reference, COALESCE(SUM(e.amount), 0), COUNT(e.id))
		FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
		GROUP BY t.id HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2`},
	{"entries match their transaction's amount", `
		SELECT format('transaction %s (%s): amount %s but wallet entry %s', t.id, t.reference, t.amount, e.amount)
		FROM ledger_transactions t
		JOIN ledger_entries e ON e.transaction_id = t.id
		JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'wallet'
		WHERE abs(e.amount) <> t.amount OR a.user_id <> t.user_id`},
	{"entries are on accounts that exist", `
		SELECT format('entry %s of transaction %s is on account %s, which does not exist', e.id, e.transaction_id, e.account_id)
		FROM ledger_entries e LEFT JOIN ledger_accounts a ON a.id = e.account_id
		WHERE a.id IS NULL`},
	{"account balance equals the sum of its entries", `
		SELECT format('account %s: balance %s, entries sum to %s', a.code, a.balance, COALESCE(SUM(e.amount), 0))
		FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
		WHERE a.kind = 'wallet'
		GROUP BY a.id HAVING a.balance IS DISTINCT FROM COALESCE(SUM(e.amount), 0)`},
	{"entry chain is continuous", `
		SELECT format('account %s: entry %s records balance %s, running sum is %s', account_id, id, balance_after, running)
		FROM (SELECT e.account_id, e.id, e.balance_after,
		             SUM(e.amount) OVER (PARTITION BY e.account_id ORDER BY e.id) AS running
		      FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id AND a.kind = 'wallet') x
		WHERE running IS DISTINCT FROM balance_after`},
	{"no negative balance", `
		SELECT format('account %s has negative balance %s', a.code, b.balance)
		FROM ledger_accounts a
		CROSS JOIN LATERAL (SELECT COALESCE(a.balance, (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id)) AS balance) b
		WHERE a.kind <> 'funding' AND b.balance < 0`},
	{"money is conserved", `
		SELECT format('wallets hold %s and the system accounts %s: they do not cancel out', w, s)
		FROM (SELECT (SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind = 'wallet') AS w,
		             (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		              WHERE a.kind <> 'wallet') AS s) x
		WHERE w + s <> 0`},
	{"refunds mirror what they reverse", `
		SELECT format('refund %s reverses %s (%s %s for user %s) with %s for user %s', r.reference, o.reference, o.kind, o.amount, o.user_id, r.amount, r.user_id)
		FROM ledger_transactions r JOIN ledger_transactions o ON o.id = r.reverses_id
		WHERE o.kind NOT IN ('purchase', 'deduct') OR o.amount <> r.amount OR o.user_id <> r.user_id`},
	{"every SMS order is charged once, for its price", `
		SELECT format('SMS order %s (%s): %s', o.id, o.status,
		       CASE WHEN t.id IS NULL THEN 'no charge' ELSE format('charge %s %s for user %s, price %s', t.kind, t.amount, t.user_id, o.price_ngn) END)
		FROM sms_orders o LEFT JOIN ledger_transactions t ON t.reference = o.charge_reference
		WHERE t.id IS NULL OR t.kind <> 'purchase' OR t.amount <> o.price_ngn OR t.user_id <> o.user_id`},
	{"SMS orders are refunded exactly when closed without a sale", `
		SELECT format('SMS order %s is %s but %s', o.id, o.status, CASE WHEN r.id IS NULL THEN 'was not refunded' ELSE 'was refunded' END)
		FROM sms_orders o LEFT JOIN ledger_transactions r ON r.reference = 'refund:' || o.charge_reference
		WHERE (o.status IN ('cancelled', 'expired', 'failed')) <> (r.id IS NOT NULL)`},
	{"every user has a wallet", `
		SELECT format('user %s has no wallet', u.id)
		FROM users u LEFT JOIN ledger_accounts a ON a.user_id = u.id AND a.kind = 'wallet'
		WHERE a.id IS NULL`},
	// Account inventory (migration 00003).
	{"every account order is charged once, for its total", `
		SELECT format('account order %s: %s', o.id,
		       CASE WHEN t.id IS NULL THEN format('no charge under %s', o.ledger_reference)
		       ELSE format('charge %s %s for user %s, total %s for user %s', t.kind, t.amount, t.user_id, o.total, o.user_id) END)
		FROM account_orders o LEFT JOIN ledger_transactions t ON t.reference = o.ledger_reference
		WHERE t.id IS NULL OR t.kind <> 'purchase' OR t.amount <> o.total OR t.user_id <> o.user_id`},
	{"every account-order charge has its order", `
		SELECT format('charge %s (%s %s for user %s) has no account order', t.reference, t.kind, t.amount, t.user_id)
		FROM ledger_transactions t LEFT JOIN account_orders o ON o.ledger_reference = t.reference
		WHERE t.reference LIKE 'account-order:%' AND o.id IS NULL`},
	{"account order total is quantity × unit price", `
		SELECT format('account order %s: total %s but %s × %s = %s', o.id, o.total, o.quantity, o.unit_price, o.quantity * o.unit_price)
		FROM account_orders o WHERE o.total <> o.quantity * o.unit_price`},
	{"every account order has its quantity of items", `
		SELECT format('account order %s: quantity %s but %s item(s) sold to it', o.id, o.quantity, COUNT(s.id))
		FROM account_orders o LEFT JOIN stock_items s ON s.order_id = o.id
		GROUP BY o.id HAVING COUNT(s.id) <> o.quantity`},
	// An item has one order_id, so it cannot be sold twice; this checks that
	// status and order agree and that the order is for the item's product.
	{"stock items are sold once, to an order of their product", `
		SELECT format('stock item %s of product %s is %s %s', s.id, s.product_id, s.status,
		       CASE WHEN o.id IS NULL THEN 'without an order' ELSE format('to order %s of product %s', o.id, o.product_id) END)
		FROM stock_items s LEFT JOIN account_orders o ON o.id = s.order_id
		WHERE (s.status = 'sold') <> (o.id IS NOT NULL) OR o.product_id <> s.product_id`},
}

// VerifyLedger runs every invariant in one repeatable-read snapshot and
// returns the violations found (none means the ledger is sound).
func (db *DB) VerifyLedger(ctx context.Context) ([]core.Violation, error) {
	tx, err := db.pool.BeginTx(ctx, pgxRepeatableReadReadOnly)
	if err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var out []core.Violation
	for _, inv := range invariants {
		rows, err := tx.Query(ctx, inv.query)
		if err != nil {
			return nil, fmt.Errorf("verify ledger: %s: %w", inv.name, err)
		}
		for rows.Next() {
			var detail string
			if err := rows.Scan(&detail); err != nil {
				rows.Close()
				return nil, fmt.Errorf("verify ledger: %s: %w", inv.name, err)
			}
			out = append(out, core.Violation{Check: inv.name, Detail: detail})
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("verify ledger: %s: %w", inv.name, err)
		}
	}
	return out, nil
}

// InvariantNames lists the checks VerifyLedger runs, for its report.
func InvariantNames() []string {
	var names []string
	for _, inv := range invariants {
		names = append(names, inv.name)
	}
	return names
}
