package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"accgen/core"
)

var _ core.LedgerStore = (*DB)(nil)

const txColumns = `t.id, t.reference, t.kind, t.user_id, t.amount, COALESCE(t.reverses_id, 0), t.memo, t.created_at`

func scanTx(row pgx.Row) (core.Transaction, error) {
	var t core.Transaction
	err := row.Scan(&t.ID, &t.Reference, &t.Kind, &t.UserID, &t.Amount, &t.ReversesID, &t.Memo, &t.CreatedAt)
	return t, err
}

// Post implements core.LedgerStore. Inside a caller's transaction it runs
// in that transaction directly: it writes nothing until every check has
// passed, so a refusal leaves the caller's transaction usable without the
// cost of a savepoint.
func (db *DB) Post(ctx context.Context, p core.Posting) (core.Transaction, error) {
	if _, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return db.post(ctx, p)
	}
	var out core.Transaction
	err := db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = db.post(ctx, p)
		return err
	})
	return out, err
}

// post locks the wallets first: two posts with one reference are for one
// user, so the wallet lock serialises them and the second sees the first's
// transaction and replays it.
func (db *DB) post(ctx context.Context, p core.Posting) (core.Transaction, error) {
	q := db.q(ctx)
	ids, balances, err := db.lockAccounts(ctx, p.Legs)
	if err != nil {
		return core.Transaction{}, err
	}
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger_transactions WHERE reference = $1)`, p.Reference).Scan(&exists); err != nil {
		return core.Transaction{}, mapErr(err)
	}
	if exists {
		return db.replay(ctx, p)
	}
	for i, l := range p.Legs {
		if b, ok := balances[ids[i]]; ok && b.Add(l.Amount).IsNegative() {
			return core.Transaction{}, core.InsufficientFunds()
		}
	}
	t, err := scanTx(q.QueryRow(ctx, `
		INSERT INTO ledger_transactions AS t (reference, kind, user_id, amount, reverses_id, memo)
		VALUES ($1, $2, $3, $4, NULLIF($5, 0), $6)
		RETURNING `+txColumns,
		p.Reference, p.Kind, p.UserID, p.Amount, p.Reverses, p.Memo))
	switch constraintName(err) {
	case "ledger_transactions_reverses_key":
		return core.Transaction{}, core.Errorf(core.CodeConflict, "This transaction was already refunded.")
	case "ledger_transactions_user_id_fkey":
		return core.Transaction{}, core.Errorf(core.CodeNotFound, "User %d does not exist.", p.UserID)
	}
	if err != nil {
		return core.Transaction{}, mapErr(fmt.Errorf("insert transaction: %w", err))
	}

	amounts := make([]decimal.Decimal, len(p.Legs))
	for i, l := range p.Legs {
		amounts[i] = l.Amount
	}
	// Only wallets carry a balance; system accounts' entries are summed when
	// their balance is wanted, so their rows are never a point of contention.
	rows, err := q.Query(ctx, `
		WITH legs AS (SELECT * FROM unnest($1::bigint[], $2::numeric[]) AS l(account_id, amount)),
		upd AS (
			UPDATE ledger_accounts a SET balance = a.balance + l.amount
			FROM legs l WHERE a.id = l.account_id AND a.kind = 'wallet'
			RETURNING a.id, a.balance
		)
		INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)
		SELECT $3, l.account_id, l.amount, upd.balance FROM legs l LEFT JOIN upd ON upd.id = l.account_id
		RETURNING account_id, balance_after`,
		ids, amounts, t.ID)
	if err != nil {
		return core.Transaction{}, mapErr(fmt.Errorf("apply entries: %w", err))
	}
	var walletID int64
	for i, l := range p.Legs {
		if l.Account == core.WalletAccount(p.UserID) {
			walletID = ids[i]
		}
	}
	for rows.Next() {
		var id int64
		var after *decimal.Decimal
		if err := rows.Scan(&id, &after); err != nil {
			rows.Close()
			return core.Transaction{}, mapErr(err)
		}
		if id == walletID && after != nil {
			t.Balance = *after
		}
	}
	if err := rows.Err(); err != nil {
		return core.Transaction{}, mapErr(fmt.Errorf("apply entries: %w", err))
	}
	return t, nil
}

// lockAccounts locks the legs' wallets in id order (so concurrent postings
// never deadlock) and returns the account ids in leg order with the locked
// wallets' balances. System accounts are resolved without a lock.
func (db *DB) lockAccounts(ctx context.Context, legs []core.Leg) ([]int64, map[int64]decimal.Decimal, error) {
	system, err := db.systemAccounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	var wallets []string
	for _, l := range legs {
		if _, ok := system[l.Account]; !ok {
			wallets = append(wallets, l.Account)
		}
	}
	rows, err := db.q(ctx).Query(ctx, `
		SELECT id, code, balance FROM ledger_accounts
		WHERE code = ANY($1) AND kind = 'wallet' ORDER BY id FOR UPDATE`, wallets)
	if err != nil {
		return nil, nil, mapErr(fmt.Errorf("lock accounts: %w", err))
	}
	type wallet struct {
		id      int64
		balance decimal.Decimal
	}
	found := make(map[string]wallet, len(wallets))
	for rows.Next() {
		var code string
		var w wallet
		if err := rows.Scan(&w.id, &code, &w.balance); err != nil {
			rows.Close()
			return nil, nil, mapErr(err)
		}
		found[code] = w
	}
	if err := rows.Err(); err != nil {
		return nil, nil, mapErr(fmt.Errorf("lock accounts: %w", err))
	}
	ids := make([]int64, len(legs))
	balances := make(map[int64]decimal.Decimal, len(found))
	for i, l := range legs {
		if id, ok := system[l.Account]; ok {
			ids[i] = id
			continue
		}
		w, ok := found[l.Account]
		if !ok {
			return nil, nil, core.Errorf(core.CodeNotFound, "Ledger account %s does not exist.", l.Account)
		}
		ids[i] = w.id
		balances[w.id] = w.balance
	}
	return ids, balances, nil
}

// systemAccounts maps the system accounts' codes to ids; they never change,
// so they are read once.
func (db *DB) systemAccounts(ctx context.Context) (map[string]int64, error) {
	db.systemMu.Lock()
	defer db.systemMu.Unlock()
	if db.system != nil {
		return db.system, nil
	}
	rows, err := db.q(ctx).Query(ctx, `SELECT code, id FROM ledger_accounts WHERE kind <> 'wallet'`)
	if err != nil {
		return nil, mapErr(err)
	}
	m := map[string]int64{}
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			rows.Close()
			return nil, mapErr(err)
		}
		m[code] = id
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	db.system = m
	return m, nil
}

// replay returns the transaction already recorded under p.Reference, or a
// conflict when the reference was used for something else.
func (db *DB) replay(ctx context.Context, p core.Posting) (core.Transaction, error) {
	t, _, err := db.TransactionByReference(ctx, p.Reference)
	if err != nil {
		return core.Transaction{}, err
	}
	if t.Kind != p.Kind || t.UserID != p.UserID || !t.Amount.Equal(p.Amount) || t.ReversesID != p.Reverses {
		return core.Transaction{}, core.Errorf(core.CodeConflict, "Reference %q was already used for a different transaction.", p.Reference)
	}
	if t.Balance, err = db.Balance(ctx, core.WalletAccount(p.UserID)); err != nil {
		return core.Transaction{}, err
	}
	t.Replayed = true
	return t, nil
}

// TransactionByReference implements core.LedgerStore.
func (db *DB) TransactionByReference(ctx context.Context, ref string) (core.Transaction, []core.Entry, error) {
	q := db.q(ctx)
	t, err := scanTx(q.QueryRow(ctx, `SELECT `+txColumns+` FROM ledger_transactions t WHERE t.reference = $1`, ref))
	if err != nil {
		return core.Transaction{}, nil, mapErr(fmt.Errorf("transaction %q: %w", ref, err))
	}
	rows, err := q.Query(ctx, `
		SELECT a.code, e.amount FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		WHERE e.transaction_id = $1 ORDER BY e.id`, t.ID)
	if err != nil {
		return core.Transaction{}, nil, mapErr(err)
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.Entry, error) {
		var e core.Entry
		return e, r.Scan(&e.Account, &e.Amount)
	})
	if err != nil {
		return core.Transaction{}, nil, mapErr(err)
	}
	return t, entries, nil
}

// Balance implements core.LedgerStore.
// A wallet's balance is cached on its row; a system account's is the sum of
// its entries.
func (db *DB) Balance(ctx context.Context, account string) (decimal.Decimal, error) {
	var b decimal.Decimal
	err := db.q(ctx).QueryRow(ctx, `
		SELECT COALESCE(a.balance, (SELECT COALESCE(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id))
		FROM ledger_accounts a WHERE a.code = $1`, account).Scan(&b)
	return b, mapErr(err)
}

// History implements core.LedgerStore.
func (db *DB) History(ctx context.Context, userID int64, limit int) ([]core.Transaction, error) {
	rows, err := db.q(ctx).Query(ctx, `
		SELECT `+txColumns+` FROM ledger_transactions t WHERE t.user_id = $1 ORDER BY t.id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	txs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.Transaction, error) { return scanTx(r) })
	return txs, mapErr(err)
}
