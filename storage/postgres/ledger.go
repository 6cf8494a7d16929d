package postgres

import (
	"context"
	"errors"
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

// Post implements core.LedgerStore.
func (db *DB) Post(ctx context.Context, p core.Posting) (core.Transaction, error) {
	var out core.Transaction
	err := db.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = db.post(ctx, p)
		return err
	})
	return out, err
}

func (db *DB) post(ctx context.Context, p core.Posting) (core.Transaction, error) {
	q := db.q(ctx)
	// Claim the reference first: a concurrent post with the same reference
	// waits here for the winner and then replays its result.
	t, err := scanTx(q.QueryRow(ctx, `
		INSERT INTO ledger_transactions AS t (reference, kind, user_id, amount, reverses_id, memo)
		VALUES ($1, $2, $3, $4, NULLIF($5, 0), $6)
		ON CONFLICT (reference) DO NOTHING
		RETURNING `+txColumns,
		p.Reference, p.Kind, p.UserID, p.Amount, p.Reverses, p.Memo))
	if errors.Is(err, pgx.ErrNoRows) {
		return db.replay(ctx, p)
	}
	switch constraintName(err) {
	case "ledger_transactions_reverses_key":
		return core.Transaction{}, core.Errorf(core.CodeConflict, "This transaction was already refunded.")
	case "ledger_transactions_user_id_fkey":
		return core.Transaction{}, core.Errorf(core.CodeNotFound, "User %d does not exist.", p.UserID)
	}
	if err != nil {
		return core.Transaction{}, mapErr(fmt.Errorf("insert transaction: %w", err))
	}

	ids, err := db.lockAccounts(ctx, p.Legs)
	if err != nil {
		return core.Transaction{}, err
	}
	amounts := make([]decimal.Decimal, len(p.Legs))
	for i, l := range p.Legs {
		amounts[i] = l.Amount
	}
	rows, err := q.Query(ctx, `
		WITH legs AS (SELECT * FROM unnest($1::bigint[], $2::numeric[]) AS l(account_id, amount)),
		upd AS (
			UPDATE ledger_accounts a SET balance = a.balance + l.amount
			FROM legs l WHERE a.id = l.account_id
			RETURNING a.id, a.balance, l.amount
		)
		INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)
		SELECT $3, id, amount, balance FROM upd
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
		var after decimal.Decimal
		if err := rows.Scan(&id, &after); err != nil {
			rows.Close()
			return core.Transaction{}, mapErr(err)
		}
		if id == walletID {
			t.Balance = after
		}
	}
	if err := rows.Err(); err != nil {
		return core.Transaction{}, mapErr(fmt.Errorf("apply entries: %w", err))
	}
	return t, nil
}

// lockAccounts locks the legs' accounts in id order (so concurrent postings
// never deadlock), checks that none but the funding account would go
// negative, and returns the account ids in leg order.
func (db *DB) lockAccounts(ctx context.Context, legs []core.Leg) ([]int64, error) {
	codes := make([]string, len(legs))
	for i, l := range legs {
		codes[i] = l.Account
	}
	rows, err := db.q(ctx).Query(ctx, `
		SELECT id, code, kind, balance FROM ledger_accounts
		WHERE code = ANY($1) ORDER BY id FOR UPDATE`, codes)
	if err != nil {
		return nil, mapErr(fmt.Errorf("lock accounts: %w", err))
	}
	type account struct {
		id      int64
		kind    string
		balance decimal.Decimal
	}
	found := make(map[string]account, len(legs))
	for rows.Next() {
		var code string
		var a account
		if err := rows.Scan(&a.id, &code, &a.kind, &a.balance); err != nil {
			rows.Close()
			return nil, mapErr(err)
		}
		found[code] = a
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(fmt.Errorf("lock accounts: %w", err))
	}
	ids := make([]int64, len(legs))
	for i, l := range legs {
		a, ok := found[l.Account]
		if !ok {
			return nil, core.Errorf(core.CodeNotFound, "Ledger account %s does not exist.", l.Account)
		}
		if a.kind != "funding" && a.balance.Add(l.Amount).IsNegative() {
			return nil, core.InsufficientFunds()
		}
		ids[i] = a.id
	}
	return ids, nil
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
func (db *DB) Balance(ctx context.Context, account string) (decimal.Decimal, error) {
	var b decimal.Decimal
	err := db.q(ctx).QueryRow(ctx, `SELECT balance FROM ledger_accounts WHERE code = $1`, account).Scan(&b)
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
