package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"accgen/core"
	"accgen/core/httpx"
)

type principalKey struct{}

// principal returns who the authenticated request acts for.
func principal(r *http.Request) core.Principal {
	p, _ := r.Context().Value(principalKey{}).(core.Principal)
	return p
}

// authenticate checks X-API-Key (401 UNAUTHORIZED for a missing, unknown or
// revoked key), then applies the key's rate limit (429 RATE_LIMIT_EXCEEDED
// with Retry-After), and passes the principal on in the context.
func (h *Handler) authenticate(keys Authenticator, limiter core.RateLimiter, guard *httpx.AuthGuard, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := httpx.ClientIP(r)
		if wait, blocked := guard.Blocked(ip); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(wait))))
			writeErrorStatus(w, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "Too many failed authentication attempts. Try again later.")
			return
		}
		key := r.Header.Get("X-API-Key")
		if key == "" {
			guard.Failed(r.Context(), ip)
			writeErrorStatus(w, http.StatusUnauthorized, "UNAUTHORIZED", "Missing X-API-Key header")
			return
		}
		p, err := keys.Authenticate(r.Context(), key)
		if err != nil {
			if core.ErrorCode(err) == core.CodeUnauthorized {
				guard.Failed(r.Context(), ip)
			}
			h.writeError(w, r, err)
			return
		}
		if !h.allow(w, r, limiter, p) {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// allow applies the per-key limit and writes the RateLimit headers.
func (h *Handler) allow(w http.ResponseWriter, r *http.Request, limiter core.RateLimiter, p core.Principal) bool {
	d, err := limiter.Allow(r.Context(), "apikey:"+strconv.FormatInt(p.KeyID, 10))
	if err != nil {
		h.writeError(w, r, core.Internal(err))
		return false
	}
	window := int(d.Limit.Period / time.Second)
	w.Header().Set("RateLimit-Policy", fmt.Sprintf(`"per-key";q=%d;w=%d`, d.Limit.Requests, window))
	w.Header().Set("RateLimit", fmt.Sprintf(`"per-key";r=%d;t=%d`, d.Remaining, ceilSeconds(d.ResetAfter)))
	if d.Allowed {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(d.RetryAfter))))
	writeErrorStatus(w, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "Too many requests. Reduce your request rate.")
	return false
}

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
