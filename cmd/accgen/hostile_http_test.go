package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"accgen/core/upstream/sim"
	"accgen/storage/postgres/pgtest"
)

// testEngine is `accgen serve` running in-process on a fresh database,
// against a simulator, with its log captured.
type testEngine struct {
	base   string
	dbURL  string
	sim    *sim.Sim
	getenv func(string) string
	logs   *lockedBuffer
}

// upstreamTestKey is the simulator's key in engine tests: distinctive, so
// a test can look for it in logs.
const upstreamTestKey = "upstream-secret-key-4c9e1f"

func startEngine(t *testing.T, extra ...string) *testEngine {
	t.Helper()
	dbURL := pgtest.NewURL(t)
	early := time.Duration(0)
	s := sim.New(sim.Config{EarlyCancel: &early, Seed: 11, APIKey: upstreamTestKey})
	upstream := httptest.NewServer(s.Handler())
	t.Cleanup(upstream.Close)
	t.Cleanup(s.Close)
	getenv := env(dbURL, append([]string{
		"ACCGEN_UPSTREAM_URL", upstream.URL + "/stubs/handler_api.php",
		"ACCGEN_UPSTREAM_API_KEY", upstreamTestKey,
		"ACCGEN_WEBHOOK_ALLOW_PRIVATE", "true",
		"ACCGEN_RATE_LIMIT", "100000/s",
		"ACCGEN_POLL_INTERVAL", "200ms",
	}, extra...)...)
	e := &testEngine{dbURL: dbURL, sim: s, getenv: getenv, logs: &lockedBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, nil, getenv, io.Discard, e.logs, serveHooks{onListen: func(a net.Addr) { addrs <- a }})
	}()
	select {
	case a := <-addrs:
		e.base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("serve stopped: %v\n%s", err, e.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return e
}

// reseller creates a user (by Telegram id) with a funded key; it returns
// the user id and the key.
func (e *testEngine) reseller(t *testing.T, telegramID int, funds string) (string, string) {
	t.Helper()
	uid, err := accgen(t, e.getenv, "admin", "user", "create", "--telegram-id", fmt.Sprint(telegramID))
	require.NoError(t, err)
	if funds != "" {
		_, err = accgen(t, e.getenv, "admin", "topup", "--user", uid, "--amount", funds)
		require.NoError(t, err)
	}
	return uid, e.key(t, uid)
}

func (e *testEngine) key(t *testing.T, uid string) string {
	t.Helper()
	key, err := accgen(t, e.getenv, "admin", "apikey", "create", "--user", uid)
	require.NoError(t, err)
	return key
}

// product creates a product with the given credentials in stock.
func (e *testEngine) product(t *testing.T, creds ...string) string {
	t.Helper()
	id, err := accgen(t, e.getenv, "admin", "product", "create", "--name", "Instagram aged", "--category", "Social", "--price", "1500")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "stock.txt")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(creds, "\n")), 0o600))
	_, err = accgen(t, e.getenv, "admin", "stock", "import", "--product", id, "--file", file)
	require.NoError(t, err)
	return id
}

// call makes one REST request and returns the status and the raw body.
func (e *testEngine) call(t *testing.T, method, path, key, body string, header ...string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header[header[i]] = []string{header[i+1]}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

// stub makes one SMS-Activate call.
func (e *testEngine) stub(t *testing.T, key string, params url.Values) string {
	t.Helper()
	params.Set("api_key", key)
	resp, err := http.Get(e.base + "/stubs/handler_api.php?" + params.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(raw)
}

func (e *testEngine) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), e.dbURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// Hostile REST and SMS-Activate requests get clean refusals (the envelope
// with a 4xx, or a protocol error token), never a 5xx, and cost nothing.
func TestHostileRequestsAreRefusedCleanly(t *testing.T) {
	t.Parallel()
	e := startEngine(t)
	uid, key := e.reseller(t, 4100, "100000")
	product := e.product(t, "a@x.example:pw1", "b@x.example:pw2")
	long := strings.Repeat("a", 3000)
	smsOrder := func(body string) []string { return []string{"POST", "/api/v1/sms/orders", body} }
	accountOrder := func(body string) []string { return []string{"POST", "/api/v1/accounts/orders", body} }
	webhook := func(u string) []string {
		b, _ := json.Marshal(map[string]string{"url": u})
		return []string{"PUT", "/api/v1/user/webhook", string(b)}
	}
	get := func(path string) []string { return []string{"GET", path, ""} }
	cases := [][]string{
		smsOrder(`{"service_id":"` + strings.Repeat("w", 17<<10) + `","country_id":187}`),
		smsOrder(`{"service_id":"wa","country_id":187,"admin":true}`),
		smsOrder(`{"service_id":"wa","country_id":187}{"service_id":"wa","country_id":187}`),
		smsOrder(`{"service_id":"wa","country_id":1e20}`), smsOrder(`{"service_id":"wa","country_id":-1}`),
		smsOrder(`{"service_id":"wa","country_id":1.5}`), smsOrder(`{"service_id":"wa","country_id":"187"}`),
		smsOrder(`{"service_id":"wa","country_id":9223372036854775808}`), smsOrder(`{"service_id":"wa","country_id":null}`),
		smsOrder(`{"service_id":"","country_id":187}`), smsOrder(`{"service_id":"wa\u0000","country_id":187}`),
		smsOrder(`{"service_id":"` + long + `","country_id":187}`), smsOrder(`{"service_id":"\u202ewa","country_id":187}`),
		smsOrder(`{"service_id":"../../etc/passwd","country_id":187}`), smsOrder(`{"service_id":["wa"],"country_id":187}`),
		smsOrder(`"wa"`), smsOrder(`[]`), smsOrder(`{"service_id":"wa",`), smsOrder("\xff\xfe"),
		accountOrder(`{"account_id":` + product + `,"quantity":0}`), accountOrder(`{"account_id":` + product + `,"quantity":51}`),
		accountOrder(`{"account_id":` + product + `,"quantity":-1}`), accountOrder(`{"account_id":` + product + `,"quantity":1.5}`),
		accountOrder(`{"account_id":` + product + `,"quantity":1e2}`), accountOrder(`{"account_id":` + product + `,"quantity":"1"}`),
		accountOrder(`{"account_id":` + product + `,"quantity":9223372036854775808}`), accountOrder(`{"account_id":0}`),
		accountOrder(`{"account_id":-1}`), accountOrder(`{"account_id":9223372036854775807}`),
		accountOrder(`{"account_id":9223372036854775808}`), accountOrder(`{"account_id":"` + product + `"}`),
		accountOrder(`{"account_id":` + product + `,"quantity":3}`), // only 2 in stock
		get("/api/v1/sms/orders?limit=0"), get("/api/v1/sms/orders?limit=101"), get("/api/v1/sms/orders?limit=-1"),
		get("/api/v1/sms/orders?limit=1e2"), get("/api/v1/sms/orders?limit=99999999999999999999"),
		get("/api/v1/sms/orders?offset=-1"), get("/api/v1/sms/orders?offset=1000001"), get("/api/v1/accounts/orders?limit=abc"),
		get("/api/v1/user/webhook/deliveries?offset=99999999999999999999"),
		get("/api/v1/sms/orders/not-a-uuid"), get("/api/v1/sms/orders/%00"), get("/api/v1/sms/orders/" + long),
		get("/api/v1/sms/orders/00000000-0000-0000-0000-000000000000"), {"DELETE", "/api/v1/sms/orders/%00", ""},
		get("/api/v1/accounts/orders/not-a-uuid"), get("/api/v1/accounts/orders/%00"), get("/api/v1/accounts/orders/" + long),
		get("/api/v1/accounts/catalog/99999999999999999999"), get("/api/v1/accounts/catalog/-1"), get("/api/v1/accounts/catalog/%00"),
		get("/api/v1/user/webhook/deliveries/%00"), get("/api/v1/user/webhook/deliveries/" + long),
		get("/api/v1/sms/stock?service_id=wa&country_id=99999999999999999999"), get("/api/v1/sms/stock?service_id=%00&country_id=187"),
		webhook("javascript:alert(1)"), webhook("http://exa mple.com/"), webhook("http://example.com/\x00"),
		webhook("https://example.com/\u202ecod.exe"), webhook("http://exa\u200bmple.com/"), webhook("http://user:pw@example.com/"),
		webhook("https://example.com/#frag"), webhook("https://example.com:0/"), webhook("https://example.com/" + long),
		{"PUT", "/api/v1/user/webhook", `{"url":"https://example.com/","secret":"mine"}`},
		{"PATCH", "/api/v1/sms/orders", `{}`},
	}
	for _, c := range cases {
		status, body := e.call(t, c[0], c[1], key, c[2])
		name := fmt.Sprintf("%s %.80s %.80s", c[0], c[1], c[2])
		require.GreaterOrEqual(t, status, 400, name)
		var env restEnvelope
		require.NoError(t, json.Unmarshal([]byte(body), &env), "%s: %s", name, body)
		require.False(t, env.Success, name)
		require.NotNil(t, env.Error, name)
		if env.Error.Code != "INSUFFICIENT_STOCK" { // the seed's 503 for "sold out"
			require.Less(t, status, 500, "%s: %s", name, body)
		}
	}
	for _, h := range [][]string{
		{"Idempotency-Key", strings.Repeat("k", 300)}, {"Idempotency-Key", "ключ"}, {"Idempotency-Key", "a\tb"},
		{"Content-Type", "text/plain"}, {"Content-Type", "application/x-www-form-urlencoded"},
	} {
		status, body := e.call(t, "POST", "/api/v1/sms/orders", key, `{"service_id":"wa","country_id":187}`, h...)
		require.Equal(t, http.StatusBadRequest, status, "%q: %s", h, body)
	}

	stubAnswers := []string{"BAD_SERVICE", "NO_ACTIVATION", "WRONG_ACTIVATION_ID", "BAD_STATUS", "BAD_ACTION", "NO_NUMBERS", "WRONG_MAX_PRICE"}
	for _, q := range []string{
		"action=getNumber&service=wa&country=99999999999999999999", "action=getNumber&service=wa&country=-5",
		"action=getNumber&service=wa&country=1.5", "action=getNumber&service=%00&country=187",
		"action=getNumber&service=" + long + "&country=187", "action=getNumber&service=wa&country=187&maxPrice=-1",
		"action=getNumberV2&service=\u202ewa&country=187",
		"action=getStatus&id=99999999999999999999", "action=getStatus&id=-1", "action=getStatus&id=abc", "action=getStatus&id=%00",
		"action=setStatus&status=999&id=12345678", "action=setStatus&status=8&id=-1", "action=setStatus&status=1e2&id=12345678",
		"action=setStatus&status=8&id=" + long, "action=" + long, "action=%00",
	} {
		params, err := url.ParseQuery(q)
		require.NoError(t, err)
		body := e.stub(t, key, params)
		token, _, _ := strings.Cut(body, ":")
		require.Contains(t, stubAnswers, token, "%.80s → %.200s", q, body)
	}
	for _, q := range []string{"action=getActivations&limit=-1", "action=getActivations&limit=100000&offset=-5", "action=getHistory&start=-1&end=99999999999999999999"} {
		params, _ := url.ParseQuery(q)
		body := e.stub(t, key, params)
		require.NotContains(t, body, "ERROR_SQL", q)
	}

	require.Zero(t, e.count(t, `SELECT count(*) FROM sms_orders`), "nothing was ordered")
	require.Zero(t, e.count(t, `SELECT count(*) FROM account_orders`))
	require.Equal(t, 1, e.count(t, `SELECT count(*) FROM ledger_transactions WHERE user_id = $1`, uid), "only the top-up moved money")
	require.NotContains(t, e.logs.String(), "panic")
}

// The request line and headers are capped at 64 KiB: a longer query string
// or header is refused with 431 before any handler runs; a long one under
// the cap is served normally.
func TestVeryLongQueryStringsAndHeaders(t *testing.T) {
	t.Parallel()
	e := startEngine(t)
	_, key := e.reseller(t, 4200, "100")
	status, _ := e.call(t, "GET", "/api/v1/user/balance?pad="+strings.Repeat("x", 100<<10), key, "")
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, status)
	status, _ = e.call(t, "GET", "/api/v1/user/balance", key, "", "X-Pad", strings.Repeat("x", 100<<10))
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, status)
	status, body := e.call(t, "GET", "/api/v1/user/balance?pad="+strings.Repeat("x", 40<<10), key, "")
	require.Equal(t, http.StatusOK, status, body)
	var many strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&many, "&p%d=%d", i, i)
	}
	status, body = e.call(t, "GET", "/api/v1/sms/orders?limit=5"+many.String(), key, "")
	require.Equal(t, http.StatusOK, status, body)
	params := url.Values{"action": {"getBalance"}, "pad": {strings.Repeat("x", 40<<10)}}
	require.True(t, strings.HasPrefix(e.stub(t, key, params), "ACCESS_BALANCE:"))
	params.Set("pad", strings.Repeat("x", 100<<10))
	params.Set("api_key", key)
	resp, err := http.Get(e.base + "/stubs/handler_api.php?" + params.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}

// A client that sends its headers a byte at a time (slowloris) is cut off
// after ReadHeaderTimeout, and a crowd of them does not keep anyone else
// from being served.
func TestSlowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(nil, slog.New(slog.DiscardHandler))
	require.Equal(t, 5*time.Second, srv.ReadHeaderTimeout)
	require.Equal(t, 30*time.Second, srv.ReadTimeout)
	require.Equal(t, 60*time.Second, srv.WriteTimeout)
	require.Equal(t, 120*time.Second, srv.IdleTimeout)
	require.Equal(t, 64<<10, srv.MaxHeaderBytes)

	e := startEngine(t)
	addr := strings.TrimPrefix(e.base, "http://")
	dribble := func(ctx context.Context) (time.Duration, error) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		start := time.Now()
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
			return 0, err
		}
		closed := make(chan struct{})
		go func() { // the server's side closing shows up as a read error
			_, _ = bufio.NewReader(conn).ReadByte()
			close(closed)
		}()
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-closed:
				return time.Since(start), nil
			case <-ctx.Done():
				return time.Since(start), ctx.Err()
			case <-tick.C:
				_, _ = conn.Write([]byte("a")) // never finishes the header
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var took []time.Duration
	for range 100 {
		wg.Go(func() {
			d, err := dribble(ctx)
			if errors.Is(err, context.DeadlineExceeded) {
				d = 15 * time.Second
			}
			mu.Lock()
			took = append(took, d)
			mu.Unlock()
		})
	}
	time.Sleep(time.Second)
	start := time.Now()
	resp, err := http.Get(e.base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Less(t, time.Since(start), time.Second, "100 slow clients do not hold up a normal one")
	wg.Wait()
	require.Len(t, took, 100)
	for _, d := range took {
		require.Greater(t, d, 4*time.Second, "cut off at ReadHeaderTimeout, not before")
		require.Less(t, d, 8*time.Second, "cut off at ReadHeaderTimeout (5 s)")
	}
}
