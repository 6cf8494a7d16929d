package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/api"
	"accgen/core/coretest"
	"accgen/core/httpx"
	"accgen/storage/redis"
	"accgen/storage/redis/redistest"
)

type smsBundle struct {
	env *coretest.Env
	url string
}

func setupSMS(t *testing.T) smsBundle {
	t.Helper()
	env := coretest.New(t, coretest.Options{})
	h := api.NewHandler(api.Deps{
		Keys: env.Keys, Wallets: env.Ledger, SMS: env.SMS,
		Limiter: redis.NewRateLimiter(redistest.New(t), generous, env.Logger),
		Logger:  env.Logger,
	})
	srv := httptest.NewServer(httpx.WithRequestID(h))
	t.Cleanup(srv.Close)
	return smsBundle{env: env, url: srv.URL}
}

func call(t *testing.T, method, url, key, body string, headers ...string) (*http.Response, envelope) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("X-API-Key", key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var env envelope
	require.NoError(t, json.Unmarshal(raw, &env), string(raw))
	return resp, env
}

type orderView struct {
	ID          string   `json:"id"`
	ShortID     string   `json:"short_id"`
	ServiceID   string   `json:"service_id"`
	ServiceName string   `json:"service_name"`
	CountryID   int      `json:"country_id"`
	CountryName string   `json:"country_name"`
	PhoneNumber *string  `json:"phone_number"`
	PriceNGN    float64  `json:"price_ngn"`
	Status      string   `json:"status"`
	SMSCode     *string  `json:"sms_code"`
	SMSText     *string  `json:"sms_text"`
	CreatedAt   string   `json:"created_at"`
	ExpiresAt   *string  `json:"expires_at"`
	ReceivedAt  *string  `json:"received_at"`
	RefundedNGN *float64 `json:"refunded_ngn"`
}

func decodeData[T any](t *testing.T, env envelope) T {
	t.Helper()
	require.True(t, env.Success, "%+v", env.Error)
	var v T
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&v), string(env.Data))
	return v
}

func TestSMSCatalogRoutes(t *testing.T) {
	t.Parallel()
	b := setupSMS(t)
	_, _, key := b.env.Reseller(t, 1, "")

	resp, env := call(t, "GET", b.url+"/api/v1/sms/services", key, "")
	require.Equal(t, 200, resp.StatusCode)
	var list struct {
		Services []struct {
			ID        string  `json:"id"`
			Name      string  `json:"name"`
			PriceNGN  float64 `json:"price_ngn"`
			Countries []struct {
				ID       int     `json:"id"`
				Name     string  `json:"name"`
				PriceNGN float64 `json:"price_ngn"`
				Stock    int     `json:"stock"`
				InStock  bool    `json:"in_stock"`
			} `json:"countries"`
		} `json:"services"`
	}
	list = decodeData[struct {
		Services []struct {
			ID        string  `json:"id"`
			Name      string  `json:"name"`
			PriceNGN  float64 `json:"price_ngn"`
			Countries []struct {
				ID       int     `json:"id"`
				Name     string  `json:"name"`
				PriceNGN float64 `json:"price_ngn"`
				Stock    int     `json:"stock"`
				InStock  bool    `json:"in_stock"`
			} `json:"countries"`
		} `json:"services"`
	}](t, env)
	require.GreaterOrEqual(t, len(list.Services), 20)
	var wa bool
	for _, s := range list.Services {
		require.NotEmpty(t, s.Countries)
		minPrice := s.Countries[0].PriceNGN
		for _, c := range s.Countries {
			require.GreaterOrEqual(t, c.PriceNGN, minPrice)
			require.Equal(t, c.Stock > 0, c.InStock)
		}
		require.Equal(t, minPrice, s.PriceNGN, "the top-level price is the minimum across countries")
		if s.ID == "wa" {
			wa = true
			require.Equal(t, "WhatsApp", s.Name)
		}
	}
	require.True(t, wa)

	offer, _ := b.env.Catalog.Snapshot().Offer("wa", 187)
	resp, env = call(t, "GET", b.url+"/api/v1/sms/stock?service_id=wa&country_id=187", key, "")
	require.Equal(t, 200, resp.StatusCode)
	stock := decodeData[map[string]any](t, env)
	require.Equal(t, "wa", stock["service_id"])
	require.EqualValues(t, 187, stock["country_id"])
	require.EqualValues(t, offer.Price.InexactFloat64(), stock["price_ngn"])
	require.EqualValues(t, offer.Stock, stock["stock"])

	for query, field := range map[string]string{
		"country_id=187":                 "service_id",
		"service_id=wa":                  "country_id",
		"service_id=wa&country_id=usa":   "country_id",
		"service_id=zz&country_id=187":   "service_id",
		"service_id=wa&country_id=99999": "country_id",
	} {
		resp, env = call(t, "GET", b.url+"/api/v1/sms/stock?"+query, key, "")
		require.Equal(t, 400, resp.StatusCode, query)
		requireError(t, env, "VALIDATION_ERROR")
		require.Contains(t, env.Error.Message, field, query)
	}
}

func TestSMSOrderLifecycleOverREST(t *testing.T) {
	t.Parallel()
	b := setupSMS(t)
	u, _, key := b.env.Reseller(t, 1, "20000")
	_, _, otherKey := b.env.Reseller(t, 2, "20000")

	resp, env := call(t, "POST", b.url+"/api/v1/sms/orders", key, `{"service_id":"wa","country_id":187}`)
	require.Equal(t, 201, resp.StatusCode)
	o := decodeData[orderView](t, env)
	require.Equal(t, "pending", o.Status)
	require.Equal(t, o.ID[:8], o.ShortID)
	require.Regexp(t, `^\+1\d{10}$`, *o.PhoneNumber)
	require.Nil(t, o.SMSCode)
	require.Nil(t, o.ReceivedAt)
	require.Equal(t, "WhatsApp", o.ServiceName)
	_, err := time.Parse(time.RFC3339, o.CreatedAt)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(o.CreatedAt, "Z"), "times are UTC")

	// The code arrives upstream; the poller records it.
	stored, err := b.env.SMS.Order(context.Background(), core.Scope{UserID: u.ID}, o.ID)
	require.NoError(t, err)
	require.NoError(t, b.env.Sim.InjectSMS(stored.UpstreamID, "Your WhatsApp code is 123456", "123456"))
	_, err = b.env.SMS.Poll(context.Background())
	require.NoError(t, err)

	resp, env = call(t, "GET", b.url+"/api/v1/sms/orders/"+o.ID, key, "")
	require.Equal(t, 200, resp.StatusCode)
	got := decodeData[orderView](t, env)
	require.Equal(t, "completed", got.Status)
	require.Equal(t, "123456", *got.SMSCode)
	require.Equal(t, "Your WhatsApp code is 123456", *got.SMSText)
	require.NotNil(t, got.ReceivedAt)

	// Other keys cannot see or cancel it.
	resp, env = call(t, "GET", b.url+"/api/v1/sms/orders/"+o.ID, otherKey, "")
	require.Equal(t, 404, resp.StatusCode)
	requireError(t, env, "NOT_FOUND")
	resp, _ = call(t, "DELETE", b.url+"/api/v1/sms/orders/"+o.ID, otherKey, "")
	require.Equal(t, 404, resp.StatusCode)
	resp, env = call(t, "GET", b.url+"/api/v1/sms/orders", otherKey, "")
	require.Equal(t, 200, resp.StatusCode)
	require.JSONEq(t, `{"orders":[],"limit":20,"offset":0,"total":0}`, string(env.Data))

	// A completed order can still be cancelled with a full refund (the seed's rule).
	resp, env = call(t, "DELETE", b.url+"/api/v1/sms/orders/"+o.ID, key, "")
	require.Equal(t, 200, resp.StatusCode)
	cancelled := decodeData[orderView](t, env)
	require.Equal(t, "cancelled", cancelled.Status)
	require.Equal(t, o.PriceNGN, *cancelled.RefundedNGN)
	require.True(t, b.env.Balance(t, u.ID).Equal(decimal.RequireFromString("20000")))

	resp, env = call(t, "DELETE", b.url+"/api/v1/sms/orders/"+o.ID, key, "")
	require.Equal(t, 400, resp.StatusCode)
	requireError(t, env, "VALIDATION_ERROR")
	require.Contains(t, env.Error.Message, "cancelled")

	resp, env = call(t, "GET", b.url+"/api/v1/sms/orders/not-a-uuid", key, "")
	require.Equal(t, 404, resp.StatusCode)
	requireError(t, env, "NOT_FOUND")
	b.env.RequireLedgerClean(t)
}

func TestSMSListNewestFirstWithPagination(t *testing.T) {
	t.Parallel()
	b := setupSMS(t)
	_, _, key := b.env.Reseller(t, 1, "100000")
	var ids []string
	for range 5 {
		resp, env := call(t, "POST", b.url+"/api/v1/sms/orders", key, `{"service_id":"tg","country_id":16}`)
		require.Equal(t, 201, resp.StatusCode)
		ids = append(ids, decodeData[orderView](t, env).ID)
	}
	type page struct {
		Orders []orderView `json:"orders"`
		Limit  int         `json:"limit"`
		Offset int         `json:"offset"`
		Total  int         `json:"total"`
	}
	resp, env := call(t, "GET", b.url+"/api/v1/sms/orders?limit=2&offset=1", key, "")
	require.Equal(t, 200, resp.StatusCode)
	p := decodeData[page](t, env)
	require.Equal(t, 5, p.Total)
	require.Equal(t, 2, p.Limit)
	require.Equal(t, 1, p.Offset)
	require.Len(t, p.Orders, 2)
	require.Equal(t, ids[3], p.Orders[0].ID, "newest first")
	require.Equal(t, ids[2], p.Orders[1].ID)

	for _, q := range []string{"limit=0", "limit=101", "limit=x", "offset=-1"} {
		resp, env = call(t, "GET", b.url+"/api/v1/sms/orders?"+q, key, "")
		require.Equal(t, 400, resp.StatusCode, q)
		requireError(t, env, "VALIDATION_ERROR")
	}
}

func TestSMSOrderRefusals(t *testing.T) {
	t.Parallel()
	b := setupSMS(t)
	u, _, key := b.env.Reseller(t, 1, "100")
	url := b.url + "/api/v1/sms/orders"

	for body, field := range map[string]string{
		`{"country_id":187}`:                         "service_id",
		`{"service_id":"wa"}`:                        "country_id",
		`{"service_id":"wa","country_id":"187"}`:     "country_id",
		`{"service_id":"zz","country_id":187}`:       "service_id",
		`{"service_id":"wa","country_id":187,"x":1}`: "unknown field",
		`{"service_id":"wa",`:                        "not valid JSON",
		`[1,2]`:                                      "JSON object",
	} {
		resp, env := call(t, "POST", url, key, body)
		require.Equal(t, 400, resp.StatusCode, body)
		requireError(t, env, "VALIDATION_ERROR")
		require.Contains(t, env.Error.Message, field, body)
	}
	resp, env := call(t, "POST", url, key, `{"service_id":"wa","country_id":187}`)
	require.Equal(t, 402, resp.StatusCode)
	requireError(t, env, "INSUFFICIENT_BALANCE")

	_, err := b.env.Ledger.TopUp(context.Background(), u.ID, decimal.NewFromInt(50000), "more", "")
	require.NoError(t, err)
	b.env.Sim.SetStock("wa", 19, 0, nil)
	resp, env = call(t, "POST", url, key, `{"service_id":"wa","country_id":19}`)
	require.Equal(t, 503, resp.StatusCode)
	requireError(t, env, "INSUFFICIENT_STOCK")
	require.True(t, b.env.Balance(t, u.ID).Equal(decimal.RequireFromString("50100")), "no charge")
	b.env.RequireLedgerClean(t)
}

func TestSMSIdempotencyKeyOverREST(t *testing.T) {
	t.Parallel()
	b := setupSMS(t)
	u, _, key := b.env.Reseller(t, 1, "100000")
	url := b.url + "/api/v1/sms/orders"
	resp, env := call(t, "POST", url, key, `{"service_id":"wa","country_id":187}`, "Idempotency-Key", "abc-1")
	require.Equal(t, 201, resp.StatusCode)
	first := decodeData[orderView](t, env)
	require.Empty(t, resp.Header.Get("Idempotency-Replayed"))

	resp, env = call(t, "POST", url, key, `{"service_id":"wa","country_id":187}`, "Idempotency-Key", "abc-1")
	require.Equal(t, 201, resp.StatusCode)
	require.Equal(t, "true", resp.Header.Get("Idempotency-Replayed"))
	require.Equal(t, first.ID, decodeData[orderView](t, env).ID)
	require.True(t, b.env.Balance(t, u.ID).Equal(decimal.RequireFromString("100000").Sub(decimal.NewFromFloat(first.PriceNGN))))

	resp, env = call(t, "POST", url, key, `{"service_id":"tg","country_id":187}`, "Idempotency-Key", "abc-1")
	require.Equal(t, 400, resp.StatusCode)
	requireError(t, env, "VALIDATION_ERROR")
	require.Contains(t, env.Error.Message, "Idempotency-Key")

	resp, env = call(t, "POST", url, key, `{"service_id":"wa","country_id":187}`, "Idempotency-Key", strings.Repeat("k", 256))
	require.Equal(t, 400, resp.StatusCode)
	require.Contains(t, env.Error.Message, "Idempotency-Key")
}
