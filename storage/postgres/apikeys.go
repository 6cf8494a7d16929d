package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

var _ core.APIKeyStore = (*DB)(nil)

const apiKeyColumns = `id, user_id, name, prefix, created_at, last_used_at, revoked_at`

func scanAPIKey(row pgx.Row) (core.APIKey, error) {
	var k core.APIKey
	err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

// CreateAPIKey implements core.APIKeyStore.
func (db *DB) CreateAPIKey(ctx context.Context, k core.APIKey, hash []byte) (core.APIKey, error) {
	k, err := scanAPIKey(db.q(ctx).QueryRow(ctx, `
		INSERT INTO api_keys (user_id, name, prefix, hash) VALUES ($1, $2, $3, $4)
		RETURNING `+apiKeyColumns, k.UserID, k.Name, k.Prefix, hash))
	return k, mapErr(err)
}

// ActiveAPIKeyByHash implements core.APIKeyStore.
func (db *DB) ActiveAPIKeyByHash(ctx context.Context, hash []byte) (core.APIKey, error) {
	k, err := scanAPIKey(db.q(ctx).QueryRow(ctx, `
		SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash))
	return k, mapErr(err)
}

// TouchAPIKey implements core.APIKeyStore. It writes at most once a minute
// per key so a polling client does not turn every read into a write.
func (db *DB) TouchAPIKey(ctx context.Context, id int64) error {
	_, err := db.q(ctx).Exec(ctx, `
		UPDATE api_keys SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, id)
	return mapErr(err)
}

// ListAPIKeys implements core.APIKeyStore.
func (db *DB) ListAPIKeys(ctx context.Context, userID int64) ([]core.APIKey, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE user_id = $1 ORDER BY id DESC`, userID)
	if err != nil {
		return nil, mapErr(err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.APIKey, error) { return scanAPIKey(r) })
	return keys, mapErr(err)
}

// RevokeAPIKey implements core.APIKeyStore.
func (db *DB) RevokeAPIKey(ctx context.Context, userID, keyID int64) error {
	var id int64
	err := db.q(ctx).QueryRow(ctx, `
		UPDATE api_keys SET revoked_at = now()
		WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id`, keyID, userID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return core.Errorf(core.CodeNotFound, "API key %d not found or already revoked.", keyID)
	}
	return mapErr(err)
}
