package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/coretest"
	"accgen/core/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	return rec.Body.String()
}

func TestHTTPAndUpstreamCounters(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	h := m.Middleware(func(r *http.Request) string { return r.URL.Path }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
		}
	}))
	for _, p := range []string{"/a", "/a", "/missing"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("action") == "getStatus" {
			w.WriteHeader(500)
		}
	}))
	defer upstream.Close()
	client := &http.Client{Transport: m.UpstreamTransport(nil)}
	for _, action := range []string{"getBalance", "getStatus"} {
		resp, err := client.Get(upstream.URL + "/stubs/handler_api.php?api_key=secret&action=" + action)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	m.WebhookAttempted(core.WebhookAttempt{})
	m.WebhookAttempted(core.WebhookAttempt{Error: "HTTP 500"})
	m.Polled(core.PollStats{Live: 7, Requests: 1, Delivered: 2}, nil)
	m.SMSPlaced("issued")

	out := scrape(t, m)
	for _, want := range []string{
		`accgen_http_requests_total{route="/a",status="200"} 2`,
		`accgen_http_requests_total{route="/missing",status="404"} 1`,
		`accgen_upstream_requests_total{action="getBalance",result="ok"} 1`,
		`accgen_upstream_requests_total{action="getStatus",result="http_500"} 1`,
		`accgen_webhook_attempts_total{outcome="delivered"} 1`,
		`accgen_webhook_attempts_total{outcome="failed"} 1`,
		`accgen_sms_poll_live_orders 7`,
		`accgen_sms_codes_received_total 2`,
		`accgen_sms_orders_placed_total{outcome="issued"} 1`,
	} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "secret", "no query values in labels")
}

func TestStatsFromTheDatabase(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	m := metrics.New()
	m.RegisterStats(env.DB, env.Logger)
	u, p, _ := env.Reseller(t, 1, "50000")
	ctx := context.Background()
	o, _, err := env.SMS.Place(ctx, core.PlaceSMSParams{Scope: core.Scope{UserID: u.ID, APIKeyID: p.KeyID}, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
	require.NoError(t, err)
	_, _, err = env.SMS.Place(ctx, core.PlaceSMSParams{Scope: core.Scope{UserID: u.ID, APIKeyID: p.KeyID}, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
	require.NoError(t, err)
	_, refunded, err := env.SMS.Cancel(ctx, core.Scope{UserID: u.ID}, o.ID)
	require.NoError(t, err)

	out := scrape(t, m)
	require.Contains(t, out, `accgen_sms_orders{status="pending"} 1`)
	require.Contains(t, out, `accgen_sms_orders{status="cancelled"} 1`)
	require.Contains(t, out, `accgen_ledger_ngn{total="topups"} 50000`)
	require.Contains(t, out, `accgen_ledger_ngn{total="refunds"} `+refunded.String())
	wallet := env.Balance(t, u.ID)
	require.Contains(t, out, `accgen_ledger_ngn{total="wallets"} `+wallet.String())
	require.True(t, strings.Contains(out, "accgen_sms_oldest_live_order_seconds"))
}

func TestSharedTransactionSizes(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	for _, n := range []int{1, 3, 40} {
		m.SharedTransaction("sms_orders", n)
	}
	out := scrape(t, m)
	require.Contains(t, out, `accgen_shared_transaction_size_count{kind="sms_orders"} 3`)
	require.Contains(t, out, `accgen_shared_transaction_size_sum{kind="sms_orders"} 44`)
	require.Contains(t, out, `accgen_shared_transaction_size_bucket{kind="sms_orders",le="4"} 2`)
}
