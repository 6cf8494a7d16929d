package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

// Account orders: purchases of inventory items (see inventory.go).

const accountOrderColumns = `o.id::text, o.user_id, COALESCE(o.api_key_id, 0), o.product_id, o.product_name,
	o.quantity, o.unit_price, o.total, o.ledger_reference, COALESCE(o.idempotency_key, ''),
	COALESCE(o.request_fingerprint, ''), o.created_at`

func scanAccountOrder(row pgx.Row) (core.AccountOrder, error) {
	var o core.AccountOrder
	err := row.Scan(&o.ID, &o.UserID, &o.APIKeyID, &o.ProductID, &o.ProductName,
		&o.Quantity, &o.UnitPrice, &o.Total, &o.LedgerReference, &o.IdempotencyKey,
		&o.RequestFingerprint, &o.CreatedAt)
	return o, err
}

// PurchaseAccounts implements core.InventoryStore: BEGIN, the orders, the
// stock and the charges travel in one round trip and COMMIT in a second
// (see pipeline.go), in wallet order so that two batches take their wallets in
// the same order; one statement picks and sells each order's items.
func (db *DB) PurchaseAccounts(ctx context.Context, purchases []core.NewAccountPurchase) error {
	purchases = slices.Clone(purchases)
	slices.SortStableFunc(purchases, func(a, b core.NewAccountPurchase) int { return cmp.Compare(a.Order.UserID, b.Order.UserID) })
	statements := make([]postingStatement, len(purchases))
	b := &pgx.Batch{}
	for i, p := range purchases {
		st, err := db.postingStatement(ctx, p.Charge)
		if err != nil {
			return err
		}
		statements[i] = st
		o := p.Order
		b.Queue(`
			INSERT INTO account_orders (id, user_id, api_key_id, product_id, product_name, quantity,
				unit_price, total, ledger_reference, idempotency_key, request_fingerprint)
			VALUES ($1, $2, NULLIF($3, 0), $4, $5, $6, $7, $8, $9, NULLIF($10, ''), NULLIF($11, ''))
			RETURNING created_at`,
			o.ID, o.UserID, o.APIKeyID, o.ProductID, o.ProductName, o.Quantity,
			o.UnitPrice, o.Total, o.LedgerReference, o.IdempotencyKey, o.RequestFingerprint)
		b.Queue(`
			WITH picked AS MATERIALIZED (
				SELECT id FROM stock_items
				WHERE product_id = $1 AND status = 'available'
				ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
			UPDATE stock_items s SET status = 'sold', order_id = $3, sold_at = now()
			FROM picked WHERE s.id = picked.id AND s.status = 'available'
			RETURNING `+stockItemColumns, o.ProductID, o.Quantity, o.ID)
		b.Queue(st.sql, st.args...)
	}
	return db.pipeline(ctx, b, func(br pgx.BatchResults) error {
		for i, p := range purchases {
			if err := readPurchase(br, p, statements[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// readPurchase reads one purchase's three results.
func readPurchase(br pgx.BatchResults, p core.NewAccountPurchase, st postingStatement) error {
	o := p.Order
	err := br.QueryRow().Scan(&o.CreatedAt)
	switch constraintName(err) {
	case "account_orders_api_idempotency_key", "account_orders_user_idempotency_key":
		return core.ErrIdempotencyKeyTaken
	case "account_orders_user_id_fkey":
		return core.Errorf(core.CodeNotFound, "User %d does not exist.", o.UserID)
	case "account_orders_api_key_id_fkey":
		return core.Errorf(core.CodeNotFound, "API key %d does not exist.", o.APIKeyID)
	}
	if err != nil {
		return mapErr(fmt.Errorf("insert account order: %w", err))
	}
	rows, err := br.Query()
	if err != nil {
		return mapErr(fmt.Errorf("sell stock items: %w", err))
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.StockItem, error) { return scanStockItem(r) })
	if err != nil {
		return mapErr(fmt.Errorf("sell stock items: %w", err))
	}
	slices.SortFunc(items, func(a, b core.StockItem) int { return cmp.Compare(a.ID, b.ID) })
	// Missing stock is reported before missing money.
	if err := p.Accept(items); err != nil {
		return err
	}
	_, recorded, err := st.scan(br.QueryRow())
	if err == nil && !recorded {
		err = core.Internal(fmt.Errorf("charge reference %q of a new order was already used", p.Charge.Reference))
	}
	return err
}

// AccountOrderByIdempotencyKey implements core.InventoryStore.
func (db *DB) AccountOrderByIdempotencyKey(ctx context.Context, userID, apiKeyID int64, key string) (core.AccountOrder, error) {
	// Each query matches one of the two partial unique indexes.
	query, scope := `SELECT `+accountOrderColumns+` FROM account_orders o
		WHERE o.api_key_id = $1 AND o.idempotency_key = $2`, apiKeyID
	if apiKeyID == 0 {
		query, scope = `SELECT `+accountOrderColumns+` FROM account_orders o
			WHERE o.user_id = $1 AND o.api_key_id IS NULL AND o.idempotency_key = $2`, userID
	}
	o, err := scanAccountOrder(db.q(ctx).QueryRow(ctx, query, scope, key))
	return o, mapErr(err)
}

// scopeFilter restricts account_orders o to an owner given as $1 (user id)
// and $2 (API key id, 0 for all of the user's orders).
const scopeFilter = `o.user_id = $1 AND ($2::bigint = 0 OR o.api_key_id = $2)`

// AccountOrderByID implements core.InventoryStore.
func (db *DB) AccountOrderByID(ctx context.Context, owner core.Scope, id string) (core.AccountOrder, error) {
	o, err := scanAccountOrder(db.q(ctx).QueryRow(ctx,
		`SELECT `+accountOrderColumns+` FROM account_orders o WHERE `+scopeFilter+` AND o.id = $3::uuid`,
		owner.UserID, owner.APIKeyID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return core.AccountOrder{}, core.Errorf(core.CodeNotFound, "Account order %s was not found.", id)
	}
	return o, mapErr(err)
}

// ListAccountOrders implements core.InventoryStore.
func (db *DB) ListAccountOrders(ctx context.Context, owner core.Scope, limit, offset int) ([]core.AccountOrder, int, error) {
	q := db.q(ctx)
	var total int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM account_orders o WHERE `+scopeFilter,
		owner.UserID, owner.APIKeyID).Scan(&total); err != nil {
		return nil, 0, mapErr(fmt.Errorf("count account orders: %w", err))
	}
	rows, err := q.Query(ctx, `
		SELECT `+accountOrderColumns+` FROM account_orders o WHERE `+scopeFilter+`
		ORDER BY o.seq DESC LIMIT $3 OFFSET $4`,
		owner.UserID, owner.APIKeyID, limit, offset)
	if err != nil {
		return nil, 0, mapErr(fmt.Errorf("list account orders: %w", err))
	}
	orders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.AccountOrder, error) { return scanAccountOrder(r) })
	if err != nil {
		return nil, 0, mapErr(err)
	}
	return orders, total, nil
}
