package httpx

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"accgen/core"
)

// AuthGuard limits failed authentication attempts per client IP, so keys
// cannot be guessed at speed. Failures are counted in the shared limiter
// (all instances); once an address is over its allowance it is refused here
// without touching the database until the limiter's retry time passes.
type AuthGuard struct {
	limiter core.RateLimiter
	mu      sync.Mutex
	blocked map[string]time.Time
}

// NewAuthGuard returns a guard counting failures with limiter (for example
// 20 per minute per address).
func NewAuthGuard(limiter core.RateLimiter) *AuthGuard {
	return &AuthGuard{limiter: limiter, blocked: map[string]time.Time{}}
}

// Blocked reports whether ip must wait, and how long.
func (g *AuthGuard) Blocked(ip string) (time.Duration, bool) {
	if g == nil {
		return 0, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.blocked[ip]
	if !ok {
		return 0, false
	}
	if wait := time.Until(until); wait > 0 {
		return wait, true
	}
	delete(g.blocked, ip)
	return 0, false
}

// Failed counts a failed attempt from ip.
func (g *AuthGuard) Failed(ctx context.Context, ip string) {
	if g == nil {
		return
	}
	d, err := g.limiter.Allow(ctx, "authfail:"+ip)
	if err != nil || d.Allowed {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.blocked) > 100_000 { // a flood of addresses: forget the oldest blocks rather than grow
		for k, until := range g.blocked {
			if time.Until(until) <= 0 {
				delete(g.blocked, k)
			}
		}
	}
	g.blocked[ip] = time.Now().Add(d.RetryAfter)
}

// ClientIP is the address a request came from (the connection's peer; put a
// proxy in front and it is the proxy's address).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
