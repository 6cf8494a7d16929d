package stub_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/coretest"
	"accgen/core/httpx"
	"accgen/core/stub"
)

// allowAll is a rate limiter that never refuses.
type allowAll struct{}

func (allowAll) Allow(context.Context, string) (core.RateDecision, error) {
	return core.RateDecision{Allowed: true, Limit: core.RateLimit{Requests: 1000, Period: 1e9}, Remaining: 999}, nil
}

// newStub builds the endpoint over env's engine.
func newStub(env *coretest.Env, limiter core.RateLimiter) http.Handler {
	return httpx.WithRequestID(stub.NewHandler(stub.Deps{
		Keys: env.Keys, Wallets: env.Ledger, SMS: env.SMS, Limiter: limiter, Logger: env.Logger,
		Now: env.Clock.Now,
	}))
}

// response is what the endpoint answered.
type response struct {
	status      int
	contentType string
	body        string
	header      http.Header
}

// call sends params to h: GET puts them in the query string, POST in a form
// body.
func call(t *testing.T, h http.Handler, method string, params url.Values) response {
	t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		req = httptest.NewRequest(method, "/stubs/handler_api.php?"+params.Encode(), nil)
	} else {
		req = httptest.NewRequest(method, "/stubs/handler_api.php", strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return response{status: rec.Code, contentType: rec.Header().Get("Content-Type"), body: string(body), header: rec.Header()}
}

var telegramIDs atomic.Int64

// fixture is one reseller with a key, over a shared environment.
type fixture struct {
	env   *coretest.Env
	user  core.User
	p     core.Principal
	key   string
	scope core.Scope
}

func newFixture(t *testing.T, env *coretest.Env, funds string) *fixture {
	t.Helper()
	u, p, key := env.Reseller(t, 1_000+telegramIDs.Add(1), funds)
	return &fixture{env: env, user: u, p: p, key: key, scope: core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}}
}

// params are the key and action plus name/value pairs.
func (f *fixture) params(action string, kv ...string) url.Values {
	v := url.Values{"api_key": {f.key}, "action": {action}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// buy places an order through the engine.
func (f *fixture) buy(t *testing.T, service string, country int) core.SMSOrder {
	t.Helper()
	o, _, err := f.env.SMS.Place(context.Background(), core.PlaceSMSParams{
		Scope: f.scope, Source: core.SourceAPI, ServiceID: service, CountryID: country,
	})
	require.NoError(t, err)
	return o
}

// deliver texts the order's number upstream and lets the engine's poller
// record it.
func (f *fixture) deliver(t *testing.T, o core.SMSOrder, text, code string) {
	t.Helper()
	require.NoError(t, f.env.Sim.InjectSMS(o.UpstreamID, text, code))
	_, err := f.env.SMS.Poll(context.Background())
	require.NoError(t, err)
	got, err := f.env.SMS.Order(context.Background(), f.scope, o.ID)
	require.NoError(t, err)
	require.Equal(t, core.SMSCompleted, got.Status, "the code was recorded")
}

func (f *fixture) id(o core.SMSOrder) string { return strconv.FormatInt(o.ShortID, 10) }

var protocolTimeRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`)

// normalize replaces what differs from run to run in a body: the user's
// order ids and phones become <ID1>, <PHONE1>, … in the order they were
// placed, and protocol times become <TIME>.
func (f *fixture) normalize(t *testing.T, body string) string {
	t.Helper()
	orders, _, err := f.env.SMS.Orders(context.Background(), core.Scope{UserID: f.user.ID}, 100, 0)
	require.NoError(t, err)
	slices.Reverse(orders)
	for i, o := range orders {
		if o.Phone != "" {
			body = strings.ReplaceAll(body, o.Phone, "<PHONE"+strconv.Itoa(i+1)+">")
		}
	}
	for i, o := range orders {
		body = strings.ReplaceAll(body, f.id(o), "<ID"+strconv.Itoa(i+1)+">")
	}
	return protocolTimeRE.ReplaceAllString(body, "<TIME>")
}

// newLoopbackServer serves h over real HTTP on 127.0.0.1.
func newLoopbackServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
