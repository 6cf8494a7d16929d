package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Pipeline exposes the pipelined transaction to the tests.
func (db *DB) Pipeline(ctx context.Context, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	return db.pipeline(ctx, b, read)
}
