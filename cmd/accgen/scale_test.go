package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core/upstream/sim"
	"accgen/storage/postgres/pgtest"
)

// hookLog is a webhook receiver that counts deliveries per webhook-id.
type hookLog struct {
	mu    sync.Mutex
	byID  map[string]int
	order map[string]int
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct {
		OrderID string `json:"order_id"`
	}
	_ = json.NewDecoder(r.Body).Decode(&p)
	h.mu.Lock()
	h.byID[r.Header.Get("webhook-id")]++
	h.order[p.OrderID]++
	h.mu.Unlock()
}

func (h *hookLog) counts() (ids, orders int, dup bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.byID {
		dup = dup || n > 1
	}
	for _, n := range h.order {
		dup = dup || n > 1
	}
	return len(h.byID), len(h.order), dup
}

// metricSum adds up one series over several /metrics scrapes.
func metricSum(t *testing.T, bases []string, series string) float64 {
	t.Helper()
	total := 0.0
	for _, b := range bases {
		resp, err := http.Get(b + "/metrics")
		require.NoError(t, err)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
				v, err := strconv.ParseFloat(rest, 64)
				require.NoError(t, err)
				total += v
			}
		}
		resp.Body.Close()
	}
	return total
}

// Three instances on one database and Redis behave as one shop: started at
// once on an empty database they migrate once; 300 orders spread across them
// get their codes, each webhook is delivered exactly once, the ledger
// verifies, and the metrics add up to what happened.
func TestThreeInstancesActAsOneShop(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewEmptyURL(t)
	early := time.Duration(0)
	s := sim.New(sim.Config{EarlyCancel: &early, Seed: 5})
	s.SetBalance(decimal.NewFromInt(1_000_000))
	s.SetStock("wa", 187, 100_000, nil)
	upstreamSrv := httptest.NewServer(s.Handler())
	defer upstreamSrv.Close()
	defer s.Close()
	hooks := &hookLog{byID: map[string]int{}, order: map[string]int{}}
	receiver := httptest.NewServer(hooks)
	defer receiver.Close()

	getenv := env(dbURL)
	childEnv := []string{
		"ACCGEN_DATABASE_URL=" + dbURL,
		"ACCGEN_REDIS_URL=" + getenv("ACCGEN_REDIS_URL"),
		"ACCGEN_REDIS_PREFIX=" + getenv("ACCGEN_REDIS_PREFIX"),
		"ACCGEN_UPSTREAM_URL=" + upstreamSrv.URL + "/stubs/handler_api.php",
		"ACCGEN_UPSTREAM_API_KEY=" + sim.DefaultAPIKey,
		"ACCGEN_ENCRYPTION_KEY=" + getenv("ACCGEN_ENCRYPTION_KEY"),
		"ACCGEN_POLL_INTERVAL=500ms",
		"ACCGEN_RATE_LIMIT=100000/s",
		"ACCGEN_WEBHOOK_ALLOW_PRIVATE=true",
		"ACCGEN_LOG_LEVEL=warn",
	}
	var (
		wg    sync.WaitGroup
		procs = make([]*process, 3)
	)
	for i := range procs {
		wg.Go(func() { procs[i] = startServe(t, childEnv) })
	}
	wg.Wait()
	bases := make([]string, len(procs))
	for i, p := range procs {
		bases[i] = p.base
	}

	uid, err := accgen(t, getenv, "admin", "user", "create", "--telegram-id", "99")
	require.NoError(t, err)
	key, err := accgen(t, getenv, "admin", "apikey", "create", "--user", uid)
	require.NoError(t, err)
	_, err = accgen(t, getenv, "admin", "topup", "--user", uid, "--amount", "100000000", "--reference", "scale")
	require.NoError(t, err)
	call := func(base, method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("X-API-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var env map[string]any
		require.NoError(t, json.Unmarshal(raw, &env), string(raw))
		return resp.StatusCode, env
	}
	status, env := call(bases[0], "PUT", "/api/v1/user/webhook", `{"url":"`+receiver.URL+`"}`)
	require.Equal(t, 200, status, env)

	const n = 300
	ids := make([]string, n)
	sem := make(chan struct{}, 12)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			status, env := call(bases[i%3], "POST", "/api/v1/sms/orders", `{"service_id":"wa","country_id":187}`)
			require.Equal(t, 201, status, env)
			ids[i] = env["data"].(map[string]any)["id"].(string)
		})
	}
	wg.Wait()

	conn, err := pgx.Connect(context.Background(), dbURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	for i, id := range ids {
		var upstreamID string
		require.NoError(t, conn.QueryRow(context.Background(), `SELECT upstream_id FROM sms_orders WHERE id = $1`, id).Scan(&upstreamID))
		require.NoError(t, s.InjectSMS(upstreamID, fmt.Sprintf("Your code is %06d", i), ""))
	}
	require.Eventually(t, func() bool {
		ids, orders, _ := hooks.counts()
		return ids == n && orders == n
	}, 60*time.Second, 100*time.Millisecond, "every code reaches the reseller's webhook")
	time.Sleep(2 * time.Second) // a duplicate would show up by now
	gotIDs, gotOrders, dup := hooks.counts()
	require.Equal(t, n, gotIDs)
	require.Equal(t, n, gotOrders)
	require.False(t, dup, "no webhook was delivered twice")

	var completed int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM sms_orders WHERE status = 'completed'`).Scan(&completed))
	require.Equal(t, n, completed)
	var migrations int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&migrations))
	report, err := accgen(t, getenv, "ledger", "verify")
	require.NoError(t, err, report)

	require.Equal(t, float64(n), metricSum(t, bases, `accgen_sms_orders_placed_total{outcome="issued"}`))
	require.Equal(t, float64(n), metricSum(t, bases, `accgen_sms_codes_received_total`))
	require.Equal(t, float64(n), metricSum(t, bases, `accgen_webhook_attempts_total{outcome="delivered"}`))
	require.Equal(t, float64(3*n), metricSum(t, bases, `accgen_sms_orders{status="completed"}`), "each instance reports the shared database")
	t.Logf("3 instances, %d orders: %d codes delivered once each; %d migrations applied once", n, gotOrders, migrations)
}
