package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/secret"
	"accgen/storage/postgres"
	"accgen/storage/postgres/pgtest"
)

type inventoryBundle struct {
	db        *postgres.DB
	ledger    *core.Ledger
	users     *core.Users
	keyring   *secret.Keyring
	key       []byte
	inventory *core.Inventory
}

func setupInventory(t *testing.T) inventoryBundle {
	t.Helper()
	db := pgtest.New(t)
	key := randomKey(t)
	kr, err := secret.NewKeyring(key)
	require.NoError(t, err)
	ledger := core.NewLedger(db)
	return inventoryBundle{
		db: db, ledger: ledger, users: core.NewUsers(db), keyring: kr, key: key,
		inventory: core.NewInventory(db, db, ledger, kr),
	}
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, secret.KeySize)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

// withKeyring is the same database seen through another keyring.
func (b inventoryBundle) withKeyring(kr *secret.Keyring) *core.Inventory {
	return core.NewInventory(b.db, b.db, b.ledger, kr)
}

// product creates a product at price with n credentials "<prefix>-<i>:pw-<i>".
func (b inventoryBundle) product(t *testing.T, name, price string, n int) core.Product {
	t.Helper()
	ctx := context.Background()
	p, err := b.inventory.CreateProduct(ctx, core.NewProduct{Name: name, Category: "Instagram", Price: ngn(price)})
	require.NoError(t, err)
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("%s-%d@example.com:pw-%d", strings.ToLower(name), i, i)
	}
	res, err := b.inventory.ImportStock(ctx, p.ID, lines)
	require.NoError(t, err)
	require.Equal(t, n, res.Imported)
	return p
}

// buyer creates a user whose wallet holds amount (none when "0").
func (b inventoryBundle) buyer(t *testing.T, telegramID int64, amount string) core.User {
	t.Helper()
	u, _, err := b.users.Ensure(context.Background(), core.NewUser{TelegramID: telegramID})
	require.NoError(t, err)
	if !ngn(amount).IsZero() {
		_, err = b.ledger.TopUp(context.Background(), u.ID, ngn(amount), fmt.Sprintf("seed-%d", u.ID), "")
		require.NoError(t, err)
	}
	return u
}

func (b inventoryBundle) balance(t *testing.T, userID int64) decimal.Decimal {
	t.Helper()
	bal, err := b.ledger.Balance(context.Background(), userID)
	require.NoError(t, err)
	return bal
}

func (b inventoryBundle) stock(t *testing.T, productID int64) int {
	t.Helper()
	p, err := b.inventory.CatalogItem(context.Background(), productID)
	require.NoError(t, err)
	return p.Stock
}

func TestInventoryCatalog(t *testing.T) {
	t.Parallel()
	b := setupInventory(t)
	ctx := context.Background()

	for _, bad := range []struct {
		p     core.NewProduct
		field string
	}{
		{core.NewProduct{Category: "IG", Price: ngn("1")}, "name"},
		{core.NewProduct{Name: "x", Price: ngn("1")}, "category"},
		{core.NewProduct{Name: "x", Category: "IG", Price: ngn("0")}, "price"},
		{core.NewProduct{Name: "x", Category: "IG", Price: ngn("1.001")}, "price"},
		{core.NewProduct{Name: strings.Repeat("x", 101), Category: "IG", Price: ngn("1")}, "name"},
	} {
		_, err := b.inventory.CreateProduct(ctx, bad.p)
		require.Equal(t, core.CodeInvalid, core.ErrorCode(err), bad)
		require.Contains(t, core.ErrorMessage(err), bad.field)
	}

	aged := b.product(t, "Aged", "2500.50", 3)
	fresh := b.product(t, "Fresh", "900", 0)
	hidden := b.product(t, "Hidden", "100", 2)
	_, err := b.db.Pool().Exec(ctx, `UPDATE products SET active = false WHERE id = $1`, hidden.ID)
	require.NoError(t, err)

	items, err := b.inventory.Catalog(ctx)
	require.NoError(t, err)
	require.Len(t, items, 2, "inactive products are not listed")
	require.Equal(t, aged.ID, items[0].ID)
	require.Equal(t, 3, items[0].Stock)
	require.True(t, items[0].Price.Equal(ngn("2500.50")))
	require.Equal(t, fresh.ID, items[1].ID)
	require.Equal(t, 0, items[1].Stock)

	_, err = b.inventory.CatalogItem(ctx, hidden.ID)
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err))
	_, err = b.inventory.CatalogItem(ctx, 999999)
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err))
}

func TestStockImportSkipsBlanksAndRefusesDuplicates(t *testing.T) {
	t.Parallel()
	b := setupInventory(t)
	ctx := context.Background()
	p := b.product(t, "Gmail", "300", 0)

	res, err := b.inventory.ImportStock(ctx, p.ID, []string{
		"\ufeffa@x.com:1", "", "   ", "  b@x.com:2\t", "a@x.com:1", "c@x.com:3", "b@x.com:2", "\r",
	})
	require.NoError(t, err)
	require.Equal(t, core.ImportResult{Imported: 3, Duplicates: 2}, res)

	res, err = b.inventory.ImportStock(ctx, p.ID, []string{"c@x.com:3", "d@x.com:4", "a@x.com:1"})
	require.NoError(t, err)
	require.Equal(t, core.ImportResult{Imported: 1, Duplicates: 2}, res, "duplicates of stored stock are refused too")
	require.Equal(t, 4, b.stock(t, p.ID))

	// After a key rotation, credentials stored under the old key are still
	// recognised as duplicates.
	rotated, err := secret.NewKeyring(randomKey(t), b.key)
	require.NoError(t, err)
	res, err = b.withKeyring(rotated).ImportStock(ctx, p.ID, []string{"d@x.com:4", "e@x.com:5"})
	require.NoError(t, err)
	require.Equal(t, core.ImportResult{Imported: 1, Duplicates: 1}, res)

	// The same credential may be stocked under another product.
	other := b.product(t, "Other", "10", 0)
	res, err = b.inventory.ImportStock(ctx, other.ID, []string{"a@x.com:1"})
	require.NoError(t, err)
	require.Equal(t, 1, res.Imported)

	_, err = b.inventory.ImportStock(ctx, 999999, []string{"x"})
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err))
	_, err = b.inventory.ImportStock(ctx, p.ID, []string{"ok", strings.Repeat("x", 5000)})
	require.Equal(t, core.CodeInvalid, core.ErrorCode(err))
	require.Contains(t, core.ErrorMessage(err), "line 2")
	require.Equal(t, 5, b.stock(t, p.ID), "a refused import adds nothing")
}

// Credentials are ciphertext at rest: no stored byte sequence holds the
// plaintext, a ciphertext copied to another row does not open, a wrong key
// does not open, and a previous key still does.
func TestStockIsEncryptedAtRest(t *testing.T) {
	t.Parallel()
	b := setupInventory(t)
	ctx := context.Background()
	p, err := b.inventory.CreateProduct(ctx, core.NewProduct{Name: "Netflix", Category: "Streaming", Price: ngn("100")})
	require.NoError(t, err)
	secrets := []string{"alice@example.com:Sup3rSecret!", "bob@example.com:Hunter2-Hunter2", "carol@example.com:pa55word"}
	_, err = b.inventory.ImportStock(ctx, p.ID, secrets)
	require.NoError(t, err)

	rows, err := b.db.Pool().Query(ctx, `SELECT s.id, s.key_id, s.ciphertext, s.fingerprint, s::text FROM stock_items s ORDER BY s.id`)
	require.NoError(t, err)
	var ids []int64
	for rows.Next() {
		var (
			id          int64
			keyID, text string
			ct, fp      []byte
		)
		require.NoError(t, rows.Scan(&id, &keyID, &ct, &fp, &text))
		ids = append(ids, id)
		require.Equal(t, b.keyring.CurrentKeyID(), keyID)
		for _, s := range secrets {
			for _, part := range append(strings.Split(s, ":"), s) {
				require.False(t, bytes.Contains(ct, []byte(part)), "ciphertext of item %d holds %q", id, part)
				require.False(t, bytes.Contains(fp, []byte(part)))
				require.NotContains(t, text, part)
			}
		}
	}
	require.NoError(t, rows.Err())
	require.Len(t, ids, 3)

	// Another key cannot open the stock: the purchase fails and takes nothing.
	u := b.buyer(t, 501, "1000")
	stranger, err := secret.NewKeyring(randomKey(t))
	require.NoError(t, err)
	_, err = b.withKeyring(stranger).Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 1})
	require.Equal(t, core.CodeInternal, core.ErrorCode(err))
	require.True(t, b.balance(t, u.ID).Equal(ngn("1000")))
	require.Equal(t, 3, b.stock(t, p.ID))

	// Item 2 now carries item 1's ciphertext: it no longer opens.
	_, err = b.db.Pool().Exec(ctx, `UPDATE stock_items SET ciphertext = (SELECT ciphertext FROM stock_items WHERE id = $1) WHERE id = $2`, ids[0], ids[1])
	require.NoError(t, err)
	_, err = b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 2})
	require.Equal(t, core.CodeInternal, core.ErrorCode(err), "a moved ciphertext does not open")
	require.True(t, b.balance(t, u.ID).Equal(ngn("1000")), "nothing was charged")
	require.Equal(t, 3, b.stock(t, p.ID), "nothing was taken")

	// After rotating, the old key (now previous) still opens item 1.
	rotated, err := secret.NewKeyring(randomKey(t), b.key)
	require.NoError(t, err)
	o, err := b.withKeyring(rotated).Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 1})
	require.NoError(t, err)
	require.Equal(t, []string{secrets[0]}, o.Credentials)
	requireLedgerClean(t, b.db)
}

func TestPurchaseDeliversAndRecords(t *testing.T) {
	t.Parallel()
	b := setupInventory(t)
	ctx := context.Background()
	p := b.product(t, "Twitter", "1250.50", 5)
	u := b.buyer(t, 601, "6000")

	o, err := b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 3})
	require.NoError(t, err)
	require.True(t, core.IsUUID(o.ID), o.ID)
	require.Equal(t, "Twitter", o.ProductName)
	require.Equal(t, 3, o.Quantity)
	require.True(t, o.UnitPrice.Equal(ngn("1250.50")))
	require.True(t, o.Total.Equal(ngn("3751.50")))
	require.Equal(t, []string{"twitter-0@example.com:pw-0", "twitter-1@example.com:pw-1", "twitter-2@example.com:pw-2"}, o.Credentials)
	require.False(t, o.Replayed)
	require.True(t, b.balance(t, u.ID).Equal(ngn("2248.50")))
	require.Equal(t, 2, b.stock(t, p.ID))

	tx, _, err := b.db.TransactionByReference(ctx, core.AccountOrderReferencePrefix+o.ID)
	require.NoError(t, err)
	require.Equal(t, core.TxPurchase, tx.Kind)
	require.True(t, tx.Amount.Equal(o.Total))

	mine := core.Scope{UserID: u.ID}
	got, err := b.inventory.Order(ctx, mine, strings.ToUpper(o.ID))
	require.NoError(t, err)
	require.Equal(t, o.Credentials, got.Credentials)
	require.Equal(t, o.ID, got.ID)

	o2, err := b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 1})
	require.NoError(t, err)
	list, total, err := b.inventory.Orders(ctx, mine, 20, 0)
	require.NoError(t, err)
	require.Equal(t, 2, total)
	require.Equal(t, []string{o2.ID, o.ID}, []string{list[0].ID, list[1].ID}, "newest first")
	require.Equal(t, o.Credentials, list[1].Credentials)
	page, total, err := b.inventory.Orders(ctx, mine, 1, 1)
	require.NoError(t, err)
	require.Equal(t, 2, total)
	require.Len(t, page, 1)
	require.Equal(t, o.ID, page[0].ID)

	other := b.buyer(t, 602, "0")
	_, err = b.inventory.Order(ctx, core.Scope{UserID: other.ID}, o.ID)
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err), "another user's order is not found")
	_, err = b.inventory.Order(ctx, mine, "not-a-uuid")
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err))
	list, total, err = b.inventory.Orders(ctx, core.Scope{UserID: other.ID}, 20, 0)
	require.NoError(t, err)
	require.Zero(t, total)
	require.Empty(t, list)
	requireLedgerClean(t, b.db)
}

func TestPurchaseRefusalsTakeNothing(t *testing.T) {
	t.Parallel()
	b := setupInventory(t)
	ctx := context.Background()
	p := b.product(t, "Facebook", "1000", 3)
	u := b.buyer(t, 701, "2500")

	_, err := b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 4})
	require.Equal(t, core.CodeInsufficientStock, core.ErrorCode(err))
	require.Equal(t, "Not enough stock: 3 available", core.ErrorMessage(err))

	_, err = b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 3})
	require.Equal(t, core.CodeInsufficientFunds, core.ErrorCode(err))

	for _, q := range []int{0, -1, 51} {
		_, err = b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: q})
		require.Equal(t, core.CodeInvalid, core.ErrorCode(err), q)
		require.Contains(t, core.ErrorMessage(err), "quantity")
	}
	for _, id := range []int64{0, 999999} {
		_, err = b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: id, Quantity: 1})
		require.Equal(t, core.CodeNotFound, core.ErrorCode(err), id)
	}
	_, err = b.db.Pool().Exec(ctx, `UPDATE products SET active = false WHERE id = $1`, p.ID)
	require.NoError(t, err)
	_, err = b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 1})
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err), "inactive products are not sold")

	require.True(t, b.balance(t, u.ID).Equal(ngn("2500")))
	var orders, available int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM account_orders), (SELECT count(*) FROM stock_items WHERE status = 'available')`).Scan(&orders, &available))
	require.Zero(t, orders, "refused purchases leave no order")
	require.Equal(t, 3, available)
	requireLedgerClean(t, b.db)
}

// Idempotency at the domain level: a replay returns the first order, the
// same key with another request is a conflict, keys are scoped per API key
// (per user for bot orders), and concurrent duplicates buy once.
func TestPurchaseIdempotency(t *testing.T) {
	t.Parallel()
	b := setupInventory(t)
	ctx := context.Background()
	p := b.product(t, "TikTok", "100", 60)
	u := b.buyer(t, 801, "10000")
	keys := core.NewKeys(b.db, b.db)
	_, k1, err := keys.Issue(ctx, u.ID, "one")
	require.NoError(t, err)
	_, k2, err := keys.Issue(ctx, u.ID, "two")
	require.NoError(t, err)

	params := core.PurchaseParams{UserID: u.ID, APIKeyID: k1.ID, ProductID: p.ID, Quantity: 2, IdempotencyKey: "order-1"}
	first, err := b.inventory.Purchase(ctx, params)
	require.NoError(t, err)
	again, err := b.inventory.Purchase(ctx, params)
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, first.Credentials, again.Credentials)
	require.True(t, b.balance(t, u.ID).Equal(ngn("9800")), "charged once")

	changed := params
	changed.Quantity = 3
	_, err = b.inventory.Purchase(ctx, changed)
	require.Equal(t, core.CodeConflict, core.ErrorCode(err))
	require.Contains(t, core.ErrorMessage(err), `Idempotency-Key "order-1" was used with a different request`)

	otherKey := params
	otherKey.APIKeyID = k2.ID
	o, err := b.inventory.Purchase(ctx, otherKey)
	require.NoError(t, err)
	require.NotEqual(t, first.ID, o.ID, "another API key has its own idempotency keys")
	bot := params
	bot.APIKeyID = 0
	o, err = b.inventory.Purchase(ctx, bot)
	require.NoError(t, err)
	require.NotEqual(t, first.ID, o.ID)
	o, err = b.inventory.Purchase(ctx, bot)
	require.NoError(t, err)
	require.True(t, o.Replayed, "bot orders are idempotent per user")
	require.True(t, b.balance(t, u.ID).Equal(ngn("9400")))

	// 20 concurrent identical requests: one order, one charge.
	concurrent := core.PurchaseParams{UserID: u.ID, APIKeyID: k1.ID, ProductID: p.ID, Quantity: 5, IdempotencyKey: "burst"}
	const n = 20
	ids := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan int)
	for i := range n {
		go func() {
			<-start
			o, err := b.inventory.Purchase(ctx, concurrent)
			ids[i], errs[i] = o.ID, err
			done <- i
		}()
	}
	close(start)
	for range n {
		<-done
	}
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, ids[0], ids[i])
	}
	require.True(t, b.balance(t, u.ID).Equal(ngn("8900")), b.balance(t, u.ID).String())
	require.Equal(t, 60-2-2-2-5, b.stock(t, p.ID))
	requireLedgerClean(t, b.db)
}

// The verification notices inventory damage done behind the engine's back.
func TestVerifyLedgerCatchesInventoryDamage(t *testing.T) {
	t.Parallel()
	b := setupInventory(t)
	ctx := context.Background()
	p := b.product(t, "Snapchat", "100", 3)
	u := b.buyer(t, 901, "1000")
	_, err := b.inventory.Purchase(ctx, core.PurchaseParams{UserID: u.ID, ProductID: p.ID, Quantity: 2})
	require.NoError(t, err)
	requireLedgerClean(t, b.db)

	// Put one sold item back on the shelf.
	_, err = b.db.Pool().Exec(ctx, `UPDATE stock_items SET status = 'available', order_id = NULL, sold_at = NULL
		WHERE id = (SELECT min(id) FROM stock_items WHERE status = 'sold')`)
	require.NoError(t, err)
	violations, err := b.db.VerifyLedger(ctx)
	require.NoError(t, err)
	require.Len(t, violations, 1, violations)
	require.Equal(t, "every account order has its quantity of items", violations[0].Check)
	require.Contains(t, violations[0].Detail, "quantity 2 but 1 item(s)")
}
