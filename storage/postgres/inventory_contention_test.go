package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
)

// 100 buyers with random quantities (1..50) and wallets of random sizes race
// for 500 items of one product. Afterwards: no item was sold twice, sold +
// available = imported, every buyer paid exactly quantity × price or
// nothing, and the ledger verifies.
func TestPurchaseContention(t *testing.T) {
	t.Parallel()
	b := setupInventory(t)
	ctx := context.Background()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	const buyers, items = 100, 500
	price := ngn("123.45")
	p := b.product(t, "Contended", price.String(), items)

	type buyer struct {
		user     core.User
		wallet   decimal.Decimal
		quantity int
		order    core.AccountOrder
		err      error
	}
	bs := make([]*buyer, buyers)
	for i := range bs {
		// Between nothing and enough for 40 items, in kobo.
		wallet := decimal.New(rng.Int64N(40*12345+1), -2)
		bs[i] = &buyer{user: b.buyer(t, int64(10_000+i), wallet.String()), wallet: wallet, quantity: 1 + rng.IntN(50)}
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, by := range bs {
		wg.Go(func() {
			<-start
			params := core.PurchaseParams{UserID: by.user.ID, ProductID: p.ID, Quantity: by.quantity}
			if i%2 == 0 {
				params.IdempotencyKey = fmt.Sprintf("buyer-%d", i)
			}
			by.order, by.err = b.inventory.Purchase(ctx, params)
		})
	}
	close(start)
	wg.Wait()

	sold, orders, delivered := 0, 0, map[string]bool{}
	for _, by := range bs {
		cost := price.Mul(decimal.NewFromInt(int64(by.quantity)))
		bal := b.balance(t, by.user.ID)
		switch code := core.ErrorCode(by.err); code {
		case "":
			sold += by.quantity
			orders++
			require.Len(t, by.order.Credentials, by.quantity)
			require.True(t, by.order.Total.Equal(cost))
			require.True(t, bal.Equal(by.wallet.Sub(cost)), "buyer %d paid %s, not %s", by.user.ID, by.wallet.Sub(bal), cost)
			for _, c := range by.order.Credentials {
				require.False(t, delivered[c], "credential %q delivered twice", c)
				delivered[c] = true
			}
		case core.CodeInsufficientFunds, core.CodeInsufficientStock:
			require.True(t, bal.Equal(by.wallet), "refused buyer %d was charged: %s → %s", by.user.ID, by.wallet, bal)
			if code == core.CodeInsufficientFunds {
				require.True(t, by.wallet.LessThan(cost), "buyer %d could afford %s with %s", by.user.ID, cost, by.wallet)
			}
		default:
			t.Fatalf("buyer %d: unexpected error %v", by.user.ID, by.err)
		}
	}
	require.Positive(t, sold, "someone bought something")
	t.Logf("sold %d of %d items", sold, items)

	var soldRows, available, orderedQuantity, distinctOrders int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `
		SELECT (SELECT count(*) FROM stock_items WHERE status = 'sold'),
		       (SELECT count(*) FROM stock_items WHERE status = 'available'),
		       (SELECT COALESCE(sum(quantity), 0) FROM account_orders),
		       (SELECT count(DISTINCT order_id) FROM stock_items WHERE status = 'sold')`).
		Scan(&soldRows, &available, &orderedQuantity, &distinctOrders))
	require.Equal(t, sold, soldRows)
	require.Equal(t, items, soldRows+available, "sold + available = imported")
	require.Equal(t, sold, orderedQuantity)
	require.Equal(t, orders, distinctOrders, "each order got its own items")
	require.Equal(t, len(delivered), sold)
	requireLedgerClean(t, b.db)
}
