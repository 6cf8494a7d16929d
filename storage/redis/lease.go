package redis

import (
	"sync"
	"time"
)

// A busy key would cost a Redis round trip per request. Instead the limiter
// takes tokens for it in small batches (a lease) and hands them out in
// process: the shared limit is still never exceeded, because every token is
// taken from Redis before it is used. Tokens a lease still holds when it
// lapses are lost, so a lease grows only while its key uses it up in time,
// shrinks when tokens lapse, and is capped at a twentieth of the allowance:
// a client may be refused a little early at the edge of its limit, never
// let through beyond it. A key sending a request now and then always takes
// one token at a time, exactly as without leases.
const (
	leaseTTL      = 100 * time.Millisecond
	leaseMaxSize  = 64
	leasePruneAge = time.Minute
)

// lease is one key's batch of tokens taken from Redis and not yet used.
type lease struct {
	mu         sync.Mutex
	tokens     int       // taken, not yet handed out
	expires    time.Time // tokens still held then are dropped
	size       int       // how many to take next time
	remaining  int       // what Redis said was left after the last take
	resetAfter time.Duration
	used       time.Time

	// refill is closed when the request taking the next batch from Redis
	// has its answer (nil when none is in flight); the flags say how the
	// last refill ended, for the requests that waited for it.
	refill        chan struct{}
	refillFailed  bool // Redis did not answer
	refillRefused bool // the key is at its limit
	retryAfter    time.Duration
}

// take hands out one leased token if one is left and fresh.
func (ls *lease) take(now time.Time) bool {
	ls.used = now
	if ls.tokens > 0 && now.Before(ls.expires) {
		ls.tokens--
		return true
	}
	return false
}

// nextSize is how many tokens to ask for now that the lease is empty or
// lapsed: twice as many when the last batch ran out in time, half as many
// when tokens lapsed unused.
func (ls *lease) nextSize(now time.Time, max int) int {
	switch {
	case ls.tokens == 0 && now.Before(ls.expires):
		ls.size = min(ls.size*2, max)
	case ls.tokens > 0:
		ls.size = ls.size / 2
	}
	ls.size = min(max, ls.size)
	if ls.size < 1 {
		ls.size = 1
	}
	return ls.size
}

// granted records a batch of n tokens (n ≥ 1) of which one is used now.
func (ls *lease) granted(now time.Time, n, remaining int, resetAfter time.Duration) {
	ls.tokens = n - 1
	ls.expires = now.Add(leaseTTL)
	ls.remaining, ls.resetAfter = remaining, resetAfter
}

// refused drops what is left: the key is at its limit, so be exact again.
func (ls *lease) refused() {
	ls.tokens, ls.size = 0, 1
}

// leases holds a lease per key and forgets keys idle for a minute.
type leases struct {
	mu     sync.Mutex
	m      map[string]*lease
	pruned time.Time
}

func (l *leases) get(key string, now time.Time) *lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*lease{}
	}
	if now.Sub(l.pruned) > leasePruneAge {
		for k, ls := range l.m {
			if ls.mu.TryLock() {
				if now.Sub(ls.used) > leasePruneAge {
					delete(l.m, k)
				}
				ls.mu.Unlock()
			}
		}
		l.pruned = now
	}
	ls, ok := l.m[key]
	if !ok {
		ls = &lease{size: 1, used: now}
		l.m[key] = ls
	}
	return ls
}
