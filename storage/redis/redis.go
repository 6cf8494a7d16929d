// Package redis holds acc-gen's ephemeral state in Redis: rate limits now,
// sessions and caches later. No money state lives here. Every key goes
// through Client.key, so a prefix isolates tests and deployments.
package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Client is a Redis connection with a key prefix.
type Client struct {
	rdb    *goredis.Client
	prefix string
}

// New returns a client for a redis:// URL without connecting: the engine
// starts and serves while Redis is down, and readiness reports it.
// Timeouts are short because Redis is on the request path and an outage
// must degrade quickly, not hang requests.
func New(url, prefix string) (*Client, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	opts.DialTimeout = 2 * time.Second
	opts.ReadTimeout = 500 * time.Millisecond
	opts.WriteTimeout = 500 * time.Millisecond
	opts.MaxRetries = 1
	// A caller's deadline bounds the call (the rate limiter gives Redis
	// 50 ms before it falls back); without this go-redis waits out its own
	// read timeout on a Redis that accepts and never answers.
	opts.ContextTimeoutEnabled = true
	return &Client{rdb: goredis.NewClient(opts), prefix: prefix}, nil
}

// Open is New followed by a ping.
func Open(ctx context.Context, url, prefix string) (*Client, error) {
	c, err := New(url, prefix)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.rdb.Ping(pingCtx).Err(); err != nil {
		_ = c.rdb.Close()
		return nil, fmt.Errorf("connect to redis: %w", err)
	}
	return c, nil
}

// Ping checks that Redis answers.
func (c *Client) Ping(ctx context.Context) error { return c.rdb.Ping(ctx).Err() }

// Close closes the connection pool.
func (c *Client) Close() error { return c.rdb.Close() }

// Raw exposes the go-redis client for tests and wiring.
func (c *Client) Raw() *goredis.Client { return c.rdb }

// Prefix returns the key prefix.
func (c *Client) Prefix() string { return c.prefix }

func (c *Client) key(parts ...string) string {
	k := c.prefix
	for i, p := range parts {
		if i > 0 {
			k += ":"
		}
		k += p
	}
	return k
}
