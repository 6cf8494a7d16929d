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

// Post implements core.LedgerStore. Inside a caller's transaction it runs
// in that transaction directly, without the cost of a savepoint: a replayed
// reference writes nothing, but a refusal (insufficient funds) fails the
// statement, so the caller must end its transaction with the error, as
// InTx does when its function returns one.
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

func (db *DB) post(ctx context.Context, p core.Posting) (core.Transaction, error) {
	st, err := db.postingStatement(ctx, p)
	if err != nil {
		return core.Transaction{}, err
	}
	t, recorded, err := st.scan(db.q(ctx).QueryRow(ctx, st.sql, st.args...))
	if err == nil && !recorded {
		return db.replay(ctx, p) // the reference was recorded before
	}
	return t, err
}

// postingStatement is a posting as one statement: it writes the
// transaction, moves the wallet and writes the entries. The reference's
// unique index serialises two posts with one reference (the second waits
// for the first to commit, then inserts nothing: a replay); updating the
// wallet row locks it, and its CHECK refuses a negative balance. It can be
// sent alone or queued in a pipeline with the writes it pays for.
type postingStatement struct {
	p      core.Posting
	wallet core.Leg
	sql    string
	args   []any
}

const postingSQL = `
	WITH t AS (
		INSERT INTO ledger_transactions AS t (reference, kind, user_id, amount, reverses_id, memo)
		VALUES ($1, $2, $3, $4, NULLIF($5, 0), $6)
		ON CONFLICT (reference) DO NOTHING
		RETURNING t.id, t.reference, t.kind, t.user_id, t.amount, COALESCE(t.reverses_id, 0) AS reverses_id, t.memo, t.created_at
	), w AS (
		UPDATE ledger_accounts a SET balance = a.balance + $8
		FROM t WHERE a.code = $7 AND a.kind = 'wallet'
		RETURNING a.id, a.balance
	), e AS (
		INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after)
		SELECT t.id, w.id, $8, w.balance FROM t, w
		UNION ALL
		SELECT t.id, l.account_id, l.amount, NULL FROM t, w, unnest($9::bigint[], $10::numeric[]) AS l(account_id, amount)
	)
	SELECT t.id, t.reference, t.kind, t.user_id, t.amount, t.reverses_id, t.memo, t.created_at, w.balance
	FROM t LEFT JOIN w ON true`

// postingStatement checks that p moves exactly one wallet against system
// accounts (core.Posting.Validate ensures the same) and builds its statement.
func (db *DB) postingStatement(ctx context.Context, p core.Posting) (postingStatement, error) {
	system, err := db.systemAccounts(ctx)
	if err != nil {
		return postingStatement{}, err
	}
	wallet := -1
	var others []int64
	var amounts []decimal.Decimal
	for i, l := range p.Legs {
		id, ok := system[l.Account]
		switch {
		case ok:
			others, amounts = append(others, id), append(amounts, l.Amount)
		case wallet >= 0:
			return postingStatement{}, core.Internal(errors.New("posting moves more than one wallet"))
		default:
			wallet = i
		}
	}
	if wallet < 0 {
		return postingStatement{}, core.Internal(errors.New("posting moves no wallet"))
	}
	w := p.Legs[wallet]
	return postingStatement{p: p, wallet: w, sql: postingSQL,
		args: []any{p.Reference, p.Kind, p.UserID, p.Amount, p.Reverses, p.Memo, w.Account, w.Amount, others, amounts}}, nil
}

// scan reads the statement's result; recorded is false when the reference
// was already recorded and nothing was written.
func (st postingStatement) scan(row pgx.Row) (t core.Transaction, recorded bool, err error) {
	var balance *decimal.Decimal
	err = row.Scan(&t.ID, &t.Reference, &t.Kind, &t.UserID, &t.Amount, &t.ReversesID, &t.Memo, &t.CreatedAt, &balance)
	switch constraintName(err) {
	case "ledger_transactions_reverses_key":
		return core.Transaction{}, false, core.Errorf(core.CodeConflict, "This transaction was already refunded.")
	case "ledger_transactions_user_id_fkey":
		return core.Transaction{}, false, core.Errorf(core.CodeNotFound, "User %d does not exist.", st.p.UserID)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return core.Transaction{}, false, nil
	}
	if err != nil {
		return core.Transaction{}, false, mapErr(fmt.Errorf("post: %w", err))
	}
	if balance == nil {
		// Every user gets a wallet with the user; the caller's transaction
		// ends with this error, taking the transaction row with it.
		return core.Transaction{}, false, core.Errorf(core.CodeNotFound, "Ledger account %s does not exist.", st.wallet.Account)
	}
	t.Balance = *balance
	return t, true, nil
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
