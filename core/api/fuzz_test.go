package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
)

// The REST bodies (SMS order, account order, webhook endpoint) through the
// real handlers, over engine fakes that record what reached them. Whatever
// the body, the answer is the envelope with a 201/200 or a 400, never a 5xx;
// and the engine is only called with a request that passed validation.
// Run with: go test -fuzz=FuzzRESTBodies ./core/api

type fuzzKeys struct{}

func (fuzzKeys) Authenticate(context.Context, string) (core.Principal, error) {
	return core.Principal{UserID: 7, KeyID: 9}, nil
}

type fuzzLimiter struct{}

func (fuzzLimiter) Allow(context.Context, string) (core.RateDecision, error) {
	return core.RateDecision{Allowed: true, Limit: core.RateLimit{Requests: 1, Period: time.Second}}, nil
}

// fuzzEngine is every engine interface the routes use; it records calls.
type fuzzEngine struct {
	placed    []core.PlaceSMSParams
	purchased []core.PurchaseParams
	endpoints []string
}

func (e *fuzzEngine) Catalog() *core.Catalog { return nil }
func (e *fuzzEngine) Place(_ context.Context, p core.PlaceSMSParams) (core.SMSOrder, bool, error) {
	e.placed = append(e.placed, p)
	return core.SMSOrder{ID: "12345678-0000-4000-8000-000000000000", ShortID: 12345678, ServiceID: p.ServiceID,
		CountryID: p.CountryID, Price: decimal.NewFromInt(100), Status: core.SMSPending, CreatedAt: time.Unix(0, 0)}, false, nil
}
func (e *fuzzEngine) Order(context.Context, core.Scope, string) (core.SMSOrder, error) {
	return core.SMSOrder{}, core.Errorf(core.CodeNotFound, "no")
}
func (e *fuzzEngine) Orders(context.Context, core.Scope, int, int) ([]core.SMSOrder, int, error) {
	return nil, 0, nil
}
func (e *fuzzEngine) Cancel(context.Context, core.Scope, string) (core.SMSOrder, decimal.Decimal, error) {
	return core.SMSOrder{}, decimal.Zero, core.Errorf(core.CodeNotFound, "no")
}

type fuzzAccounts struct{ e *fuzzEngine }

func (a fuzzAccounts) Catalog(context.Context) ([]core.Product, error) { return nil, nil }
func (a fuzzAccounts) CatalogItem(context.Context, int64) (core.Product, error) {
	return core.Product{}, core.Errorf(core.CodeNotFound, "no")
}
func (a fuzzAccounts) Purchase(_ context.Context, p core.PurchaseParams) (core.AccountOrder, error) {
	a.e.purchased = append(a.e.purchased, p)
	return core.AccountOrder{ID: "o", ProductID: p.ProductID, Quantity: p.Quantity, UnitPrice: decimal.NewFromInt(1),
		Total: decimal.NewFromInt(int64(p.Quantity)), Credentials: make([]string, p.Quantity)}, nil
}
func (a fuzzAccounts) Order(context.Context, core.Scope, string) (core.AccountOrder, error) {
	return core.AccountOrder{}, core.Errorf(core.CodeNotFound, "no")
}
func (a fuzzAccounts) Orders(context.Context, core.Scope, int, int) ([]core.AccountOrder, int, error) {
	return nil, 0, nil
}

type fuzzWebhooks struct{ e *fuzzEngine }

func (w fuzzWebhooks) SetEndpoint(_ context.Context, _ int64, url string, _ bool) (core.WebhookEndpoint, error) {
	u, err := core.ValidateWebhookURL(url)
	if err != nil {
		return core.WebhookEndpoint{}, err
	}
	w.e.endpoints = append(w.e.endpoints, u)
	return core.WebhookEndpoint{URL: u, Secret: "whsec_x", Enabled: true}, nil
}
func (w fuzzWebhooks) Endpoint(context.Context, int64) (core.WebhookEndpoint, error) {
	return core.WebhookEndpoint{}, core.Errorf(core.CodeNotFound, "no")
}
func (w fuzzWebhooks) DeleteEndpoint(context.Context, int64) error { return nil }
func (w fuzzWebhooks) Deliveries(context.Context, int64, int, int) ([]core.WebhookDelivery, int, error) {
	return nil, 0, nil
}
func (w fuzzWebhooks) Delivery(context.Context, int64, string) (core.WebhookDelivery, []core.WebhookAttempt, error) {
	return core.WebhookDelivery{}, nil, core.Errorf(core.CodeNotFound, "no")
}

var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/sms/orders"}, {"POST", "/api/v1/accounts/orders"}, {"PUT", "/api/v1/user/webhook"},
}

func FuzzRESTBodies(f *testing.F) {
	for _, seed := range []struct {
		route       uint8
		body, ctype string
		idem        string
	}{
		{0, `{"service_id":"wa","country_id":187}`, "application/json", ""},
		{0, `{"service_id":"wa","country_id":1e20}`, "application/json", "k"},
		{0, `{"service_id":"","country_id":-1}`, "application/json; charset=utf-8", ""},
		{0, `{"service_id":"wa","country_id":187,"extra":1}`, "", ""},
		{0, `{"service_id":"wa","country_id":187}{"x":1}`, "application/json", ""},
		{0, `[]`, "text/plain", "\x00"},
		{1, `{"account_id":15,"quantity":2}`, "application/json", "idem-1"},
		{1, `{"account_id":"15","quantity":2.5}`, "application/json", ""},
		{1, `{"account_id":9223372036854775808,"quantity":50}`, "application/json", ""},
		{1, `{"account_id":1,"quantity":51}`, "", ""},
		{1, `{"account_id":1,"quantity":-0}`, "", ""},
		{2, `{"url":"https://hooks.example/x","rotate_secret":true}`, "application/json", ""},
		{2, `{"url":"javascript:alert(1)"}`, "application/json", ""},
		{2, `{"url":null}`, "", ""},
		{2, "{\"url\":\"http://x/\u202e\"}", "", ""},
		{0, "", "", ""}, {1, "null", "", ""}, {2, `{"url":`, "", ""},
	} {
		f.Add(seed.route, []byte(seed.body), seed.ctype, seed.idem)
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte, ctype, idem string) {
		e := &fuzzEngine{}
		h := NewHandler(Deps{Keys: fuzzKeys{}, Wallets: nil, SMS: e, Accounts: fuzzAccounts{e}, Webhooks: fuzzWebhooks{e},
			Limiter: fuzzLimiter{}, Logger: slog.New(slog.DiscardHandler)})
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.Header.Set("X-API-Key", "key")
		if ctype != "" {
			req.Header["Content-Type"] = []string{ctype}
		}
		if idem != "" {
			req.Header["Idempotency-Key"] = []string{idem}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)

		var env struct {
			Success bool            `json:"success"`
			Data    json.RawMessage `json:"data"`
			Error   *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), "%d %q", w.Code, w.Body.String())
		switch w.Code {
		case http.StatusOK, http.StatusCreated:
			require.True(t, env.Success)
		case http.StatusBadRequest:
			require.False(t, env.Success)
			require.Equal(t, "VALIDATION_ERROR", env.Error.Code)
			require.NotEmpty(t, env.Error.Message)
		default:
			t.Fatalf("status %d for %s %q: %s", w.Code, rt.path, body, w.Body.String())
		}
		for _, p := range e.placed {
			require.NotEmpty(t, p.ServiceID)
			require.Equal(t, core.Scope{UserID: 7, APIKeyID: 9}, p.Scope)
		}
		for _, p := range e.purchased {
			require.Positive(t, p.ProductID)
			require.True(t, p.Quantity >= 1 && p.Quantity <= core.MaxPurchaseQuantity, "quantity %d", p.Quantity)
		}
		for _, u := range e.endpoints {
			_, err := core.ValidateWebhookURL(u)
			require.NoError(t, err)
		}
		if len(e.placed)+len(e.purchased)+len(e.endpoints) > 0 {
			require.Less(t, w.Code, 300, "the engine was called only for a valid request")
			for _, p := range e.placed {
				require.Len(t, p.IdempotencyKey, len(idem))
			}
		}
	})
}
