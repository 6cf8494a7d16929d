package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/storage/postgres/pgtest"
)

// No PostgreSQL text value holds a NUL byte; one that reaches a query from a
// client is that client's invalid input, not a server error.
func TestNULBytesAreInvalidInputNotInternalErrors(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	_, err := db.WebhookDeliveryByID(context.Background(), "msg_\x00")
	require.Equal(t, core.CodeInvalid, core.ErrorCode(err), "%v", err)
	_, err = db.SMSOrderByIdempotencyKey(context.Background(), 1, "key\x00")
	require.Equal(t, core.CodeInvalid, core.ErrorCode(err), "%v", err)
}

// After the server closed the pool's connections (a restart, an operator's
// pg_terminate_backend), the next transactions begin on a fresh connection
// instead of failing once per stale one.
func TestTransactionsSurviveTerminatedConnections(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	var conns []*pgxpool.Conn
	var pids []uint32
	for range 4 {
		c, err := db.Pool().Acquire(ctx)
		require.NoError(t, err)
		conns = append(conns, c)
		pids = append(pids, c.Conn().PgConn().PID())
	}
	for _, c := range conns {
		c.Release()
	}
	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	require.NoError(t, err)
	defer admin.Close(ctx)
	for _, pid := range pids {
		_, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, int32(pid))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		var n int
		_ = admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)`, pids).Scan(&n)
		return n == 0
	}, 5*time.Second, 10*time.Millisecond)
	for i := range 4 {
		err := db.InTx(ctx, func(ctx context.Context) error {
			_, err := db.SMSOrderByIdempotencyKey(ctx, 1, "k")
			if core.ErrorCode(err) == core.CodeNotFound {
				return nil
			}
			return err
		})
		require.NoError(t, err, "transaction %d", i)
	}
}
