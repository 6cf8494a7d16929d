package redis

import (
	"context"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Sessions keeps what a Telegram user is in the middle of (typing a search,
// a quantity, a URL) as an opaque blob per user, with an expiry. It
// implements the bot's session store; the bot owns the blob's format.
type Sessions struct {
	client *Client
}

// NewSessions returns the session store over c.
func NewSessions(c *Client) *Sessions { return &Sessions{client: c} }

func (s *Sessions) key(userID int64) string {
	return s.client.key("session", strconv.FormatInt(userID, 10))
}

// LoadSession returns the user's session, or nil when there is none (never
// set, deleted or expired).
func (s *Sessions) LoadSession(ctx context.Context, userID int64) ([]byte, error) {
	b, err := s.client.rdb.Get(ctx, s.key(userID)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	return b, err
}

// SaveSession stores the user's session for ttl.
func (s *Sessions) SaveSession(ctx context.Context, userID int64, data []byte, ttl time.Duration) error {
	return s.client.rdb.Set(ctx, s.key(userID), data, ttl).Err()
}

// DeleteSession forgets the user's session.
func (s *Sessions) DeleteSession(ctx context.Context, userID int64) error {
	return s.client.rdb.Del(ctx, s.key(userID)).Err()
}
