package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/storage/postgres/pgtest"
	"accgen/storage/redis/redistest"
)

// env builds a getenv over a map, with the test database and Redis.
func env(dbURL string, extra ...string) func(string) string {
	m := map[string]string{
		"ACCGEN_DATABASE_URL": dbURL,
		"ACCGEN_REDIS_URL":    redistest.URL(),
		"ACCGEN_REDIS_PREFIX": redisPrefixFor(dbURL),
		"ACCGEN_HTTP_ADDR":    "127.0.0.1:0",
		"ACCGEN_LOG_LEVEL":    "warn",
		// A fixed key: serve needs one, and stock imports seal with it.
		"ACCGEN_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return func(k string) string { return m[k] }
}

// redisPrefixFor gives each test database its own Redis key space, so
// servers in parallel tests never share rate-limit buckets.
func redisPrefixFor(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(err)
	}
	return "accgen-test:" + strings.TrimPrefix(u.Path, "/") + ":"
}

// accgen runs one command in-process and returns its stdout.
func accgen(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, getenv, &stdout, &stderr)
	if err != nil {
		t.Logf("accgen %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), err
}

func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	for variable, value := range map[string]string{
		"ACCGEN_DATABASE_URL":         "mysql://x",
		"ACCGEN_FX_RATE":              "-3",
		"ACCGEN_MARKUP_PERCENT":       "lots",
		"ACCGEN_PRICE_STEP":           "0",
		"ACCGEN_POLL_INTERVAL":        "soon",
		"ACCGEN_SMS_TTL":              "-1m",
		"ACCGEN_BREAKER_COOLDOWN":     "soon",
		"ACCGEN_SMS_REFUND_COMPLETED": "maybe",
		"ACCGEN_ENCRYPTION_KEY":       "c2hvcnQ=",
		"ACCGEN_RATE_LIMIT":           "fast",
		"ACCGEN_ADMIN_TELEGRAM_IDS":   "12,@bob",
		"ACCGEN_TELEGRAM_WEBHOOK_URL": "https://bot.example/hook",
		"ACCGEN_LOG_FORMAT":           "xml",
	} {
		_, err := loadConfig(env("postgres://x/y", variable, value))
		require.ErrorContains(t, err, variable, "%s=%s", variable, value)
	}
	cfg, err := loadConfig(func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, ":8080", cfg.HTTPAddr)
	require.Equal(t, "1600", cfg.FXRate.String())
	require.Equal(t, 20*time.Minute, cfg.SMSTTL)
	require.True(t, cfg.SMSRefundCompleted)
	require.Equal(t, core.RateLimit{Requests: 50, Period: time.Second}, cfg.RateLimit)
}

func TestAdminCommandsAndLedgerVerify(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	getenv := env(dbURL)

	id, err := accgen(t, getenv, "admin", "user", "create", "--telegram-id", "4242", "--username", "@ada")
	require.NoError(t, err)
	again, err := accgen(t, getenv, "admin", "user", "create", "--telegram-id", "4242")
	require.NoError(t, err)
	require.Equal(t, id, again, "user create finds the existing user")

	key, err := accgen(t, getenv, "admin", "apikey", "create", "--user", id, "--name", "reseller bot")
	require.NoError(t, err)
	require.True(t, core.WellFormedAPIKey(key), key)

	bal, err := accgen(t, getenv, "admin", "topup", "--user", id, "--amount", "5000", "--reference", "bank-1")
	require.NoError(t, err)
	require.Equal(t, "5000.00", bal)
	bal, err = accgen(t, getenv, "admin", "topup", "--user", id, "--amount", "5000", "--reference", "bank-1")
	require.NoError(t, err)
	require.Equal(t, "5000.00", bal, "the same reference credits once")
	bal, err = accgen(t, getenv, "admin", "topup", "--user", id, "--amount", "0.50")
	require.NoError(t, err)
	require.Equal(t, "5000.50", bal)

	for _, args := range [][]string{
		{"admin", "topup", "--user", id, "--amount", "-5"},
		{"admin", "topup", "--user", id, "--amount", "1.001"},
		{"admin", "topup", "--amount", "5"},
		{"admin", "user", "create"},
		{"admin", "apikey", "create", "--user", "x"},
		{"admin", "frobnicate", "now"},
		{"nonsense"},
	} {
		_, err := accgen(t, getenv, args...)
		require.Equal(t, 2, exitCode(err), args)
	}
	_, err = accgen(t, getenv, "admin", "apikey", "create", "--user", "999999")
	require.Equal(t, 1, exitCode(err))
	require.ErrorContains(t, err, "does not exist")

	report, err := accgen(t, getenv, "ledger", "verify")
	require.NoError(t, err)
	require.Contains(t, report, "all invariants hold")

	// Damage the ledger behind its back: verify must fail with a report.
	conn, err := pgx.Connect(context.Background(), dbURL)
	require.NoError(t, err)
	_, err = conn.Exec(context.Background(), `UPDATE ledger_accounts SET balance = balance - 100 WHERE kind = 'wallet'`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(context.Background()))
	report, err = accgen(t, getenv, "ledger", "verify")
	require.Equal(t, 1, exitCode(err))
	require.Contains(t, report, "account balance equals the sum of its entries")
	require.Contains(t, report, "FAILED")
	require.Contains(t, report, "violation(s)")
}

// Two instances starting at once on an empty database both come up; the
// schema is migrated exactly once.
func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	getenv := env(pgtest.NewEmptyURL(t))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { _, errs[i] = accgen(t, getenv, "migrate") })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	_, err := accgen(t, getenv, "admin", "user", "create", "--telegram-id", "1")
	require.NoError(t, err)
}

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	getenv := env(dbURL)
	srv := startDemo(t, getenv)
	base := srv.base
	get := func(path, key string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := get("/healthz", "")
	require.Equal(t, 200, status, body)
	status, body = get("/readyz", "")
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"postgres":"ok"`)

	// --demo printed a working, funded key (before onListen fired).
	require.Contains(t, srv.stdout.String(), "curl")
	key := srv.key
	require.NotEmpty(t, key, srv.stdout.String())
	status, body = get("/api/v1/user/balance", key)
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"balance_ngn":50000.00`)

	status, body = get("/no/such/page", "")
	require.Equal(t, 404, status)
	require.Contains(t, body, `"NOT_FOUND"`)

	status, body = get("/metrics", "")
	require.Equal(t, 200, status)
	require.Contains(t, body, `accgen_http_requests_total{route="GET /api/v1/user/balance",status="200"} 1`)
	require.Contains(t, body, `accgen_ledger_ngn{total="topups"} 50000`)
	require.Contains(t, body, `accgen_upstream_requests_total{action="getPrices",result="ok"}`)
	require.Contains(t, body, `accgen_pg_pool_max_conns`)

	require.NoError(t, srv.stop(), "serve shuts down cleanly")
}
