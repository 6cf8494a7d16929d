package stub_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/api"
	"accgen/core/coretest"
	"accgen/core/httpx"
	"accgen/storage/redis"
	"accgen/storage/redis/redistest"
)

// restOrder is the REST SMS order object, as much as these tests read.
type restOrder struct {
	ID          string  `json:"id"`
	ShortID     string  `json:"short_id"`
	ServiceID   string  `json:"service_id"`
	CountryID   int     `json:"country_id"`
	PhoneNumber string  `json:"phone_number"`
	PriceNGN    float64 `json:"price_ngn"`
	Status      string  `json:"status"`
	SMSCode     *string `json:"sms_code"`
}

// rest calls the REST API and decodes the envelope's data into out.
func rest(t *testing.T, base, method, path, key, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-API-Key", key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var env struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &env), string(raw))
	if out != nil && env.Success {
		require.NoError(t, json.Unmarshal(env.Data, out), string(raw))
	}
	return resp.StatusCode
}

// stubGet calls the endpoint over HTTP with GET.
func stubGet(t *testing.T, base string, params url.Values) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(base + "/stubs/handler_api.php?" + params.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

// bothAPIs serves the REST API and the stub from one mux, as cmd/accgen
// does, sharing limiter.
func bothAPIs(t *testing.T, env *coretest.Env, limiter core.RateLimiter) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.NewHandler(api.Deps{
		Keys: env.Keys, Wallets: env.Ledger, SMS: env.SMS, Limiter: limiter, Logger: env.Logger,
	}))
	mux.Handle("/stubs/handler_api.php", newStub(env, limiter))
	return newLoopbackServer(t, httpx.WithRequestID(mux)).URL
}

// A number bought with getNumber is the order REST shows, at the getPrices
// cost, and follows the same life through either front end.
func TestStubOrderIsTheRESTOrder(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	f := newFixture(t, env, "50000")
	base := bothAPIs(t, env, allowAll{})

	_, prices, _ := stubGet(t, base, f.params("getPrices", "service", "wa", "country", "187"))
	var cost map[string]map[string]struct{ Cost float64 }
	require.NoError(t, json.Unmarshal([]byte(prices), &cost))

	_, body, _ := stubGet(t, base, f.params("getNumber", "service", "wa", "country", "187"))
	fields := strings.Split(body, ":")
	require.Len(t, fields, 3, body)
	require.Equal(t, "ACCESS_NUMBER", fields[0])
	short, phone := fields[1], fields[2]

	var list struct{ Orders []restOrder }
	require.Equal(t, 200, rest(t, base, "GET", "/api/v1/sms/orders", f.key, "", &list))
	require.Len(t, list.Orders, 1)
	uuid := list.Orders[0].ID
	require.True(t, strings.HasPrefix(uuid, short+"-"), "the short id is the UUID's prefix: %s, %s", short, uuid)

	var o restOrder
	require.Equal(t, 200, rest(t, base, "GET", "/api/v1/sms/orders/"+uuid, f.key, "", &o))
	require.Equal(t, short, o.ShortID)
	require.Equal(t, "+"+phone, o.PhoneNumber, "E.164 in REST, digits only in the stub")
	require.Equal(t, "pending", o.Status)
	require.Equal(t, cost["187"]["wa"].Cost, o.PriceNGN, "getPrices cost is the REST price_ngn")

	order, err := env.SMS.Order(t.Context(), f.scope, uuid)
	require.NoError(t, err)
	f.deliver(t, order, "Your code is 246810", "246810")
	_, body, _ = stubGet(t, base, f.params("getStatus", "id", short))
	require.Equal(t, "STATUS_OK:246810", body)
	require.Equal(t, 200, rest(t, base, "GET", "/api/v1/sms/orders/"+uuid, f.key, "", &o))
	require.Equal(t, "completed", o.Status)
	require.Equal(t, "246810", *o.SMSCode)

	_, body, _ = stubGet(t, base, f.params("setStatus", "id", short, "status", "8"))
	require.Equal(t, "ACCESS_CANCEL", body)
	require.Equal(t, 200, rest(t, base, "GET", "/api/v1/sms/orders/"+uuid, f.key, "", &o))
	require.Equal(t, "cancelled", o.Status)
	_, body, _ = stubGet(t, base, f.params("getBalance"))
	require.Equal(t, "ACCESS_BALANCE:50000.00", body)
	env.RequireLedgerClean(t)
}

// An order placed through REST is visible to the stub by its short id, and
// a cancel there shows in REST.
func TestRESTOrderIsVisibleToStub(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	f := newFixture(t, env, "50000")
	base := bothAPIs(t, env, allowAll{})

	var o restOrder
	require.Equal(t, 201, rest(t, base, "POST", "/api/v1/sms/orders", f.key, `{"service_id":"tg","country_id":16}`, &o))
	_, body, _ := stubGet(t, base, f.params("getStatus", "id", o.ShortID))
	require.Equal(t, "STATUS_WAIT_CODE", body)
	_, body, _ = stubGet(t, base, f.params("getActiveActivations"))
	require.Contains(t, body, `"activationId":"`+o.ShortID+`"`)
	require.Contains(t, body, `"phoneNumber":"`+strings.TrimPrefix(o.PhoneNumber, "+")+`"`)

	_, body, _ = stubGet(t, base, f.params("setStatus", "id", o.ShortID, "status", "8"))
	require.Equal(t, "ACCESS_CANCEL", body)
	require.Equal(t, 200, rest(t, base, "GET", "/api/v1/sms/orders/"+o.ID, f.key, "", &o))
	require.Equal(t, "cancelled", o.Status)

	// Another key of the same user sees neither through either front end.
	key2, _, err := env.Keys.Issue(t.Context(), f.user.ID, "second")
	require.NoError(t, err)
	_, body, _ = stubGet(t, base, url.Values{"api_key": {key2}, "action": {"getStatus"}, "id": {o.ShortID}})
	require.Equal(t, "NO_ACTIVATION", body)
	require.Equal(t, 404, rest(t, base, "GET", "/api/v1/sms/orders/"+o.ID, key2, "", nil))
}

// One allowance per key across both front ends, on the production limiter;
// the stub answers the trip with 429, Retry-After and RATE_LIMIT.
func TestRateLimitIsSharedWithREST(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	f := newFixture(t, env, "50000")
	limiter := redis.NewRateLimiter(redistest.New(t), core.RateLimit{Requests: 4, Period: time.Hour}, env.Logger)
	base := bothAPIs(t, env, limiter)

	require.Equal(t, 200, rest(t, base, "GET", "/api/v1/user/balance", f.key, "", nil))
	require.Equal(t, 200, rest(t, base, "GET", "/api/v1/user/balance", f.key, "", nil))
	for range 2 {
		status, body, _ := stubGet(t, base, f.params("getBalance"))
		require.Equal(t, 200, status)
		require.Equal(t, "ACCESS_BALANCE:50000.00", body)
	}
	status, body, header := stubGet(t, base, f.params("getBalance"))
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, "RATE_LIMIT", body)
	require.Equal(t, "text/plain; charset=utf-8", header.Get("Content-Type"))
	require.NotEmpty(t, header.Get("Retry-After"))
	require.Equal(t, http.StatusTooManyRequests, rest(t, base, "GET", "/api/v1/user/balance", f.key, "", nil))

	other := newFixture(t, env, "100")
	status, body, _ = stubGet(t, base, other.params("getBalance"))
	require.Equal(t, 200, status, "another key has its own allowance")
	require.Equal(t, "ACCESS_BALANCE:100.00", body)
}
