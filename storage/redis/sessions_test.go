package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/storage/redis"
	"accgen/storage/redis/redistest"
)

func TestSessionsRoundTripAndExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := redis.NewSessions(redistest.New(t))

	got, err := s.LoadSession(ctx, 42)
	require.NoError(t, err)
	require.Nil(t, got, "no session yet")

	require.NoError(t, s.SaveSession(ctx, 42, []byte(`{"state":"search"}`), time.Minute))
	got, err = s.LoadSession(ctx, 42)
	require.NoError(t, err)
	require.JSONEq(t, `{"state":"search"}`, string(got))

	other, err := s.LoadSession(ctx, 43)
	require.NoError(t, err)
	require.Nil(t, other, "sessions are per user")

	require.NoError(t, s.DeleteSession(ctx, 42))
	got, err = s.LoadSession(ctx, 42)
	require.NoError(t, err)
	require.Nil(t, got)

	require.NoError(t, s.SaveSession(ctx, 7, []byte("x"), 50*time.Millisecond))
	require.Eventually(t, func() bool {
		b, err := s.LoadSession(ctx, 7)
		return err == nil && b == nil
	}, 3*time.Second, 20*time.Millisecond, "a session expires")
}

func TestSessionsReportRedisDown(t *testing.T) {
	t.Parallel()
	c, err := redis.New("redis://127.0.0.1:1/0", "accgen-test:")
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	s := redis.NewSessions(c)
	_, err = s.LoadSession(context.Background(), 1)
	require.Error(t, err, "an unreachable Redis is an error, not an empty session")
	require.Error(t, s.SaveSession(context.Background(), 1, []byte("x"), time.Minute))
}
