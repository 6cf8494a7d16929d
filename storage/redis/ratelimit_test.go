package redis_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/storage/redis"
	"accgen/storage/redis/redistest"
)

func TestRateLimiterTripsAndRecovers(t *testing.T) {
	t.Parallel()
	c := redistest.New(t)
	l := redis.NewRateLimiter(c, core.RateLimit{Requests: 5, Period: time.Second}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	for i := range 5 {
		d, err := l.Allow(ctx, "key-a")
		require.NoError(t, err)
		require.True(t, d.Allowed, "request %d", i)
		require.Equal(t, 4-i, d.Remaining)
	}
	d, err := l.Allow(ctx, "key-a")
	require.NoError(t, err)
	require.False(t, d.Allowed)
	require.Positive(t, d.RetryAfter)
	require.LessOrEqual(t, d.RetryAfter, 250*time.Millisecond)

	other, err := l.Allow(ctx, "key-b")
	require.NoError(t, err)
	require.True(t, other.Allowed, "keys are limited separately")

	time.Sleep(d.RetryAfter + 20*time.Millisecond)
	d, err = l.Allow(ctx, "key-a")
	require.NoError(t, err)
	require.True(t, d.Allowed, "recovers after RetryAfter")
}

// With Redis gone the limiter keeps limiting in-process instead of failing.
func TestRateLimiterFallsBackWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	c := redistest.New(t)
	l := redis.NewRateLimiter(c, core.RateLimit{Requests: 3, Period: time.Minute}, slog.New(slog.DiscardHandler))
	require.NoError(t, c.Close()) // every command now fails
	ctx := context.Background()
	for range 3 {
		d, err := l.Allow(ctx, "k")
		require.NoError(t, err)
		require.True(t, d.Allowed)
	}
	d, err := l.Allow(ctx, "k")
	require.NoError(t, err)
	require.False(t, d.Allowed)
	require.Greater(t, d.RetryAfter, 10*time.Second)
}

// An outage under load does not write a warning per request.
func TestRateLimiterFallbackWarningsAreBounded(t *testing.T) {
	t.Parallel()
	c := redistest.New(t)
	var log bytes.Buffer
	l := redis.NewRateLimiter(c, core.RateLimit{Requests: 1000, Period: time.Second}, slog.New(slog.NewTextHandler(&log, nil)))
	require.NoError(t, c.Close())
	for range 200 {
		d, err := l.Allow(context.Background(), "k")
		require.NoError(t, err)
		require.True(t, d.Allowed)
	}
	require.Equal(t, 1, strings.Count(log.String(), "falling back"), log.String())
}

// Leases (tokens taken from Redis in batches for a busy key) never let two
// instances together exceed the shared allowance.
func TestRateLimiterLeasesNeverExceedTheLimit(t *testing.T) {
	t.Parallel()
	c := redistest.New(t)
	limit := core.RateLimit{Requests: 400, Period: time.Second}
	instances := []*redis.RateLimiter{
		redis.NewRateLimiter(c, limit, slog.New(slog.DiscardHandler)),
		redis.NewRateLimiter(c, limit, slog.New(slog.DiscardHandler)),
	}
	ctx := context.Background()
	var allowed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			l := instances[w%2]
			for range 300 {
				d, err := l.Allow(ctx, "busy")
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	// The burst plus what the rate refilled meanwhile (and one token's slack).
	ceiling := int64(float64(limit.Requests)*(1+elapsed.Seconds())) + 1
	got := allowed.Load()
	t.Logf("%d of 2400 allowed in %s (ceiling %d)", got, elapsed, ceiling)
	require.LessOrEqual(t, got, ceiling)
	require.GreaterOrEqual(t, got, int64(limit.Requests)*9/10, "leases may lose a few tokens, not the allowance")
}

// With Redis gone, concurrent requests of one busy key do not queue behind
// each other's timeouts: they share the one failed refill and fall back.
func TestRateLimiterOutageDoesNotSerialiseABusyKey(t *testing.T) {
	t.Parallel()
	// A "Redis" on loopback that accepts connections and never answers:
	// every call waits out the limiter's timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c, err := redis.New("redis://"+ln.Addr().String()+"/0", "test:")
	require.NoError(t, err)
	defer c.Close()
	l := redis.NewRateLimiter(c, core.RateLimit{Requests: 100000, Period: time.Second}, slog.New(slog.DiscardHandler))
	start := time.Now()
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			d, err := l.Allow(context.Background(), "busy")
			if err != nil || !d.Allowed {
				t.Errorf("allowed %v, err %v", d.Allowed, err)
			}
		})
	}
	wg.Wait()
	// The limiter gives Redis 50 ms; forty timeouts in a row would be 2 s.
	took := time.Since(start)
	t.Logf("40 requests in %s", took)
	require.Less(t, took, 500*time.Millisecond)
}
