package core

import (
	"sync"
	"time"
)

// breaker stops selling a service in a country after repeated upstream
// failures, instead of charging and refunding customers in a loop while the
// provider is broken for that pair. It is per instance and in memory: it
// protects the upstream account and customers, not money (the ledger does).
type breaker struct {
	mu        sync.Mutex
	threshold int           // consecutive failures that open the circuit
	cooldown  time.Duration // how long it stays open before one trial
	now       func() time.Time
	state     map[offerKey]*circuit
}

type circuit struct {
	failures  int
	openUntil time.Time
}

func newBreaker(threshold int, cooldown time.Duration, now func() time.Time) *breaker {
	return &breaker{threshold: threshold, cooldown: cooldown, now: now, state: map[offerKey]*circuit{}}
}

// allow reports whether a purchase of the pair may be tried now. After the
// cooldown one trial is let through; its result closes or reopens the circuit.
func (b *breaker) allow(service string, country int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.state[offerKey{service, country}]
	if c == nil || c.failures < b.threshold {
		return true
	}
	if b.now().Before(c.openUntil) {
		return false
	}
	c.openUntil = b.now().Add(b.cooldown) // half-open: this one trial, others wait
	return true
}

// record notes a purchase's upstream outcome. Running out of numbers is not
// a failure of the provider.
func (b *breaker) record(service string, country int, failed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := offerKey{service, country}
	if !failed {
		delete(b.state, k)
		return
	}
	c := b.state[k]
	if c == nil {
		c = &circuit{}
		b.state[k] = c
	}
	c.failures++
	if c.failures >= b.threshold {
		c.openUntil = b.now().Add(b.cooldown)
	}
}
