package postgres

import (
	"context"
	"hash/fnv"

	"accgen/core"
)

var _ core.Locker = (*DB)(nil)

// TryLock implements core.Locker with a session advisory lock held on a
// dedicated connection until release, so only one engine instance runs a
// named job at a time; a crashed holder's lock dies with its connection.
func (db *DB) TryLock(ctx context.Context, name string) (func(), bool, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, false, mapErr(err)
	}
	h := fnv.New64a()
	h.Write([]byte("accgen:" + name))
	key := int64(h.Sum64())
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil || !ok {
		conn.Release()
		return nil, false, mapErr(err)
	}
	return func() {
		if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// The lock dies with the connection: drop it rather than reuse.
			conn.Conn().Close(context.Background()) //nolint:errcheck
		}
		conn.Release()
	}, true, nil
}
