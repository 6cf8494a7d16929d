package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

// Products and their stock items. Account orders are in account_orders.go.

var _ core.InventoryStore = (*DB)(nil)

// productColumns reads a product with its available stock.
const productColumns = `p.id, p.name, p.category, p.description, p.price, p.active, p.created_at,
	(SELECT count(*) FROM stock_items s WHERE s.product_id = p.id AND s.status = 'available')`

func scanProduct(row pgx.Row) (core.Product, error) {
	var p core.Product
	err := row.Scan(&p.ID, &p.Name, &p.Category, &p.Description, &p.Price, &p.Active, &p.CreatedAt, &p.Stock)
	return p, err
}

// CreateProduct implements core.InventoryStore.
func (db *DB) CreateProduct(ctx context.Context, np core.NewProduct) (core.Product, error) {
	p, err := scanProduct(db.q(ctx).QueryRow(ctx, `
		INSERT INTO products AS p (name, category, description, price) VALUES ($1, $2, $3, $4)
		RETURNING `+productColumns, np.Name, np.Category, np.Description, np.Price))
	if err != nil {
		return core.Product{}, mapErr(fmt.Errorf("insert product: %w", err))
	}
	return p, nil
}

// ProductByID implements core.InventoryStore.
func (db *DB) ProductByID(ctx context.Context, id int64) (core.Product, error) {
	p, err := scanProduct(db.q(ctx).QueryRow(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return core.Product{}, core.Errorf(core.CodeNotFound, "Account product %d does not exist.", id)
	}
	return p, mapErr(err)
}

// ProductForSale implements core.InventoryStore.
func (db *DB) ProductForSale(ctx context.Context, id int64) (core.Product, error) {
	p, err := scanProduct(db.q(ctx).QueryRow(ctx, `SELECT p.id, p.name, p.category, p.description, p.price, p.active, p.created_at, 0
		FROM products p WHERE p.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return core.Product{}, core.Errorf(core.CodeNotFound, "Account product %d does not exist.", id)
	}
	return p, mapErr(err)
}

// ListProducts implements core.InventoryStore.
func (db *DB) ListProducts(ctx context.Context) ([]core.Product, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT `+productColumns+` FROM products p WHERE p.active ORDER BY p.id`)
	if err != nil {
		return nil, mapErr(fmt.Errorf("list products: %w", err))
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.Product, error) { return scanProduct(r) })
	return ps, mapErr(err)
}

// ReserveStockItemIDs implements core.InventoryStore. The ids come from the
// table's own sequence, so an insert with them never collides with another.
func (db *DB) ReserveStockItemIDs(ctx context.Context, n int) ([]int64, error) {
	rows, err := db.q(ctx).Query(ctx,
		`SELECT nextval(pg_get_serial_sequence('stock_items', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, mapErr(fmt.Errorf("reserve stock item ids: %w", err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, mapErr(err)
}

// ExistingFingerprints implements core.InventoryStore.
func (db *DB) ExistingFingerprints(ctx context.Context, productID int64, fps [][]byte) ([][]byte, error) {
	rows, err := db.q(ctx).Query(ctx,
		`SELECT fingerprint FROM stock_items WHERE product_id = $1 AND fingerprint = ANY($2::bytea[])`, productID, fps)
	if err != nil {
		return nil, mapErr(fmt.Errorf("find fingerprints: %w", err))
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	return found, mapErr(err)
}

// AddStockItems implements core.InventoryStore. A fingerprint the product
// already has (stored by a concurrent import) is skipped, not an error.
func (db *DB) AddStockItems(ctx context.Context, productID int64, items []core.StockItem) (int, error) {
	ids := make([]int64, len(items))
	keyIDs := make([]string, len(items))
	cts := make([][]byte, len(items))
	fps := make([][]byte, len(items))
	for i, it := range items {
		ids[i], keyIDs[i], cts[i], fps[i] = it.ID, it.KeyID, it.Ciphertext, it.Fingerprint
	}
	tag, err := db.q(ctx).Exec(ctx, `
		INSERT INTO stock_items (id, product_id, key_id, ciphertext, fingerprint)
		SELECT id, $1, key_id, ct, fp FROM unnest($2::bigint[], $3::text[], $4::bytea[], $5::bytea[]) AS t(id, key_id, ct, fp)
		ON CONFLICT (product_id, fingerprint) DO NOTHING`,
		productID, ids, keyIDs, cts, fps)
	if err != nil {
		return 0, mapErr(fmt.Errorf("add stock items: %w", err))
	}
	return int(tag.RowsAffected()), nil
}

const stockItemColumns = `s.id, s.product_id, s.key_id, s.ciphertext, s.fingerprint`

func scanStockItem(row pgx.Row) (core.StockItem, error) {
	var it core.StockItem
	err := row.Scan(&it.ID, &it.ProductID, &it.KeyID, &it.Ciphertext, &it.Fingerprint)
	return it, err
}

// SoldStockItems implements core.InventoryStore.
func (db *DB) SoldStockItems(ctx context.Context, orderIDs []string) (map[string][]core.StockItem, error) {
	rows, err := db.q(ctx).Query(ctx, `
		SELECT s.order_id::text, `+stockItemColumns+` FROM stock_items s
		WHERE s.order_id = ANY($1::text[]::uuid[]) ORDER BY s.order_id, s.id`, orderIDs)
	if err != nil {
		return nil, mapErr(fmt.Errorf("sold stock items: %w", err))
	}
	defer rows.Close()
	out := make(map[string][]core.StockItem, len(orderIDs))
	for rows.Next() {
		var orderID string
		var it core.StockItem
		if err := rows.Scan(&orderID, &it.ID, &it.ProductID, &it.KeyID, &it.Ciphertext, &it.Fingerprint); err != nil {
			return nil, mapErr(err)
		}
		out[orderID] = append(out[orderID], it)
	}
	return out, mapErr(rows.Err())
}
