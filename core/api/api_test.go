package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/api"
	"accgen/core/httpx"
	"accgen/storage/postgres/pgtest"
	"accgen/storage/redis"
	"accgen/storage/redis/redistest"
)

type apiBundle struct {
	srv    *httptest.Server
	users  *core.Users
	keys   *core.Keys
	ledger *core.Ledger
}

func setup(t *testing.T, limit core.RateLimit) apiBundle {
	t.Helper()
	db := pgtest.New(t)
	rdb := redistest.New(t)
	logger := slog.New(slog.DiscardHandler)
	b := apiBundle{users: core.NewUsers(db), keys: core.NewKeys(db, db), ledger: core.NewLedger(db)}
	h := api.NewHandler(api.Deps{
		Keys:    b.keys,
		Wallets: b.ledger,
		Limiter: redis.NewRateLimiter(rdb, limit, logger),
		Logger:  logger,
	})
	b.srv = httptest.NewServer(httpx.WithRequestID(h))
	t.Cleanup(b.srv.Close)
	return b
}

// reseller creates a user with a key and returns both.
func (b apiBundle) reseller(t *testing.T, telegramID int64) (core.User, string) {
	t.Helper()
	ctx := context.Background()
	u, _, err := b.users.Ensure(ctx, core.NewUser{TelegramID: telegramID})
	require.NoError(t, err)
	key, _, err := b.keys.Issue(ctx, u.ID, "test")
	require.NoError(t, err)
	return u, key
}

type envelope struct {
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func do(t *testing.T, method, url, key string) (*http.Response, envelope, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var env envelope
	require.NoError(t, json.Unmarshal(raw, &env), string(raw))
	require.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	return resp, env, string(raw)
}

func requireError(t *testing.T, env envelope, code string) {
	t.Helper()
	require.False(t, env.Success)
	require.NotNil(t, env.Error)
	require.Equal(t, code, env.Error.Code)
	require.NotEmpty(t, env.Error.Message)
}

var generous = core.RateLimit{Requests: 1000, Period: time.Second}

func TestBalance(t *testing.T) {
	t.Parallel()
	b := setup(t, generous)
	u, key := b.reseller(t, 10)
	_, err := b.ledger.TopUp(context.Background(), u.ID, decimal.RequireFromString("1250.5"), "t1", "")
	require.NoError(t, err)

	resp, env, raw := do(t, "GET", b.srv.URL+"/api/v1/user/balance", key)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, env.Success)
	require.JSONEq(t, `{"balance_ngn":1250.50,"currency":"NGN"}`, string(env.Data))
	require.Contains(t, raw, `"balance_ngn":1250.50`, "money has exactly two decimals")
	require.NotEmpty(t, resp.Header.Get("X-Request-Id"))
	require.Contains(t, resp.Header.Get("RateLimit-Policy"), "q=1000")
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t, generous)
	u, key := b.reseller(t, 11)
	revokedKey, revoked, err := b.keys.Issue(context.Background(), u.ID, "old")
	require.NoError(t, err)
	require.NoError(t, b.keys.Revoke(context.Background(), u.ID, revoked.ID))
	unknown, err := core.GenerateAPIKey()
	require.NoError(t, err)

	for name, k := range map[string]string{
		"missing":   "",
		"malformed": "acc_nope",
		"unknown":   unknown,
		"revoked":   revokedKey,
		"tampered":  key[:len(key)-1] + "x",
	} {
		resp, env, _ := do(t, "GET", b.srv.URL+"/api/v1/user/balance", k)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
		requireError(t, env, "UNAUTHORIZED")
	}
	resp, _, _ := do(t, "GET", b.srv.URL+"/api/v1/user/balance", key)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestRateLimitTripsAndRecovers(t *testing.T) {
	t.Parallel()
	b := setup(t, core.RateLimit{Requests: 3, Period: time.Second})
	_, key := b.reseller(t, 12)
	_, otherKey := b.reseller(t, 13)
	url := b.srv.URL + "/api/v1/user/balance"
	for range 3 {
		resp, _, _ := do(t, "GET", url, key)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp, env, _ := do(t, "GET", url, key)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	requireError(t, env, "RATE_LIMIT_EXCEEDED")
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, retry, 1)

	resp, _, _ = do(t, "GET", url, otherKey)
	require.Equal(t, http.StatusOK, resp.StatusCode, "another key has its own allowance")

	time.Sleep(400 * time.Millisecond) // one request's worth of allowance at 3/s
	resp, _, _ = do(t, "GET", url, key)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the limit recovers")
}

func TestUnknownRouteAndWrongMethodKeepTheEnvelope(t *testing.T) {
	t.Parallel()
	b := setup(t, generous)
	_, key := b.reseller(t, 14)

	resp, env, _ := do(t, "GET", b.srv.URL+"/api/v1/nope", key)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	requireError(t, env, "NOT_FOUND")

	resp, env, _ = do(t, "GET", b.srv.URL+"/api/v1/nope", "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "routing comes before authentication")
	requireError(t, env, "NOT_FOUND")

	resp, env, _ = do(t, "DELETE", b.srv.URL+"/api/v1/user/balance", key)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	requireError(t, env, "METHOD_NOT_ALLOWED")
	require.Contains(t, resp.Header.Get("Allow"), "GET")
}

// failingWallets stands in for a store whose database just failed.
type failingWallets struct{}

func (failingWallets) Balance(context.Context, int64) (decimal.Decimal, error) {
	return decimal.Zero, core.Internal(errors.New("dial tcp 10.1.2.3:5432: password authentication failed for user accgen"))
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	users, keys := core.NewUsers(db), core.NewKeys(db, db)
	u, _, err := users.Ensure(context.Background(), core.NewUser{TelegramID: 15})
	require.NoError(t, err)
	key, _, err := keys.Issue(context.Background(), u.ID, "")
	require.NoError(t, err)
	var logs strings.Builder
	h := api.NewHandler(api.Deps{
		Keys:    keys,
		Wallets: failingWallets{},
		Limiter: redis.NewRateLimiter(redistest.New(t), generous, slog.New(slog.DiscardHandler)),
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	})
	srv := httptest.NewServer(httpx.WithRequestID(h))
	defer srv.Close()

	resp, env, raw := do(t, "GET", srv.URL+"/api/v1/user/balance", key)
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	requireError(t, env, "INTERNAL_ERROR")
	require.NotContains(t, raw, "password")
	require.NotContains(t, raw, "10.1.2.3")
	require.Contains(t, logs.String(), "password authentication failed", "the cause is logged")
	require.Contains(t, logs.String(), resp.Header.Get("X-Request-Id"), "with the request id")
}

// Guessing keys from one address is cut off after a few failures, without
// affecting other addresses' valid keys.
func TestFailedAuthenticationIsLimitedPerAddress(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	rdb := redistest.New(t)
	logger := slog.New(slog.DiscardHandler)
	users, keys := core.NewUsers(db), core.NewKeys(db, db)
	u, _, err := users.Ensure(context.Background(), core.NewUser{TelegramID: 16})
	require.NoError(t, err)
	key, _, err := keys.Issue(context.Background(), u.ID, "")
	require.NoError(t, err)
	h := api.NewHandler(api.Deps{
		Keys: keys, Wallets: core.NewLedger(db), Logger: logger,
		Limiter:   redis.NewRateLimiter(rdb, generous, logger),
		AuthGuard: httpx.NewAuthGuard(redis.NewRateLimiter(rdb, core.RateLimit{Requests: 3, Period: time.Minute}, logger)),
	})
	srv := httptest.NewServer(httpx.WithRequestID(h))
	defer srv.Close()

	for range 3 {
		resp, _, _ := do(t, "GET", srv.URL+"/api/v1/user/balance", "acc_wrong")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, _, _ := do(t, "GET", srv.URL+"/api/v1/user/balance", "acc_wrong")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the failure over the limit is still answered")
	resp, env, _ := do(t, "GET", srv.URL+"/api/v1/user/balance", key)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "now the address is blocked, even with a valid key")
	requireError(t, env, "RATE_LIMIT_EXCEEDED")
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
}
