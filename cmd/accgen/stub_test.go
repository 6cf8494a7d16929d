package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/storage/postgres/pgtest"
)

// The running server mounts the SMS-Activate endpoint next to the REST API,
// on the same engine. (That both share one limiter is proven in core/stub on
// the production limiter: lowering ACCGEN_RATE_LIMIT here would exhaust the
// "accgen:" Redis keys every serve test shares, for as long as the limit's
// period.)
func TestServeMountsStub(t *testing.T) {
	t.Parallel()
	getenv := env(pgtest.NewURL(t))
	srv := startDemo(t, getenv)
	base, key := srv.base, srv.key
	require.NotEmpty(t, key, srv.stdout.String())
	get := func(path, header string) (int, string) {
		req, err := http.NewRequest("GET", base+path, nil)
		require.NoError(t, err)
		if header != "" {
			req.Header.Set("X-API-Key", header)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	stub := func(kv ...string) (int, string) {
		q := url.Values{"api_key": {key}}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return get("/stubs/handler_api.php?"+q.Encode(), "")
	}

	status, body := get("/stubs/handler_api.php?action=getBalance", "")
	require.Equal(t, 200, status)
	require.Equal(t, "NO_KEY", body)
	status, body = stub("action", "getBalance")
	require.Equal(t, 200, status)
	require.Equal(t, "ACCESS_BALANCE:50000.00", body)
	status, body = stub("action", "getNumber", "service", "wa", "country", "187")
	require.Equal(t, 200, status)
	require.Regexp(t, `^ACCESS_NUMBER:[1-9]\d{7}:\d+$`, body)
	short := strings.Split(body, ":")[1]
	status, body = get("/api/v1/sms/orders", key)
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"short_id":"`+short+`"`)
	status, body = stub("action", "setStatus", "id", short, "status", "8")
	require.Equal(t, 200, status)
	require.Equal(t, "ACCESS_CANCEL", body)
	status, body = get("/api/v1/user/balance", key)
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"balance_ngn":50000.00`, "refunded")

	require.NoError(t, srv.stop())
}
