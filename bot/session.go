package bot

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// SessionStore keeps an opaque blob per Telegram user with an expiry
// (storage/redis.Sessions implements it). Load returns nil, nil when there
// is no session.
type SessionStore interface {
	LoadSession(ctx context.Context, userID int64) ([]byte, error)
	SaveSession(ctx context.Context, userID int64, data []byte, ttl time.Duration) error
	DeleteSession(ctx context.Context, userID int64) error
}

// Session states: what the next text message from the user means. Every
// other step keeps its state in the callback data, so only typing needs a
// session.
const (
	stateSearch     = "search"   // a service name to search for
	stateQuantity   = "qty"      // how many items of ProductID
	stateKeyName    = "key_name" // a name for a new API key
	stateWebhookURL = "hook_url" // the webhook URL for KeyID
)

// session is what a user is in the middle of.
type session struct {
	State     string `json:"s"`
	ProductID int64  `json:"p,omitempty"`
	KeyID     int64  `json:"k,omitempty"`
}

// errSessions is a session store failure (Redis down): the user is asked
// to try again rather than shown an error from deep inside.
var errSessions = errors.New("bot: sessions unavailable")

// loadSession returns the user's session; ok is false when there is none
// (never started, finished or expired).
func (r *req) loadSession() (session, bool, error) {
	b, err := r.b.d.Sessions.LoadSession(r.ctx, r.from.ID)
	if err != nil {
		r.b.logger.WarnContext(r.ctx, "session load failed", "err", err)
		return session{}, false, errSessions
	}
	if b == nil {
		return session{}, false, nil
	}
	var s session
	if err := json.Unmarshal(b, &s); err != nil || s.State == "" {
		return session{}, false, nil // unreadable: treat as lost
	}
	return s, true, nil
}

// saveSession starts (or replaces) the user's session.
func (r *req) saveSession(s session) error {
	b, _ := json.Marshal(s)
	if err := r.b.d.Sessions.SaveSession(r.ctx, r.from.ID, b, r.b.cfg.SessionTTL); err != nil {
		r.b.logger.WarnContext(r.ctx, "session save failed", "err", err)
		return errSessions
	}
	return nil
}

// clearSession ends the user's session; a failure only means the session
// expires on its own.
func (r *req) clearSession() {
	if err := r.b.d.Sessions.DeleteSession(r.ctx, r.from.ID); err != nil {
		r.b.logger.WarnContext(r.ctx, "session delete failed", "err", err)
	}
}
