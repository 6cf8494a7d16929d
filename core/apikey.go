package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"hash/crc32"
	"math/big"
	"strings"
	"sync"
	"time"
)

// API keys look like acc_<43 base62 chars of 32 random bytes><6 base62 chars
// of a CRC-32 of the part before>. The checksum lets malformed keys be
// refused before any database or Redis call; only a SHA-256 of the key and a
// short display prefix are stored.
const (
	APIKeyPrefix      = "acc_"
	apiKeyRandomLen   = 43 // ceil(256 / log2(62))
	apiKeyChecksumLen = 6
	apiKeyLen         = len(APIKeyPrefix) + apiKeyRandomLen + apiKeyChecksumLen
	apiKeyDisplayLen  = 12
	maxKeyNameLen     = 64
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// APIKey is a reseller key as stored (never the key itself).
type APIKey struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string // first characters of the key, for display
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Principal is who a request acts for: the key's owner and the key.
type Principal struct {
	UserID int64
	KeyID  int64
}

// APIKeyStore persists API keys.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k APIKey, hash []byte) (APIKey, error)
	// ActiveAPIKeyByHash returns CodeNotFound for unknown or revoked keys.
	ActiveAPIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// TouchAPIKey records use; it may skip the write when the last one is recent.
	TouchAPIKey(ctx context.Context, id int64) error
	ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error)
	// RevokeAPIKey returns CodeNotFound when the user has no such active key.
	RevokeAPIKey(ctx context.Context, userID, keyID int64) error
}

// Keys issues, authenticates and revokes API keys.
//
// Authentication is on every request (resellers poll getStatus every few
// seconds per live number), so a successful lookup is remembered in memory
// for keyCacheTTL and last-use times are written at most once a minute per
// key. A revocation takes effect at once on the instance that made it and
// within keyCacheTTL on the others.
type Keys struct {
	store APIKeyStore
	users UserStore

	mu       sync.Mutex
	cache    map[string]cachedKey // by SHA-256 of the key
	touched  map[int64]time.Time  // when this instance last recorded a key's use
	cacheTTL time.Duration
}

type cachedKey struct {
	key     APIKey
	expires time.Time
}

// keyCacheTTL bounds how long another instance may accept a revoked key.
const keyCacheTTL = 5 * time.Second

// maxCachedKeys bounds the cache; beyond it the cache starts over.
const maxCachedKeys = 50_000

// NewKeys returns a Keys service.
func NewKeys(store APIKeyStore, users UserStore) *Keys {
	return &Keys{store: store, users: users, cache: map[string]cachedKey{}, touched: map[int64]time.Time{}, cacheTTL: keyCacheTTL}
}

// Issue creates a key for userID and returns it in plain text, the only time
// it is ever visible.
func (s *Keys) Issue(ctx context.Context, userID int64, name string) (string, APIKey, error) {
	name = strings.TrimSpace(name)
	if err := checkText("name", name, maxKeyNameLen); err != nil {
		return "", APIKey{}, err
	}
	if _, err := s.users.UserByID(ctx, userID); err != nil {
		return "", APIKey{}, err
	}
	plain, err := GenerateAPIKey()
	if err != nil {
		return "", APIKey{}, Internal(err)
	}
	k, err := s.store.CreateAPIKey(ctx, APIKey{UserID: userID, Name: name, Prefix: plain[:apiKeyDisplayLen]}, HashAPIKey(plain))
	if err != nil {
		return "", APIKey{}, err
	}
	return plain, k, nil
}

// Authenticate resolves a plain key to its principal. Any failure is
// CodeUnauthorized with the same message, so callers learn nothing more.
func (s *Keys) Authenticate(ctx context.Context, plain string) (Principal, error) {
	if !WellFormedAPIKey(plain) {
		return Principal{}, errInvalidKey
	}
	hash := HashAPIKey(plain)
	k, ok := s.cached(hash)
	if !ok {
		var err error
		k, err = s.store.ActiveAPIKeyByHash(ctx, hash)
		if ErrorCode(err) == CodeNotFound {
			return Principal{}, errInvalidKey
		}
		if err != nil {
			return Principal{}, err
		}
		s.remember(hash, k)
	}
	if s.touchDue(k.ID) {
		if err := s.store.TouchAPIKey(ctx, k.ID); err != nil {
			return Principal{}, err
		}
	}
	return Principal{UserID: k.UserID, KeyID: k.ID}, nil
}

func (s *Keys) cached(hash []byte) (APIKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[string(hash)]
	if !ok || time.Now().After(c.expires) {
		return APIKey{}, false
	}
	return c.key, true
}

func (s *Keys) remember(hash []byte, k APIKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) >= maxCachedKeys {
		s.cache = map[string]cachedKey{}
	}
	s.cache[string(hash)] = cachedKey{key: k, expires: time.Now().Add(s.cacheTTL)}
}

// touchDue reports whether this instance should record a key's use now.
func (s *Keys) touchDue(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if last, ok := s.touched[id]; ok && now.Sub(last) < time.Minute {
		return false
	}
	if len(s.touched) >= maxCachedKeys {
		s.touched = map[int64]time.Time{}
	}
	s.touched[id] = now
	return true
}

// forget drops a key from the cache (it was revoked here).
func (s *Keys) forget(keyID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.cache {
		if c.key.ID == keyID {
			delete(s.cache, h)
		}
	}
}

// List returns a user's keys, newest first, revoked ones included.
func (s *Keys) List(ctx context.Context, userID int64) ([]APIKey, error) {
	return s.store.ListAPIKeys(ctx, userID)
}

// Revoke disables a key at once.
func (s *Keys) Revoke(ctx context.Context, userID, keyID int64) error {
	err := s.store.RevokeAPIKey(ctx, userID, keyID)
	s.forget(keyID)
	return err
}

var errInvalidKey = Errorf(CodeUnauthorized, "Invalid API key")

// GenerateAPIKey returns a fresh random key.
func GenerateAPIKey() (string, error) {
	var buf [32]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", err
	}
	body := APIKeyPrefix + encodeBase62(new(big.Int).SetBytes(buf[:]), apiKeyRandomLen)
	return body + checksum(body), nil
}

// WellFormedAPIKey checks a key's shape and checksum without any I/O.
func WellFormedAPIKey(s string) bool {
	if len(s) != apiKeyLen || !strings.HasPrefix(s, APIKeyPrefix) {
		return false
	}
	for i := len(APIKeyPrefix); i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return false
		}
	}
	body := s[:len(s)-apiKeyChecksumLen]
	return s[len(body):] == checksum(body)
}

// HashAPIKey is the stored form of a key.
func HashAPIKey(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}

func checksum(body string) string {
	return encodeBase62(big.NewInt(int64(crc32.ChecksumIEEE([]byte(body)))), apiKeyChecksumLen)
}

// encodeBase62 writes n in base62, left-padded with zeros to width.
func encodeBase62(n *big.Int, width int) string {
	out := make([]byte, width)
	base := big.NewInt(62)
	rem := new(big.Int)
	n = new(big.Int).Set(n)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, rem)
		out[i] = base62[rem.Int64()]
	}
	return string(out)
}
