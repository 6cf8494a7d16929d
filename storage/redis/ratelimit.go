package redis

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"golang.org/x/time/rate"

	"accgen/core"
)

// RateLimiter is a GCRA limiter shared by every instance through Redis
// (go-redis/redis_rate). When Redis does not answer within a few
// milliseconds it falls back to an in-process limiter with the same
// allowance, so an outage neither blocks the API nor lifts the limit.
type RateLimiter struct {
	limiter  *redis_rate.Limiter
	client   *Client
	limit    core.RateLimit
	timeout  time.Duration
	logger   *slog.Logger
	fallback *localLimiter
	leases   leases
	maxLease int // 1: no leases, every request asks Redis

	warnedAt   atomic.Int64 // unix nanos of the last fallback warning
	suppressed atomic.Int64 // fallbacks since then that were not logged
}

// fallbackLogEvery bounds the fallback warnings: during an outage every
// request falls back, and a line per request would flood the log.
const fallbackLogEvery = 10 * time.Second

var _ core.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter allowing limit per key.
func NewRateLimiter(c *Client, limit core.RateLimit, logger *slog.Logger) *RateLimiter {
	return &RateLimiter{
		limiter:  redis_rate.NewLimiter(c.rdb),
		client:   c,
		limit:    limit,
		timeout:  50 * time.Millisecond,
		logger:   logger,
		fallback: newLocalLimiter(limit),
		maxLease: min(leaseMaxSize, max(1, limit.Requests/20)),
	}
}

// Allow implements core.RateLimiter. A busy key is served from a lease of
// tokens taken from Redis in one round trip (see lease.go). One request at a
// time refills a key's lease, outside the lease's lock; requests arriving
// meanwhile wait for that one round trip and share its outcome (a refusal,
// or Redis failing: then they fall back at once instead of each waiting out
// its own timeout).
func (l *RateLimiter) Allow(ctx context.Context, key string) (core.RateDecision, error) {
	ls := l.leases.get(key, time.Now())
	ls.mu.Lock()
	for {
		now := time.Now()
		if ls.take(now) {
			d := core.RateDecision{Allowed: true, Limit: l.limit, Remaining: ls.remaining + ls.tokens, ResetAfter: ls.resetAfter}
			ls.mu.Unlock()
			return d, nil
		}
		if ls.refill == nil {
			break
		}
		wait := ls.refill
		ls.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return l.fallback.allow(key), nil
		}
		ls.mu.Lock()
		switch {
		case ls.refillFailed:
			ls.mu.Unlock()
			return l.fallback.allow(key), nil
		case ls.refillRefused:
			d := core.RateDecision{Limit: l.limit, Remaining: 0, RetryAfter: ls.retryAfter, ResetAfter: ls.resetAfter}
			ls.mu.Unlock()
			return d, nil
		}
		// Granted, but the waiters before this one used it up: refill again.
	}
	n := ls.nextSize(time.Now(), l.maxLease)
	done := make(chan struct{})
	ls.refill = done
	ls.mu.Unlock()

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.timeout)
	res, err := l.limiter.AllowAtMost(rctx, l.client.key("rate", key), redis_rate.Limit{
		Rate: l.limit.Requests, Burst: l.limit.Requests, Period: l.limit.Period,
	}, n)
	cancel()

	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.refill = nil
	ls.refillFailed, ls.refillRefused = err != nil, err == nil && res.Allowed < 1
	defer close(done)
	if err != nil {
		ls.refused()
		l.warnFallback(ctx, err)
		return l.fallback.allow(key), nil
	}
	d := core.RateDecision{Limit: l.limit, Remaining: res.Remaining, ResetAfter: res.ResetAfter}
	if res.Allowed < 1 {
		ls.refused()
		ls.retryAfter, ls.resetAfter = res.RetryAfter, res.ResetAfter
		d.RetryAfter = res.RetryAfter
		return d, nil
	}
	ls.granted(time.Now(), res.Allowed, res.Remaining, res.ResetAfter)
	d.Allowed, d.Remaining = true, res.Remaining+ls.tokens
	return d, nil
}

// warnFallback logs a fallback, at most once per fallbackLogEvery, with
// the number of fallbacks not logged since the previous line.
func (l *RateLimiter) warnFallback(ctx context.Context, err error) {
	now := time.Now().UnixNano()
	last := l.warnedAt.Load()
	if last != 0 && now-last < int64(fallbackLogEvery) || !l.warnedAt.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return
	}
	l.logger.WarnContext(ctx, "rate limiter falling back to in-process limits", "err", err, "unlogged_since_last", l.suppressed.Swap(0))
}

// localLimiter is the in-process fallback: one token bucket per key, idle
// buckets pruned so a flood of keys cannot grow memory without bound.
type localLimiter struct {
	mu      sync.Mutex
	limit   core.RateLimit
	buckets map[string]*localBucket
	pruned  time.Time
}

type localBucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newLocalLimiter(limit core.RateLimit) *localLimiter {
	return &localLimiter{limit: limit, buckets: map[string]*localBucket{}}
}

func (l *localLimiter) allow(key string) core.RateDecision {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.pruned) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.used) > l.limit.Period*2 {
				delete(l.buckets, k)
			}
		}
		l.pruned = now
	}
	b, ok := l.buckets[key]
	if !ok {
		every := rate.Every(l.limit.Period / time.Duration(l.limit.Requests))
		b = &localBucket{lim: rate.NewLimiter(every, l.limit.Requests)}
		l.buckets[key] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	d := core.RateDecision{Limit: l.limit}
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		d.RetryAfter = delay
	} else {
		d.Allowed = true
	}
	d.Remaining = int(math.Max(0, math.Floor(b.lim.TokensAt(now))))
	return d
}
