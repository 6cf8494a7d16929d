// Package redistest gives each test a real Redis client whose keys live
// under a unique prefix, removed when the test ends. Import it from _test.go
// files only.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"accgen/storage/redis"
)

// DefaultURL is the Redis the tests use unless ACCGEN_TEST_REDIS_URL names
// another; `make test` starts one there when none is running.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns the test Redis URL.
func URL() string {
	if u := os.Getenv("ACCGEN_TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Prefix returns a fresh key prefix for t.
func Prefix(t testing.TB) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "accgen-test:" + hex.EncodeToString(b) + ":"
}

// New returns a client for t under a fresh prefix.
func New(t testing.TB) *redis.Client {
	t.Helper()
	ctx := context.Background()
	c, err := redis.Open(ctx, URL(), Prefix(t))
	if err != nil {
		t.Fatalf("redistest: %v (is Redis running? `make test` starts one)", err)
	}
	t.Cleanup(func() {
		Flush(t, c)
		_ = c.Close()
	})
	return c
}

// Flush deletes every key under c's prefix.
func Flush(t testing.TB, c *redis.Client) {
	ctx := context.Background()
	iter := c.Raw().Scan(ctx, 0, c.Prefix()+"*", 500).Iterator()
	for iter.Next(ctx) {
		c.Raw().Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Logf("redistest: flush %s: %v", c.Prefix(), err)
	}
}
