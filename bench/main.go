// Command bench measures acc-gen's hot paths against baselines taken on the
// same machine in the same run, prints one table and writes it to
// docs/benchmarks.md. `make bench` runs it with local PostgreSQL and Redis.
//
// It starts the upstream simulator (zero latency) and a webhook receiver in
// this process, `accgen serve` and a constant-answer net/http server as child
// processes, and pgbench for the database baseline.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"accgen/core"
	"accgen/core/upstream/sim"
	"accgen/storage/postgres"
)

type options struct {
	duration time.Duration
	conns    int
	out      string
	pgURL    string
	redisURL string
	profile  string // directory for accgen serve's CPU profiles, one per run
	only     map[string]bool
}

// runs says whether a group of figures is measured in this run.
func (o options) runs(name string) bool { return len(o.only) == 0 || o.only[name] }

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each throughput run")
	flag.IntVar(&o.conns, "conns", 32, "concurrent clients")
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "where to write the table (empty: nowhere)")
	flag.StringVar(&o.profile, "profile", "", "write accgen serve's CPU profile of each throughput run to this directory")
	only := flag.String("only", "", "measure only these figures, comma-separated: poll, latency, burst, purchases (for profiling; the table is then partial)")
	flag.Parse()
	if *only != "" {
		o.only = map[string]bool{}
		for _, name := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(name)] = true
		}
	}
	o.pgURL = envOr("ACCGEN_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	o.redisURL = envOr("ACCGEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
	log.SetFlags(log.Ltime)
	if err := benchmark(context.Background(), o); err != nil {
		log.Fatal(err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// env is the running system under test.
type env struct {
	o        options
	accgen   string
	serve    *proc
	sim      *sim.Sim
	hooks    *receiver
	dbURL    string
	db       *pgx.Conn
	key      string
	buyers   []string // one API key per concurrent client, each its own wallet
	adminEnv []string
	pprof    string // accgen serve's profiling address, when profiling
}

func benchmark(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "accgen-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log.Print("building binaries")
	accgenBin, constBin, err := build(dir)
	if err != nil {
		return err
	}
	e := &env{o: o, accgen: accgenBin}
	cleanup, err := e.startSystem(ctx)
	defer cleanup()
	if err != nil {
		return err
	}

	var figs []figure
	if o.runs("poll") {
		poll, rss, err := e.pollPath(ctx, constBin)
		if err != nil {
			return err
		}
		figs = append(figs, poll...)
		figs = append(figs, rss)
	}
	if o.runs("latency") {
		latency, cost, err := e.codeLatencyAndPollCost(ctx)
		if err != nil {
			return err
		}
		figs = append(figs, cost, latency)
	}
	if o.runs("burst") || o.runs("purchases") {
		pgTPS, err := pgbenchTPS(ctx, o)
		if err != nil {
			return err
		}
		if o.runs("burst") {
			burst, err := e.orderBurst(ctx, pgTPS)
			if err != nil {
				return err
			}
			figs = append(figs, burst)
		}
		if o.runs("purchases") {
			purchases, err := e.accountPurchases(ctx, pgTPS, dir)
			if err != nil {
				return err
			}
			figs = append(figs, purchases)
		}
	}

	setup := fmt.Sprintf("Load: %d keep-alive connections, %s per throughput run, a Go load generator in the benchmark process; "+
		"the simulator answers with zero latency; rate limit raised out of the way; ACCGEN_POLL_INTERVAL=1s.", o.conns, o.duration)
	fmt.Println()
	writeTable(os.Stdout, figs, setup)
	if o.out != "" {
		if err := writeDoc(o.out, figs, setup); err != nil {
			return err
		}
		log.Printf("wrote %s", o.out)
	}
	return nil
}

// startSystem creates a database, starts the simulator, the webhook
// receiver and accgen serve, and funds an API key.
func (e *env) startSystem(ctx context.Context) (func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	u, err := url.Parse(e.o.pgURL)
	if err != nil {
		return cleanup, err
	}
	u.Path = fmt.Sprintf("/accgen_bench_%d", time.Now().UnixNano())
	e.dbURL = u.String()
	if _, err := postgres.CreateDatabase(ctx, e.dbURL); err != nil {
		return cleanup, err
	}
	cleanups = append(cleanups, func() { dropDatabase(e.o.pgURL, strings.TrimPrefix(u.Path, "/")) })

	early := time.Duration(0)
	e.sim = sim.New(sim.Config{EarlyCancel: &early, Seed: 11})
	e.sim.SetBalance(decimal.NewFromInt(1_000_000_000))
	for _, svc := range []string{"wa", "tg"} {
		e.sim.SetStock(svc, 187, 10_000_000, nil)
	}
	simSrv := httptest.NewServer(e.sim.Handler())
	cleanups = append(cleanups, simSrv.Close, e.sim.Close)
	e.hooks = newReceiver()
	cleanups = append(cleanups, e.hooks.srv.Close)

	addr, err := freeAddr()
	if err != nil {
		return cleanup, err
	}
	keyB64, err := run(ctx, nil, e.accgen, "keygen")
	if err != nil {
		return cleanup, err
	}
	e.adminEnv = []string{"ACCGEN_DATABASE_URL=" + e.dbURL, "ACCGEN_REDIS_URL=" + e.o.redisURL, "ACCGEN_ENCRYPTION_KEY=" + keyB64, "ACCGEN_LOG_LEVEL=warn"}
	serveEnv := append(append([]string{}, e.adminEnv...),
		"ACCGEN_HTTP_ADDR="+addr,
		"ACCGEN_UPSTREAM_URL="+simSrv.URL+"/stubs/handler_api.php",
		"ACCGEN_UPSTREAM_API_KEY="+sim.DefaultAPIKey,
		"ACCGEN_RATE_LIMIT=10000000/s",
		"ACCGEN_POLL_INTERVAL=1s",
		"ACCGEN_WEBHOOK_ALLOW_PRIVATE=true",
	)
	if e.o.profile != "" {
		if e.pprof, err = freeAddr(); err != nil {
			return cleanup, err
		}
		serveEnv = append(serveEnv, "ACCGEN_PPROF_ADDR="+e.pprof)
	}
	if _, err := run(ctx, e.adminEnv, e.accgen, "migrate"); err != nil {
		return cleanup, err
	}
	log.Print("starting accgen serve")
	if e.serve, err = start(e.accgen, []string{"serve"}, serveEnv, addr, "/readyz"); err != nil {
		return cleanup, err
	}
	cleanups = append(cleanups, e.serve.stop)
	if e.db, err = pgx.Connect(ctx, e.dbURL); err != nil {
		return cleanup, err
	}
	cleanups = append(cleanups, func() { e.db.Close(context.Background()) })

	uid, err := run(ctx, e.adminEnv, e.accgen, "admin", "user", "create", "--telegram-id", "424242")
	if err != nil {
		return cleanup, err
	}
	if e.key, err = run(ctx, e.adminEnv, e.accgen, "admin", "apikey", "create", "--user", uid, "--name", "bench"); err != nil {
		return cleanup, err
	}
	if _, err := run(ctx, e.adminEnv, e.accgen, "admin", "topup", "--user", uid, "--amount", "900000000000", "--reference", "bench"); err != nil {
		return cleanup, err
	}
	if e.buyers, err = fundBuyers(ctx, e.dbURL, e.o.conns); err != nil {
		return cleanup, err
	}
	status, body, err := e.call(ctx, "PUT", "/api/v1/user/webhook", `{"url":"`+e.hooks.srv.URL+`/hook"}`)
	if err != nil || status != 200 {
		return cleanup, fmt.Errorf("set webhook: %d %s %v", status, body, err)
	}
	return cleanup, nil
}

// fundBuyers makes n resellers, each with a funded wallet and a key: a burst
// of orders comes from many customers, not from one wallet.
func fundBuyers(ctx context.Context, dbURL string, n int) ([]string, error) {
	db, err := postgres.Open(ctx, dbURL, nil)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	users, keys, ledger := core.NewUsers(db), core.NewKeys(db, db), core.NewLedger(db)
	out := make([]string, n)
	for i := range out {
		u, _, err := users.Ensure(ctx, core.NewUser{TelegramID: int64(500000 + i)})
		if err != nil {
			return nil, err
		}
		if _, err := ledger.TopUp(ctx, u.ID, decimal.NewFromInt(1_000_000_000), fmt.Sprintf("bench-buyer-%d", i), ""); err != nil {
			return nil, err
		}
		if out[i], _, err = keys.Issue(ctx, u.ID, "bench buyer"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func dropDatabase(serverURL, name string) {
	c, err := pgx.Connect(context.Background(), serverURL)
	if err != nil {
		return
	}
	defer c.Close(context.Background())
	_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// call sends one authenticated REST request.
func (e *env) call(ctx context.Context, method, path, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.serve.base+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-API-Key", e.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, readAll(resp))
	return resp.StatusCode, b.String(), nil
}
