package stub_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/httpx"
	"accgen/core/stub"
)

// Only GET and POST exist: a HEAD or PUT must not reach an action (a GET
// getNumber buys a number).
func TestOtherMethodsAreRefused(t *testing.T) {
	t.Parallel()
	deps, eng := fakeDeps(fakeCatalog(t), slog.New(slog.DiscardHandler))
	h := stub.NewHandler(deps)
	for _, method := range []string{http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req := httptest.NewRequest(method, "/stubs/handler_api.php?api_key=key-1&action=getNumber&service=wa&country=187", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code, method)
		require.Equal(t, "GET, POST", rec.Header().Get("Allow"))
	}
	require.Len(t, eng.orders, 6, "nothing bought")
}

// The sms-activate npm client POSTs with every parameter in the query
// string and no body; PHP clients POST a multipart form; some split them.
func TestPostParameterPlacement(t *testing.T) {
	t.Parallel()
	deps, _ := fakeDeps(fakeCatalog(t), slog.New(slog.DiscardHandler))
	h := stub.NewHandler(deps)
	post := func(query, contentType, body string) string {
		req := httptest.NewRequest(http.MethodPost, "/stubs/handler_api.php?"+query, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	require.Equal(t, "ACCESS_BALANCE:5000.50", post("api_key=key-1&action=getBalance", "", ""))
	require.Equal(t, "ACCESS_BALANCE:5000.50", post("api_key=key-1", "application/x-www-form-urlencoded", "action=getBalance"))
	require.Equal(t, "STATUS_WAIT_CODE", post("action=getStatus&id=10000001", "application/x-www-form-urlencoded",
		"api_key=key-1&action=setStatus&status=8"), "the query string wins")
	require.Equal(t, "NO_KEY", post("action=getBalance", "application/json", `{"api_key":"key-1"}`), "JSON bodies are not read")

	require.Equal(t, http.StatusRequestEntityTooLarge, func() int {
		req := httptest.NewRequest(http.MethodPost, "/stubs/handler_api.php", strings.NewReader("api_key=key-1&x="+strings.Repeat("a", 70<<10)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}())
}

// Failures the client cannot fix are ERROR_SQL: the cause goes to our log
// with the request id, never to the client.
func TestInternalFailuresAreErrorSQL(t *testing.T) {
	t.Parallel()
	secret := errors.New("pq: connection to 10.0.0.5 refused (password=hunter2)")
	tests := []struct {
		name   string
		break_ func(*stub.Deps, *fakeEngine)
		action url.Values
	}{
		{"keys", func(d *stub.Deps, _ *fakeEngine) { d.Keys = fakeKeys{err: core.Internal(secret)} }, url.Values{"action": {"getBalance"}}},
		{"limiter", func(d *stub.Deps, _ *fakeEngine) {
			d.Limiter = limiterFunc(func() (core.RateDecision, error) { return core.RateDecision{}, secret })
		}, url.Values{"action": {"getBalance"}}},
		{"wallet", func(d *stub.Deps, _ *fakeEngine) { d.Wallets = fakeWallets{err: secret} }, url.Values{"action": {"getBalance"}}},
		{"engine", func(_ *stub.Deps, e *fakeEngine) { e.err = secret }, url.Values{"action": {"getStatus"}, "id": {"10000001"}}},
		{"upstream", func(_ *stub.Deps, e *fakeEngine) {
			e.err = &core.Error{Code: core.CodeUpstreamUnavailable, Err: secret, Message: "The number provider could not supply a number right now."}
		}, url.Values{"action": {"getNumber"}, "service": {"wa"}, "country": {"187"}}},
		{"history", func(_ *stub.Deps, e *fakeEngine) { e.err = secret }, url.Values{"action": {"getActiveActivations"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			deps, eng := fakeDeps(fakeCatalog(t), slog.New(slog.NewTextHandler(&logs, nil)))
			tt.break_(&deps, eng)
			h := httpx.WithRequestID(stub.NewHandler(deps))
			tt.action.Set("api_key", "key-1")
			req := httptest.NewRequest(http.MethodGet, "/stubs/handler_api.php?"+tt.action.Encode(), nil)
			req.Header.Set("X-Request-Id", "req-"+tt.name)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, "ERROR_SQL", rec.Body.String())
			require.Contains(t, logs.String(), "request_id=req-"+tt.name)
			require.Contains(t, logs.String(), "hunter2", "the cause is logged")
		})
	}
}

// A refused rate limit is HTTP 429 with Retry-After rounded up to seconds.
func TestRateLimitedAnswer(t *testing.T) {
	t.Parallel()
	deps, _ := fakeDeps(fakeCatalog(t), slog.New(slog.DiscardHandler))
	deps.Limiter = limiterFunc(func() (core.RateDecision, error) {
		return core.RateDecision{Allowed: false, RetryAfter: 1500 * time.Millisecond}, nil
	})
	resp := call(t, stub.NewHandler(deps), http.MethodGet, url.Values{"api_key": {"key-1"}, "action": {"getBalance"}})
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.Equal(t, "RATE_LIMIT", resp.body)
	require.Equal(t, "2", resp.header.Get("Retry-After"))
}

// getActiveActivations finds live orders past the first page and stops
// reading once orders are long expired.
func TestActiveActivationsScan(t *testing.T) {
	t.Parallel()
	deps, eng := fakeDeps(fakeCatalog(t), slog.New(slog.DiscardHandler))
	sc := core.Scope{UserID: 1, APIKeyID: 1}
	for range 150 { // newer than the six seeded orders: all finished
		o := eng.newOrder(sc, "wa", 187, eng.orders[0].Price)
		o.Status, o.FinishedAt, o.Code = core.SMSCompleted, &fakeEpoch, "1"
	}
	resp := call(t, stub.NewHandler(deps), http.MethodGet, url.Values{"api_key": {"key-1"}, "action": {"getActiveActivations"}})
	for _, id := range []string{"10000001", "10000002", "10000005"} {
		require.Contains(t, resp.body, `"activationId":"`+id+`"`)
	}
	require.NotContains(t, resp.body, `"activationId":"10000003"`, "cancelled")
	require.NotContains(t, resp.body, `"activationId":"10000004"`, "finished")

	require.Equal(t, 2, eng.lists, "two pages of 100")

	eng.lists = 0
	deps.Now = func() time.Time { return fakeEpoch.Add(time.Hour) } // every order expired 40 minutes ago
	resp = call(t, stub.NewHandler(deps), http.MethodGet, url.Values{"api_key": {"key-1"}, "action": {"getActiveActivations"}})
	require.Equal(t, `{"status":"error","error":"NO_ACTIVATIONS"}`, resp.body)
	require.Equal(t, 1, eng.lists, "the scan stopped at the first long-expired order")
}

// recordingGuard blocks an address once it has failed twice.
type recordingGuard struct {
	mu       sync.Mutex
	failures map[string]int
}

func (g *recordingGuard) Blocked(ip string) (time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return 3 * time.Second, g.failures[ip] >= 2
}

func (g *recordingGuard) Failed(_ context.Context, ip string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failures[ip]++
}

// Missing and wrong keys count against the caller's address (the REST
// API's guard); once blocked, even a good key waits, with 429 RATE_LIMIT.
func TestFailedAuthenticationsAreLimited(t *testing.T) {
	t.Parallel()
	deps, _ := fakeDeps(fakeCatalog(t), slog.New(slog.DiscardHandler))
	guard := &recordingGuard{failures: map[string]int{}}
	deps.AuthGuard = guard
	h := stub.NewHandler(deps)
	ask := func(key string) response {
		params := url.Values{"action": {"getBalance"}}
		if key != "" {
			params.Set("api_key", key)
		}
		return call(t, h, http.MethodGet, params)
	}
	require.Equal(t, "ACCESS_BALANCE:5000.50", ask("key-1").body)
	require.Equal(t, "NO_KEY", ask("").body)
	require.Equal(t, "BAD_KEY", ask("key-9").body)
	require.Equal(t, 2, guard.failures["192.0.2.1"], "httptest's client address")
	resp := ask("key-1")
	require.Equal(t, http.StatusTooManyRequests, resp.status)
	require.Equal(t, "RATE_LIMIT", resp.body)
	require.Equal(t, "3", resp.header.Get("Retry-After"))
}
