package core

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RateLimit is an allowance of Requests per Period, with a burst of the same size.
type RateLimit struct {
	Requests int
	Period   time.Duration
}

// ParseRateLimit reads "50/s", "3000/m" or "100000/h".
func ParseRateLimit(s string) (RateLimit, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	periods := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}
	requests, err := strconv.Atoi(n)
	period, known := periods[unit]
	if !ok || err != nil || requests <= 0 || !known {
		return RateLimit{}, fmt.Errorf("%q is not a rate such as 50/s, 3000/m or 100000/h", s)
	}
	return RateLimit{Requests: requests, Period: period}, nil
}

func (l RateLimit) String() string {
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[l.Period]
	return fmt.Sprintf("%d/%s", l.Requests, unit)
}

// RateDecision is the outcome of one rate-limit check.
type RateDecision struct {
	Allowed    bool
	Limit      RateLimit
	Remaining  int
	RetryAfter time.Duration // when refused: wait this long
	ResetAfter time.Duration // until the allowance is full again
}

// RateLimiter decides whether the holder of key may make one more request.
// Implementations must keep answering when their backing store is down.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (RateDecision, error)
}
