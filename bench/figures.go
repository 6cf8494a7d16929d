package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"accgen/storage/postgres"
)

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func ratioFig(name string, value, baseline float64, unit string, target float64) figure {
	r := value / baseline
	return figure{
		name: name, value: fmt.Sprintf("%.0f %s", value, unit), baseline: fmt.Sprintf("%.0f %s", baseline, unit),
		ratio: fmt.Sprintf("%.2f", r), target: fmt.Sprintf("≥ %.2f", target), pass: r >= target,
	}
}

// placeOrder buys one number through REST and returns its id and short id.
func (e *env) placeOrder(ctx context.Context) (id, short string, err error) {
	status, body, err := e.call(ctx, "POST", "/api/v1/sms/orders", `{"service_id":"wa","country_id":187}`)
	if err != nil || status != 201 {
		return "", "", fmt.Errorf("place order: %d %s %v", status, body, err)
	}
	var env struct {
		Data struct {
			ID      string `json:"id"`
			ShortID string `json:"short_id"`
		} `json:"data"`
	}
	err = json.Unmarshal([]byte(body), &env)
	return env.Data.ID, env.Data.ShortID, err
}

// pollPath: stub getStatus on a live order vs a constant net/http handler.
func (e *env) pollPath(ctx context.Context, constBin string) ([]figure, figure, error) {
	_, short, err := e.placeOrder(ctx)
	if err != nil {
		return nil, figure{}, err
	}
	target := e.serve.base + "/stubs/handler_api.php?" + url.Values{"api_key": {e.key}, "action": {"getStatus"}, "id": {short}}.Encode()
	log.Printf("poll path: getStatus for %s with %d connections", e.o.duration, e.o.conns)
	got, err := e.measure(ctx, "poll-path", func(int) (*http.Request, error) { return http.NewRequest("GET", target, nil) },
		func(status int, body []byte) bool {
			return status == 200 && strings.HasPrefix(string(body), "STATUS_WAIT_CODE")
		})
	if err != nil {
		return nil, figure{}, err
	}
	rss, err := e.serve.peakRSS()
	if err != nil {
		return nil, figure{}, err
	}

	addr, err := freeAddr()
	if err != nil {
		return nil, figure{}, err
	}
	base, err := start(constBin, []string{"-addr", addr}, nil, addr, "/")
	if err != nil {
		return nil, figure{}, err
	}
	defer base.stop()
	log.Printf("poll path baseline: constant handler")
	want := runLoad(ctx, e.o.conns, e.o.duration, func(int) (*http.Request, error) { return http.NewRequest("GET", base.base+"/", nil) },
		func(status int, body []byte) bool { return status == 200 })

	throughput := ratioFig("poll path: stub getStatus req/s", got.rate(), want.rate(), "req/s", 0.5)
	throughput.note = fmt.Sprintf("%d ok, %d failed; baseline %d ok, %d failed; %s; baseline %s", got.ok, got.failed, want.ok, want.failed, got.cpu, want.cpu)
	p99, bp99 := got.percentile(0.99), want.percentile(0.99)
	latency := figure{name: "poll path: p99 latency", value: p99.Round(10 * time.Microsecond).String(),
		baseline: bp99.Round(10 * time.Microsecond).String(), ratio: fmt.Sprintf("%.2f", float64(bp99)/float64(p99)),
		target: "(reported)", pass: true, note: fmt.Sprintf("p50 %s (baseline %s)", got.percentile(0.5), want.percentile(0.5))}
	mem := figure{name: "memory: peak RSS of accgen serve", value: fmt.Sprintf("%.1f MB", float64(rss)/1e6), baseline: "-",
		ratio: "-", target: "≤ 150 MB", pass: rss <= 150e6, note: "VmHWM after the poll-path run (setup included)"}
	return []figure{throughput, latency}, mem, nil
}

// receiver is the reseller's webhook endpoint; it notes when each order's
// code arrived.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string]time.Time
}

func newReceiver() *receiver {
	rc := &receiver{got: map[string]time.Time{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		var p struct {
			OrderID string `json:"order_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&p)
		rc.mu.Lock()
		if _, seen := rc.got[p.OrderID]; !seen {
			rc.got[p.OrderID] = at
		}
		rc.mu.Unlock()
	}))
	return rc
}

func (rc *receiver) at(orderID string) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t, ok := rc.got[orderID]
	return t, ok
}

// codeLatencyAndPollCost: with 1,000 live orders, upstream requests per poll
// tick, then 200 SMS injected at random moments and the delay until each
// reaches the reseller's webhook.
func (e *env) codeLatencyAndPollCost(ctx context.Context) (figure, figure, error) {
	const live, injected = 1000, 200
	log.Printf("placing %d live orders", live)
	ids := make([]string, live)
	var (
		wg   sync.WaitGroup
		errs = make(chan error, live)
		sem  = make(chan struct{}, 16)
	)
	for i := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			id, _, err := e.placeOrder(ctx)
			ids[i] = id
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return figure{}, figure{}, err
	}

	const window = 10 * time.Second
	time.Sleep(1500 * time.Millisecond) // let placement traffic settle
	e.sim.ResetCounts()
	time.Sleep(window)
	counts := e.sim.RequestCounts()
	total := int64(0)
	var parts []string
	for action, n := range counts {
		total += n
		parts = append(parts, fmt.Sprintf("%s %d", action, n))
	}
	slices.Sort(parts)
	perTick := float64(total) / window.Seconds() // one tick per second
	cost := figure{name: "poll cost: upstream requests per poll tick (1,000 live orders)", value: fmt.Sprintf("%.2f", perTick),
		baseline: "-", ratio: "-", target: "≤ 2", pass: perTick <= 2,
		note: fmt.Sprintf("every upstream request over %s at one tick per second: %s (the sweeper's orphan check included)", window, strings.Join(parts, ", "))}

	upstreamIDs := map[string]string{}
	rows, err := e.db.Query(ctx, `SELECT id::text, upstream_id FROM sms_orders WHERE status = 'pending'`)
	if err != nil {
		return figure{}, figure{}, err
	}
	for rows.Next() {
		var id, up string
		if err := rows.Scan(&id, &up); err != nil {
			return figure{}, figure{}, err
		}
		upstreamIDs[id] = up
	}
	rows.Close()
	log.Printf("code latency: injecting %d SMS at random moments", injected)
	rng := rand.New(rand.NewPCG(7, 7))
	order := rng.Perm(live)[:injected]
	sent := map[string]time.Time{}
	for _, i := range order {
		time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
		id := ids[i]
		if err := e.sim.InjectSMS(upstreamIDs[id], fmt.Sprintf("Your code is %06d", i), ""); err != nil {
			return figure{}, figure{}, fmt.Errorf("inject: %w", err)
		}
		sent[id] = time.Now()
	}
	deadline := time.Now().Add(30 * time.Second)
	var lats []time.Duration
	for id, t0 := range sent {
		for {
			if t1, ok := e.hooks.at(id); ok {
				lats = append(lats, t1.Sub(t0))
				break
			}
			if time.Now().After(deadline) {
				return figure{}, figure{}, fmt.Errorf("code latency: %d of %d webhooks never arrived", len(sent)-len(lats), len(sent))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	slices.Sort(lats)
	p50, p99 := lats[len(lats)/2], lats[int(float64(len(lats)-1)*0.99)]
	latency := figure{name: "code latency: SMS upstream → reseller webhook, p99", value: p99.Round(time.Millisecond).String(),
		baseline: "-", ratio: "-", target: "≤ 1.5s", pass: p99 <= 1500*time.Millisecond,
		note: fmt.Sprintf("%d codes over %d live orders; p50 %s, max %s", len(lats), live, p50.Round(time.Millisecond), lats[len(lats)-1].Round(time.Millisecond))}
	return latency, cost, nil
}

// pgbenchTPS runs pgbench's built-in tpcb-like script at the same client
// count on the same PostgreSQL: the database baseline for the write paths.
func pgbenchTPS(ctx context.Context, o options) (float64, error) {
	bin, err := pgBin("pgbench")
	if err != nil {
		return 0, err
	}
	u, err := url.Parse(o.pgURL)
	if err != nil {
		return 0, err
	}
	name := fmt.Sprintf("accgen_bench_pgbench_%d", time.Now().UnixNano())
	u.Path = "/" + name
	if _, err := createDB(ctx, u.String()); err != nil {
		return 0, err
	}
	defer dropDatabase(o.pgURL, name)
	conn := []string{"-h", u.Hostname(), "-p", portOr(u.Port(), "5432"), "-U", userOr(u), name}
	log.Print("pgbench baseline: initialising scale 10")
	if _, err := run(ctx, nil, bin, append([]string{"-i", "-q", "-s", "10"}, conn...)...); err != nil {
		return 0, err
	}
	log.Printf("pgbench baseline: tpcb-like, %d clients, %s", o.conns, o.duration)
	out, err := run(ctx, nil, bin, append([]string{"-n", "-b", "tpcb-like", "-c", strconv.Itoa(o.conns), "-j", "2",
		"-T", strconv.Itoa(int(o.duration.Seconds()))}, conn...)...)
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	return strconv.ParseFloat(m[1], 64)
}

// orderBurst: completed POST /api/v1/sms/orders per second at conns clients.
func (e *env) orderBurst(ctx context.Context, pgTPS float64) (figure, error) {
	log.Printf("order burst: %d clients for %s", e.o.conns, e.o.duration)
	body := `{"service_id":"tg","country_id":187}`
	got, err := e.measure(ctx, "order-burst", func(w int) (*http.Request, error) {
		req, err := http.NewRequest("POST", e.serve.base+"/api/v1/sms/orders", strings.NewReader(body))
		if err == nil {
			req.Header.Set("X-API-Key", e.buyers[w])
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}, func(status int, _ []byte) bool { return status == 201 })
	if err != nil {
		return figure{}, err
	}
	f := ratioFig("order burst: POST /api/v1/sms/orders completed/s", got.rate(), pgTPS, "/s", 0.5)
	f.baseline = fmt.Sprintf("%.0f tps (pgbench tpcb-like)", pgTPS)
	f.note = fmt.Sprintf("%d created, %d failed; p99 %s; %s; %s", got.ok, got.failed, got.percentile(0.99).Round(time.Millisecond), got.cpu, got.waits)
	return f, nil
}

// accountPurchases: purchases/s of quantity 1 from one product by conns
// clients; afterwards no item may have been sold twice.
func (e *env) accountPurchases(ctx context.Context, pgTPS float64, dir string) (figure, error) {
	pid, err := run(ctx, e.adminEnv, e.accgen, "admin", "product", "create", "--name", "Bench account", "--category", "bench", "--price", "100")
	if err != nil {
		return figure{}, err
	}
	const items = 40000
	var b strings.Builder
	for i := range items {
		fmt.Fprintf(&b, "bench-user-%06d:password-%06d\n", i, i)
	}
	file := filepath.Join(dir, "stock.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		return figure{}, err
	}
	log.Printf("account purchases: importing %d items", items)
	if _, err := run(ctx, e.adminEnv, e.accgen, "admin", "stock", "import", "--product", pid, "--file", file); err != nil {
		return figure{}, err
	}
	log.Printf("account purchases: %d clients for %s", e.o.conns, e.o.duration)
	body := `{"account_id":` + pid + `,"quantity":1}`
	got, err := e.measure(ctx, "account-purchases", func(w int) (*http.Request, error) {
		req, err := http.NewRequest("POST", e.serve.base+"/api/v1/accounts/orders", strings.NewReader(body))
		if err == nil {
			req.Header.Set("X-API-Key", e.buyers[w])
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}, func(status int, _ []byte) bool { return status == 201 })
	if err != nil {
		return figure{}, err
	}
	var sold, orders, distinct int64
	if err := e.db.QueryRow(ctx, `SELECT count(*), count(DISTINCT order_id), count(DISTINCT id) FROM stock_items WHERE status = 'sold' AND product_id = $1`, pid).
		Scan(&sold, &orders, &distinct); err != nil {
		return figure{}, err
	}
	f := ratioFig("account purchase under contention: purchases/s", got.rate(), pgTPS, "/s", 0.5)
	f.baseline = fmt.Sprintf("%.0f tps (pgbench tpcb-like)", pgTPS)
	// Requests still in flight when the run ends complete on the server after
	// the client stopped counting, so the server may have sold a few more.
	once := sold == orders && sold == distinct && sold >= got.ok
	f.note = fmt.Sprintf("%d bought, %d failed; %d items sold to %d orders, each item once: %v; %s; %s", got.ok, got.failed, sold, orders, once, got.cpu, got.waits)
	f.pass = f.pass && once
	return f, nil
}

func createDB(ctx context.Context, dsn string) (bool, error) {
	return postgres.CreateDatabase(ctx, dsn)
}

func portOr(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

func userOr(u *url.URL) string {
	if u.User != nil && u.User.Username() != "" {
		return u.User.Username()
	}
	return "postgres"
}

// pgBin finds a PostgreSQL program on PATH or in Debian's versioned dirs.
func pgBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		slices.Sort(matches)
		return matches[len(matches)-1], nil
	}
	return "", fmt.Errorf("%s not found: install PostgreSQL's client programs", name)
}
