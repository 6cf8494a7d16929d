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
	"accgen/storage/postgres"
	"accgen/storage/postgres/pgtest"
)

type ledgerBundle struct {
	db     *postgres.DB
	ledger *core.Ledger
	users  *core.Users
}

func setupLedger(t *testing.T) ledgerBundle {
	t.Helper()
	db := pgtest.New(t)
	return ledgerBundle{db: db, ledger: core.NewLedger(db), users: core.NewUsers(db)}
}

func (b ledgerBundle) newUser(t *testing.T, telegramID int64) core.User {
	t.Helper()
	u, created, err := b.users.Ensure(context.Background(), core.NewUser{TelegramID: telegramID})
	require.NoError(t, err)
	require.True(t, created)
	return u
}

func requireLedgerClean(t *testing.T, db *postgres.DB) {
	t.Helper()
	violations, err := db.VerifyLedger(context.Background())
	require.NoError(t, err)
	require.Empty(t, violations)
}

func ngn(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestLedgerTopUpChargeRefund(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1001)

	tx, err := b.ledger.TopUp(ctx, u.ID, ngn("5000"), "topup-1", "admin")
	require.NoError(t, err)
	require.True(t, tx.Balance.Equal(ngn("5000")), tx.Balance.String())

	tx, err = b.ledger.Charge(ctx, u.ID, ngn("1250.50"), "order-1", "sms")
	require.NoError(t, err)
	require.True(t, tx.Balance.Equal(ngn("3749.50")), tx.Balance.String())

	_, err = b.ledger.Charge(ctx, u.ID, ngn("3749.51"), "order-2", "sms")
	require.Equal(t, core.CodeInsufficientFunds, core.ErrorCode(err))

	refund, err := b.ledger.Refund(ctx, "order-1", "cancelled")
	require.NoError(t, err)
	require.Equal(t, core.TxRefund, refund.Kind)
	require.True(t, refund.Balance.Equal(ngn("5000")), refund.Balance.String())

	again, err := b.ledger.Refund(ctx, "order-1", "cancelled")
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, refund.ID, again.ID)

	_, err = b.ledger.Refund(ctx, "topup-1", "nope")
	require.Equal(t, core.CodeInvalid, core.ErrorCode(err))

	bal, err := b.ledger.Balance(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, bal.Equal(ngn("5000")), bal.String())

	history, err := b.ledger.History(ctx, u.ID, 10)
	require.NoError(t, err)
	require.Len(t, history, 3) // top-up, charge, refund; the refused charge left nothing
	require.Equal(t, core.TxRefund, history[0].Kind)
	requireLedgerClean(t, b.db)
}

func TestLedgerReferenceReuseWithOtherAmountConflicts(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1002)

	_, err := b.ledger.TopUp(ctx, u.ID, ngn("100"), "ref-x", "")
	require.NoError(t, err)
	_, err = b.ledger.TopUp(ctx, u.ID, ngn("200"), "ref-x", "")
	require.Equal(t, core.CodeConflict, core.ErrorCode(err))
	_, err = b.ledger.Charge(ctx, u.ID, ngn("100"), "ref-x", "")
	require.Equal(t, core.CodeConflict, core.ErrorCode(err))
	bal, err := b.ledger.Balance(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, bal.Equal(ngn("100")))
	requireLedgerClean(t, b.db)
}

func TestLedgerRejectsBadAmounts(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1003)
	for _, amount := range []string{"0", "-5", "1.005", "1000000000000.01"} {
		_, err := b.ledger.TopUp(ctx, u.ID, ngn(amount), "bad-"+amount, "")
		require.Equal(t, core.CodeInvalid, core.ErrorCode(err), amount)
	}
	_, err := b.ledger.TopUp(ctx, u.ID, ngn("1"), "", "")
	require.Equal(t, core.CodeInvalid, core.ErrorCode(err))
	_, err = b.ledger.TopUp(ctx, 999999, ngn("1"), "ghost", "")
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err))
	requireLedgerClean(t, b.db)
}

// The same top-up reference applied concurrently credits exactly once.
func TestLedgerConcurrentTopUpSameReferenceCreditsOnce(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1004)

	const n = 16
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tx, err := b.ledger.TopUp(ctx, u.ID, ngn("750"), "bank-transfer-42", "")
			ids[i], errs[i] = tx.ID, err
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, ids[0], ids[i])
	}
	bal, err := b.ledger.Balance(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, bal.Equal(ngn("750")), bal.String())
	requireLedgerClean(t, b.db)
}

func TestLedgerConcurrentRefundsRefundOnce(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1005)
	_, err := b.ledger.TopUp(ctx, u.ID, ngn("1000"), "t", "")
	require.NoError(t, err)
	_, err = b.ledger.Charge(ctx, u.ID, ngn("400"), "o", "")
	require.NoError(t, err)

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, err := b.ledger.Refund(ctx, "o", "")
			require.NoError(t, err)
		})
	}
	wg.Wait()
	bal, err := b.ledger.Balance(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, bal.Equal(ngn("1000")), bal.String())
	requireLedgerClean(t, b.db)
}

// 50 goroutines do random top-ups, debits that may overdraw and refunds on
// 20 wallets. Afterwards the ledger verifies, no balance is negative, and
// each wallet holds exactly what the successful operations say it should.
func TestLedgerConcurrencyInvariants(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)

	const wallets, workers, opsPerWorker = 20, 50, 40
	users := make([]core.User, wallets)
	for i := range users {
		users[i] = b.newUser(t, int64(2000+i))
	}

	var (
		mu       sync.Mutex
		expected = map[int64]decimal.Decimal{}
		charges  []string // references of successful charges
		refused  int
	)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for op := range opsPerWorker {
				u := users[rng.IntN(wallets)]
				amount := decimal.New(rng.Int64N(500000)+1, -2) // ₦0.01 .. ₦5,000.00
				ref := fmt.Sprintf("w%d-op%d", w, op)
				switch rng.IntN(3) {
				case 0:
					_, err := b.ledger.TopUp(ctx, u.ID, amount, ref, "")
					require.NoError(t, err)
					mu.Lock()
					expected[u.ID] = expected[u.ID].Add(amount)
					mu.Unlock()
				case 1:
					_, err := b.ledger.Charge(ctx, u.ID, amount, ref, "")
					mu.Lock()
					if err == nil {
						expected[u.ID] = expected[u.ID].Sub(amount)
						charges = append(charges, ref)
					} else {
						require.Equal(t, core.CodeInsufficientFunds, core.ErrorCode(err), err)
						require.Equal(t, "Your account balance is too low to complete the order.", core.ErrorMessage(err))
						refused++
					}
					mu.Unlock()
				case 2:
					mu.Lock()
					if len(charges) == 0 {
						mu.Unlock()
						continue
					}
					target := charges[rng.IntN(len(charges))]
					mu.Unlock()
					tx, err := b.ledger.Refund(ctx, target, "")
					require.NoError(t, err)
					if !tx.Replayed {
						mu.Lock()
						expected[tx.UserID] = expected[tx.UserID].Add(tx.Amount)
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d charges succeeded, %d refused for insufficient balance", len(charges), refused)
	require.Positive(t, refused, "the workload should have tried to overdraw")

	requireLedgerClean(t, b.db)
	for _, u := range users {
		bal, err := b.ledger.Balance(ctx, u.ID)
		require.NoError(t, err)
		require.False(t, bal.IsNegative())
		require.True(t, bal.Equal(expected[u.ID]), "user %d: balance %s, expected %s", u.ID, bal, expected[u.ID])
	}
	var journal, balances decimal.Decimal
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.kind = 'wallet'`).Scan(&journal))
	require.NoError(t, b.db.Pool().QueryRow(ctx, `SELECT SUM(balance) FROM ledger_accounts WHERE kind = 'wallet'`).Scan(&balances))
	require.True(t, journal.Equal(balances), "journal %s, balances %s", journal, balances)
}

func TestLedgerHistoryIsAppendOnly(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1006)
	_, err := b.ledger.TopUp(ctx, u.ID, ngn("10"), "t", "")
	require.NoError(t, err)
	_, err = b.db.Pool().Exec(ctx, `UPDATE ledger_entries SET amount = 20`)
	require.ErrorContains(t, err, "append-only")
	_, err = b.db.Pool().Exec(ctx, `DELETE FROM ledger_transactions`)
	require.ErrorContains(t, err, "append-only")
}

// Every statement that writes entries leaves each transaction it touched
// balanced, on at least two entries (migration 00008).
func TestLedgerUnbalancedTransactionIsRefused(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1007)
	tx, err := b.db.Pool().Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	_, err = tx.Exec(ctx, `INSERT INTO ledger_transactions (reference, kind, user_id, amount) VALUES ('x', 'topup', $1, 5)`, u.ID)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)
		SELECT t.id, a.id, 5, 5 FROM ledger_transactions t, ledger_accounts a WHERE t.reference = 'x' AND a.user_id = $1`, u.ID)
	require.ErrorContains(t, err, "unbalanced")

	// A recorded transaction cannot be unbalanced by a later entry either.
	_, err = b.ledger.TopUp(ctx, u.ID, ngn("10"), "recorded", "")
	require.NoError(t, err)
	_, err = b.db.Pool().Exec(ctx, `INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)
		SELECT t.id, a.id, 1, NULL FROM ledger_transactions t, ledger_accounts a WHERE t.reference = 'recorded' AND a.code = 'system:sales'`)
	require.ErrorContains(t, err, "unbalanced")
	requireLedgerClean(t, b.db)
}

// Entries and account orders reference their parents without a foreign-key
// lock (migration 00007); the parents are permanent and the references are
// still checked.
func TestLedgerAccountsAndProductsArePermanentAndReferencesChecked(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1009)
	pool := b.db.Pool()
	var productID int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO products (name, category, price) VALUES ('P', 'c', 10) RETURNING id`).Scan(&productID))
	for _, stmt := range []string{
		`DELETE FROM ledger_accounts WHERE code = 'system:sales'`,
		`UPDATE ledger_accounts SET id = id + 1000 WHERE code = 'system:sales'`,
		`TRUNCATE ledger_accounts CASCADE`,
		`DELETE FROM products`,
		`TRUNCATE products CASCADE`,
	} {
		_, err := pool.Exec(ctx, stmt)
		require.ErrorContains(t, err, "permanent", stmt)
	}

	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	_, err = tx.Exec(ctx, `INSERT INTO ledger_transactions (reference, kind, user_id, amount) VALUES ('ghost', 'topup', $1, 5)`, u.ID)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)
		SELECT t.id, a.id, 5, 5 FROM ledger_transactions t, ledger_accounts a WHERE t.reference = 'ghost' AND a.user_id = $1
		UNION ALL SELECT t.id, 987654321, -5, NULL FROM ledger_transactions t WHERE t.reference = 'ghost'`, u.ID)
	require.ErrorContains(t, err, "account 987654321, which does not exist")
	_, err = pool.Exec(ctx, `INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)
		SELECT 987654321, a.id, 5, NULL::numeric FROM ledger_accounts a WHERE a.code = 'system:sales'
		UNION ALL SELECT 987654321, a.id, -5, NULL FROM ledger_accounts a WHERE a.code = 'system:funding'`)
	require.ErrorContains(t, err, "transaction 987654321, which does not exist")

	_, err = pool.Exec(ctx, `INSERT INTO account_orders (id, user_id, product_id, product_name, quantity, unit_price, total, ledger_reference)
		VALUES (gen_random_uuid(), $1, 987654321, 'x', 1, 10, 10, 'account-order:ghost')`, u.ID)
	require.ErrorContains(t, err, "product 987654321 does not exist")
}

// Verification is only worth something if it notices damage.
func TestVerifyLedgerReportsTampering(t *testing.T) {
	t.Parallel()
	b := setupLedger(t)
	ctx := context.Background()
	u := b.newUser(t, 1008)
	_, err := b.ledger.TopUp(ctx, u.ID, ngn("10"), "t", "")
	require.NoError(t, err)
	_, err = b.db.Pool().Exec(ctx, `UPDATE ledger_accounts SET balance = balance + 1 WHERE user_id = $1`, u.ID)
	require.NoError(t, err)
	violations, err := b.db.VerifyLedger(ctx)
	require.NoError(t, err)
	checks := map[string]bool{}
	for _, v := range violations {
		checks[v.Check] = true
	}
	require.True(t, checks["account balance equals the sum of its entries"], violations)
	require.True(t, checks["money is conserved"], violations)
}
