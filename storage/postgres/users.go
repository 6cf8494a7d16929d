package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

var _ core.UserStore = (*DB)(nil)

const userColumns = `id, telegram_id, COALESCE(username, ''), COALESCE(language, ''), COALESCE(referrer, ''), created_at,
	COALESCE(telegram_language, ''), blocked_at IS NOT NULL`

func scanUser(row pgx.Row) (core.User, error) {
	var u core.User
	err := row.Scan(&u.ID, &u.TelegramID, &u.Username, &u.Language, &u.Referrer, &u.CreatedAt, &u.TelegramLanguage, &u.Blocked)
	return u, err
}

// CreateUser implements core.UserStore: the user and its wallet are created
// together, so no user is ever without a wallet.
func (db *DB) CreateUser(ctx context.Context, nu core.NewUser) (core.User, bool, error) {
	var (
		u       core.User
		created bool
	)
	err := db.InTx(ctx, func(ctx context.Context) error {
		q := db.q(ctx)
		var err error
		u, err = scanUser(q.QueryRow(ctx, `
			INSERT INTO users (telegram_id, username, language, referrer, telegram_language)
			VALUES ($1, NULLIF($2, ''), NULLIF($3, ''), NULLIF($4, ''), NULLIF($5, ''))
			ON CONFLICT (telegram_id) DO NOTHING
			RETURNING `+userColumns, nu.TelegramID, nu.Username, nu.Language, nu.Referrer, nu.TelegramLanguage))
		if errors.Is(err, pgx.ErrNoRows) {
			u, err = scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE telegram_id = $1`, nu.TelegramID))
			return mapErr(err)
		}
		if err != nil {
			return mapErr(fmt.Errorf("insert user: %w", err))
		}
		created = true
		_, err = q.Exec(ctx, `INSERT INTO ledger_accounts (code, kind, user_id, balance) VALUES ($1, 'wallet', $2, 0)`,
			core.WalletAccount(u.ID), u.ID)
		return mapErr(err)
	})
	return u, created, err
}

// UserByID implements core.UserStore.
func (db *DB) UserByID(ctx context.Context, id int64) (core.User, error) {
	u, err := scanUser(db.q(ctx).QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return core.User{}, core.Errorf(core.CodeNotFound, "User %d does not exist.", id)
	}
	return u, mapErr(err)
}
