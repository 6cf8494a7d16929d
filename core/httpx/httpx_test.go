package httpx_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/core/httpx"
)

func TestAccessLogRedactsSecrets(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	h := httpx.WithRequestID(httpx.WithAccessLog(slog.New(slog.NewJSONHandler(&logs, nil)),
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	const key = "acc_SECRETSECRETSECRET"
	req := httptest.NewRequest("GET", "/stubs/handler_api.php?action=getBalance&api_key="+key+"&API_KEY="+key, nil)
	req.Header.Set("X-API-Key", key)
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.Contains(t, logs.String(), "getBalance")
	require.Contains(t, logs.String(), "REDACTED")
	require.NotContains(t, logs.String(), "SECRET")
}

func TestPanicsBecome500(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	h := httpx.WithAccessLog(slog.New(slog.NewTextHandler(&logs, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	require.Equal(t, 500, rec.Code)
	require.Contains(t, rec.Body.String(), "INTERNAL_ERROR")
	require.Contains(t, logs.String(), "boom")
}

func TestRequestIDIsKeptOnlyWhenPlain(t *testing.T) {
	t.Parallel()
	h := httpx.WithRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(httpx.RequestID(r.Context())))
	}))
	for in, keep := range map[string]bool{"abc-123": true, "": false, "bad id\n": false, strings.Repeat("x", 65): false} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Request-Id", in)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, keep, rec.Body.String() == in, in)
		require.Equal(t, rec.Body.String(), rec.Header().Get("X-Request-Id"))
		require.NotEmpty(t, rec.Body.String())
	}
}
