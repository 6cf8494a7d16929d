package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

// User lookups and updates the Telegram bot needs (core.UserStore).

// UserByTelegramID implements core.UserStore.
func (db *DB) UserByTelegramID(ctx context.Context, telegramID int64) (core.User, error) {
	u, err := scanUser(db.q(ctx).QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE telegram_id = $1`, telegramID))
	if errors.Is(err, pgx.ErrNoRows) {
		return core.User{}, core.Errorf(core.CodeNotFound, "No user has Telegram id %d.", telegramID)
	}
	return u, mapErr(err)
}

// UserByUsername implements core.UserStore.
func (db *DB) UserByUsername(ctx context.Context, username string) (core.User, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT `+userColumns+` FROM users
		WHERE lower(username) = lower($1) AND username IS NOT NULL ORDER BY id LIMIT 2`, username)
	if err != nil {
		return core.User{}, mapErr(err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.User, error) { return scanUser(r) })
	switch {
	case err != nil:
		return core.User{}, mapErr(err)
	case len(users) == 0:
		return core.User{}, core.Errorf(core.CodeNotFound, "No user has the username @%s.", username)
	case len(users) > 1:
		return core.User{}, core.Errorf(core.CodeConflict, "Several users had the username @%s; use their account id.", username)
	}
	return users[0], nil
}

// UpdateUserTelegram implements core.UserStore.
func (db *DB) UpdateUserTelegram(ctx context.Context, id int64, username, telegramLanguage string) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE users SET username = NULLIF($2, ''), telegram_language = NULLIF($3, ''),
		blocked_at = NULL WHERE id = $1`, id, username, telegramLanguage)
	return mapErr(err)
}

// SetUserLanguage implements core.UserStore.
func (db *DB) SetUserLanguage(ctx context.Context, id int64, language string) error {
	tag, err := db.q(ctx).Exec(ctx, `UPDATE users SET language = NULLIF($2, '') WHERE id = $1`, id, language)
	if err == nil && tag.RowsAffected() == 0 {
		return core.Errorf(core.CodeNotFound, "User %d does not exist.", id)
	}
	return mapErr(err)
}

// SetUserBlocked implements core.UserStore. The first time a block is seen
// is kept.
func (db *DB) SetUserBlocked(ctx context.Context, telegramID int64, blocked bool) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE users SET blocked_at = CASE WHEN $2 THEN COALESCE(blocked_at, now()) END
		WHERE telegram_id = $1`, telegramID, blocked)
	return mapErr(err)
}
