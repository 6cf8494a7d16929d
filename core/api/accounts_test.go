package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/api"
	"accgen/core/httpx"
	"accgen/core/secret"
	"accgen/storage/postgres"
	"accgen/storage/postgres/pgtest"
	"accgen/storage/redis"
	"accgen/storage/redis/redistest"
)

type accountsBundle struct {
	srv       *httptest.Server
	db        *postgres.DB
	users     *core.Users
	keys      *core.Keys
	ledger    *core.Ledger
	inventory *core.Inventory
}

func setupAccounts(t *testing.T) accountsBundle {
	t.Helper()
	db := pgtest.New(t)
	key := make([]byte, secret.KeySize)
	_, err := rand.Read(key)
	require.NoError(t, err)
	kr, err := secret.NewKeyring(key)
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	b := accountsBundle{db: db, users: core.NewUsers(db), keys: core.NewKeys(db, db), ledger: core.NewLedger(db)}
	b.inventory = core.NewInventory(db, db, b.ledger, kr)
	h := api.NewHandler(api.Deps{
		Keys:     b.keys,
		Wallets:  b.ledger,
		Accounts: b.inventory,
		Limiter:  redis.NewRateLimiter(redistest.New(t), core.RateLimit{Requests: 10000, Period: time.Second}, logger),
		Logger:   logger,
	})
	b.srv = httptest.NewServer(httpx.WithRequestID(h))
	t.Cleanup(b.srv.Close)
	return b
}

// buyer creates a user with a wallet of amount NGN and an API key.
func (b accountsBundle) buyer(t *testing.T, telegramID int64, amount string) (core.User, string) {
	t.Helper()
	ctx := context.Background()
	u, _, err := b.users.Ensure(ctx, core.NewUser{TelegramID: telegramID})
	require.NoError(t, err)
	if amount != "0" {
		_, err = b.ledger.TopUp(ctx, u.ID, decimal.RequireFromString(amount), fmt.Sprintf("seed-%d", u.ID), "")
		require.NoError(t, err)
	}
	key, _, err := b.keys.Issue(ctx, u.ID, "test")
	require.NoError(t, err)
	return u, key
}

// product creates a product with n credentials "<name>-<i>:pw".
func (b accountsBundle) product(t *testing.T, name, price string, n int) core.Product {
	t.Helper()
	ctx := context.Background()
	p, err := b.inventory.CreateProduct(ctx, core.NewProduct{Name: name, Category: "Instagram",
		Description: "Aged account with email access", Price: decimal.RequireFromString(price)})
	require.NoError(t, err)
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("%s-%d:pw", name, i)
	}
	_, err = b.inventory.ImportStock(ctx, p.ID, lines)
	require.NoError(t, err)
	return p
}

func (b accountsBundle) balance(t *testing.T, userID int64) string {
	t.Helper()
	bal, err := b.ledger.Balance(context.Background(), userID)
	require.NoError(t, err)
	return bal.StringFixed(2)
}

// send makes a request with an optional JSON body and extra headers
// (name, value pairs) and decodes the envelope.
func (b accountsBundle) send(t *testing.T, method, path, key, body string, headers ...string) (*http.Response, envelope) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
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

type accountOrder struct {
	ID           string    `json:"id"`
	AccountID    int64     `json:"account_id"`
	ProductName  string    `json:"product_name"`
	Quantity     int       `json:"quantity"`
	UnitPriceNGN float64   `json:"unit_price_ngn"`
	TotalNGN     float64   `json:"total_ngn"`
	Credentials  []string  `json:"credentials"`
	CreatedAt    time.Time `json:"created_at"`
}

func decodeOrder(t *testing.T, env envelope) accountOrder {
	t.Helper()
	require.True(t, env.Success, env.Error)
	var o accountOrder
	require.NoError(t, json.Unmarshal(env.Data, &o))
	return o
}

func TestAccountCatalog(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t)
	_, key := b.buyer(t, 20, "0")
	ig := b.product(t, "IG", "2500", 3)
	empty := b.product(t, "Empty", "99.5", 0)
	hidden := b.product(t, "Hidden", "10", 1)
	_, err := b.db.Pool().Exec(context.Background(), `UPDATE products SET active = false WHERE id = $1`, hidden.ID)
	require.NoError(t, err)

	resp, env := b.send(t, "GET", "/api/v1/accounts/catalog", key, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, fmt.Sprintf(`{"items":[
		{"id":%d,"name":"IG","category":"Instagram","description":"Aged account with email access","price_ngn":2500.00,"stock":3,"in_stock":true},
		{"id":%d,"name":"Empty","category":"Instagram","description":"Aged account with email access","price_ngn":99.50,"stock":0,"in_stock":false}]}`,
		ig.ID, empty.ID), string(env.Data))
	require.Contains(t, string(env.Data), `"price_ngn":2500.00`, "money has two decimals")

	resp, env = b.send(t, "GET", fmt.Sprintf("/api/v1/accounts/catalog/%d", ig.ID), key, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(env.Data), `"stock":3`)

	for _, id := range []string{fmt.Sprint(hidden.ID), "999999", "abc", "0", "-1", "1.5"} {
		resp, env = b.send(t, "GET", "/api/v1/accounts/catalog/"+id, key, "")
		require.Equal(t, http.StatusNotFound, resp.StatusCode, id)
		requireError(t, env, "NOT_FOUND")
	}
	resp, _ = b.send(t, "GET", "/api/v1/accounts/catalog", "", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// Every malformed order is refused with a message naming the problem, and
// none of them charges or takes anything.
func TestAccountOrderValidation(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t)
	u, key := b.buyer(t, 21, "10000")
	p := b.product(t, "IG", "100", 10)
	id := fmt.Sprint(p.ID)

	for _, tc := range []struct {
		name, body, code, message string
		headers                   []string
	}{
		{"quantity 0", `{"account_id":` + id + `,"quantity":0}`, "VALIDATION_ERROR", "quantity: must be a whole number from 1 to 50", nil},
		{"quantity 51", `{"account_id":` + id + `,"quantity":51}`, "VALIDATION_ERROR", "quantity: must be a whole number from 1 to 50", nil},
		{"quantity -1", `{"account_id":` + id + `,"quantity":-1}`, "VALIDATION_ERROR", "quantity: must be a whole number from 1 to 50", nil},
		{"quantity string", `{"account_id":` + id + `,"quantity":"2"}`, "VALIDATION_ERROR", "quantity: must be a number, not a string", nil},
		{"quantity fraction", `{"account_id":` + id + `,"quantity":1.5}`, "VALIDATION_ERROR", "quantity: must be a whole number from 1 to 50", nil},
		{"quantity bool", `{"account_id":` + id + `,"quantity":true}`, "VALIDATION_ERROR", "quantity:", nil},
		{"missing account_id", `{"quantity":1}`, "VALIDATION_ERROR", "account_id: is required", nil},
		{"null account_id", `{"account_id":null}`, "VALIDATION_ERROR", "account_id: is required", nil},
		{"account_id string", `{"account_id":"` + id + `"}`, "VALIDATION_ERROR", "account_id: must be a number", nil},
		{"account_id zero", `{"account_id":0}`, "VALIDATION_ERROR", "account_id: must be a positive whole number", nil},
		{"unknown account_id", `{"account_id":999999}`, "NOT_FOUND", "999999", nil},
		{"unknown field", `{"account_id":` + id + `,"qty":2}`, "VALIDATION_ERROR", `unknown field "qty"`, nil},
		{"malformed JSON", `{"account_id":` + id + `,`, "VALIDATION_ERROR", "body: is not valid JSON", nil},
		{"not an object", `[1,2]`, "VALIDATION_ERROR", "body:", nil},
		{"oversized body", `{"account_id":` + id + `,"quantity":1` + strings.Repeat(" ", 20<<10) + `}`, "VALIDATION_ERROR", "body: must be at most", nil},
		{"empty body", ` `, "VALIDATION_ERROR", "body: is empty", nil},
		{"non-ASCII idempotency key", `{"account_id":` + id + `}`, "VALIDATION_ERROR", "Idempotency-Key", []string{"Idempotency-Key", "clé"}},
		{"long idempotency key", `{"account_id":` + id + `}`, "VALIDATION_ERROR", "Idempotency-Key", []string{"Idempotency-Key", strings.Repeat("k", 256)}},
	} {
		resp, env := b.send(t, "POST", "/api/v1/accounts/orders", key, tc.body, tc.headers...)
		requireError(t, env, tc.code)
		require.Contains(t, env.Error.Message, tc.message, tc.name)
		want := http.StatusBadRequest
		if tc.code == "NOT_FOUND" {
			want = http.StatusNotFound
		}
		require.Equal(t, want, resp.StatusCode, tc.name)
	}

	require.Equal(t, "10000.00", b.balance(t, u.ID), "nothing was charged")
	got, err := b.inventory.CatalogItem(context.Background(), p.ID)
	require.NoError(t, err)
	require.Equal(t, 10, got.Stock, "nothing was taken")
	_, env := b.send(t, "GET", "/api/v1/accounts/orders", key, "")
	require.Contains(t, string(env.Data), `"total":0`)
}

func TestAccountOrderPurchaseAndRead(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t)
	u, key := b.buyer(t, 22, "1000")
	p := b.product(t, "IG", "250.25", 3)

	resp, env := b.send(t, "POST", "/api/v1/accounts/orders", key, fmt.Sprintf(`{"account_id":%d}`, p.ID))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Idempotency-Replayed"))
	o := decodeOrder(t, env)
	require.True(t, core.IsUUID(o.ID), o.ID)
	require.Equal(t, p.ID, o.AccountID)
	require.Equal(t, "IG", o.ProductName)
	require.Equal(t, 1, o.Quantity, "quantity defaults to 1")
	require.Equal(t, []string{"IG-0:pw"}, o.Credentials)
	require.WithinDuration(t, time.Now(), o.CreatedAt, time.Minute)
	require.Contains(t, string(env.Data), `"unit_price_ngn":250.25`)
	require.Contains(t, string(env.Data), `"total_ngn":250.25`)
	require.Contains(t, string(env.Data), `Z"`, "created_at is UTC")

	resp, env = b.send(t, "POST", "/api/v1/accounts/orders", key, fmt.Sprintf(`{"account_id":%d,"quantity":2}`, p.ID))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	o2 := decodeOrder(t, env)
	require.Equal(t, []string{"IG-1:pw", "IG-2:pw"}, o2.Credentials)
	require.Contains(t, string(env.Data), `"total_ngn":500.50`)
	require.Equal(t, "249.25", b.balance(t, u.ID))

	resp, env = b.send(t, "GET", "/api/v1/accounts/orders/"+o.ID, key, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, o, decodeOrder(t, env))

	resp, env = b.send(t, "GET", "/api/v1/accounts/orders?limit=1", key, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list struct {
		Orders               []accountOrder `json:"orders"`
		Limit, Offset, Total int
	}
	require.NoError(t, json.Unmarshal(env.Data, &list))
	require.Equal(t, 1, list.Limit)
	require.Equal(t, 0, list.Offset)
	require.Equal(t, 2, list.Total)
	require.Equal(t, []accountOrder{o2}, list.Orders, "newest first, credentials included")

	_, env = b.send(t, "GET", "/api/v1/accounts/orders?limit=0", key, "")
	requireError(t, env, "VALIDATION_ERROR")
	require.Contains(t, env.Error.Message, "limit")

	// Out of stock, then out of money: the seed's codes, nothing taken.
	resp, env = b.send(t, "POST", "/api/v1/accounts/orders", key, fmt.Sprintf(`{"account_id":%d}`, p.ID))
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	requireError(t, env, "INSUFFICIENT_STOCK")
	require.Equal(t, "Not enough stock: 0 available", env.Error.Message)
	rich := b.product(t, "Pricey", "300", 1)
	resp, env = b.send(t, "POST", "/api/v1/accounts/orders", key, fmt.Sprintf(`{"account_id":%d}`, rich.ID))
	require.Equal(t, http.StatusPaymentRequired, resp.StatusCode)
	requireError(t, env, "INSUFFICIENT_BALANCE")
	require.Equal(t, "249.25", b.balance(t, u.ID))
}

func TestAccountOrderIdempotency(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t)
	u, key := b.buyer(t, 23, "10000")
	p := b.product(t, "IG", "100", 100)
	body := fmt.Sprintf(`{"account_id":%d,"quantity":2}`, p.ID)

	resp, env := b.send(t, "POST", "/api/v1/accounts/orders", key, body, "Idempotency-Key", "retry-me")
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	first := decodeOrder(t, env)

	// The same request, spelled differently, replays.
	resp, env = b.send(t, "POST", "/api/v1/accounts/orders", key, fmt.Sprintf(`{ "quantity": 2, "account_id": %d }`, p.ID), "Idempotency-Key", "retry-me")
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Equal(t, "true", resp.Header.Get("Idempotency-Replayed"))
	require.Equal(t, first, decodeOrder(t, env), "same order, same credentials")
	require.Equal(t, "9800.00", b.balance(t, u.ID), "charged once")

	resp, env = b.send(t, "POST", "/api/v1/accounts/orders", key, fmt.Sprintf(`{"account_id":%d,"quantity":3}`, p.ID), "Idempotency-Key", "retry-me")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	requireError(t, env, "VALIDATION_ERROR")
	require.Contains(t, env.Error.Message, `Idempotency-Key "retry-me" was used with a different request`)
	require.Equal(t, "9800.00", b.balance(t, u.ID))

	// 20 concurrent identical requests: one order, one charge.
	const n = 20
	ids := make([]string, n)
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		// No require in these goroutines: FailNow must run on the test's own.
		wg.Go(func() {
			req, _ := http.NewRequest("POST", b.srv.URL+"/api/v1/accounts/orders", strings.NewReader(fmt.Sprintf(`{"account_id":%d,"quantity":5}`, p.ID)))
			req.Header.Set("X-API-Key", key)
			req.Header.Set("Idempotency-Key", "burst")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			statuses[i] = resp.StatusCode
			var env struct{ Data accountOrder }
			errs[i] = json.NewDecoder(resp.Body).Decode(&env)
			ids[i] = env.Data.ID
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, http.StatusCreated, statuses[i])
		require.NotEmpty(t, ids[i])
		require.Equal(t, ids[0], ids[i])
	}
	require.Equal(t, "9300.00", b.balance(t, u.ID))
	_, env = b.send(t, "GET", "/api/v1/accounts/orders", key, "")
	require.Contains(t, string(env.Data), `"total":2`)
}

// One key cannot read another key's orders, even the same user's.
func TestAccountOrdersAreScopedToTheKey(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t)
	u, key := b.buyer(t, 24, "1000")
	sibling, _, err := b.keys.Issue(context.Background(), u.ID, "sibling")
	require.NoError(t, err)
	_, stranger := b.buyer(t, 25, "0")
	p := b.product(t, "IG", "100", 2)

	_, env := b.send(t, "POST", "/api/v1/accounts/orders", key, fmt.Sprintf(`{"account_id":%d}`, p.ID))
	o := decodeOrder(t, env)

	for _, other := range []string{sibling, stranger} {
		resp, env := b.send(t, "GET", "/api/v1/accounts/orders/"+o.ID, other, "")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		requireError(t, env, "NOT_FOUND")
		_, env = b.send(t, "GET", "/api/v1/accounts/orders", other, "")
		require.JSONEq(t, `{"orders":[],"limit":20,"offset":0,"total":0}`, string(env.Data))
	}
	for _, bad := range []string{"not-a-uuid", strings.ToUpper(o.ID) + "0", "123"} {
		resp, env := b.send(t, "GET", "/api/v1/accounts/orders/"+bad, key, "")
		require.Equal(t, http.StatusNotFound, resp.StatusCode, bad)
		requireError(t, env, "NOT_FOUND")
	}
	resp, _ := b.send(t, "GET", "/api/v1/accounts/orders/"+strings.ToUpper(o.ID), key, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "UUIDs are case-insensitive")
}
