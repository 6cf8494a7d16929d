// Package coretest builds a complete engine for tests: a fresh PostgreSQL
// database, the upstream simulator served over HTTP on loopback, the real
// protocol client, and the domain services. Import it from _test.go files
// only.
package coretest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
	"accgen/core/upstream"
	"accgen/core/upstream/sim"
	"accgen/storage/postgres"
	"accgen/storage/postgres/pgtest"
)

// Clock is a settable clock for the engine.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at the real current time.
func NewClock() *Clock { return &Clock{now: time.Now()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Options tune the environment.
type Options struct {
	SMS             core.SMSConfig // Now defaults to the env's Clock
	SimEarlyCancel  time.Duration  // default 0: cancels are allowed at once
	UpstreamTimeout time.Duration  // default 3s
}

// Env is a running engine over real infrastructure.
type Env struct {
	DB       *postgres.DB
	Sim      *sim.Sim
	SimURL   string
	Client   *upstream.Client
	Provider *upstream.Provider
	Catalog  *core.Catalog
	Ledger   *core.Ledger
	Users    *core.Users
	Keys     *core.Keys
	SMS      *core.SMS
	Clock    *Clock
	Logger   *slog.Logger
}

// New builds an Env for t.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	db := pgtest.New(t)
	early := opts.SimEarlyCancel
	s := sim.New(sim.Config{EarlyCancel: &early, Seed: 7})
	s.SetBalance(decimal.NewFromInt(1_000_000)) // tests buy thousands of numbers
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("ACCGEN_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	client, err := upstream.New(upstream.Config{
		BaseURL: srv.URL + "/stubs/handler_api.php", APIKey: sim.DefaultAPIKey,
		Timeout: cmpOr(opts.UpstreamTimeout, 3*time.Second), Logger: logger,
	})
	if err != nil {
		t.Fatalf("coretest: upstream client: %v", err)
	}
	provider := upstream.NewProvider(client)
	clock := NewClock()
	catalog := core.NewCatalog(provider, db, core.Pricing{
		FXRate: decimal.NewFromInt(1600), MarkupPercent: decimal.NewFromInt(30), Step: decimal.NewFromInt(10),
	}, logger)
	if err := catalog.Refresh(context.Background()); err != nil {
		t.Fatalf("coretest: catalog: %v", err)
	}
	cfg := opts.SMS
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	ledger := core.NewLedger(db)
	return &Env{
		DB: db, Sim: s, SimURL: srv.URL, Client: client, Provider: provider, Catalog: catalog,
		Ledger: ledger, Users: core.NewUsers(db), Keys: core.NewKeys(db, db),
		SMS:   core.NewSMS(db, db, ledger, catalog, provider, nil, cfg, logger),
		Clock: clock, Logger: logger,
	}
}

// Reseller creates a user funded with amount and an API key for it.
func (e *Env) Reseller(t testing.TB, telegramID int64, amount string) (core.User, core.Principal, string) {
	t.Helper()
	ctx := context.Background()
	u, _, err := e.Users.Ensure(ctx, core.NewUser{TelegramID: telegramID})
	if err != nil {
		t.Fatalf("coretest: user: %v", err)
	}
	if amount != "" {
		if _, err := e.Ledger.TopUp(ctx, u.ID, decimal.RequireFromString(amount), "coretest-topup-"+u.String(), ""); err != nil {
			t.Fatalf("coretest: top-up: %v", err)
		}
	}
	key, k, err := e.Keys.Issue(ctx, u.ID, "test")
	if err != nil {
		t.Fatalf("coretest: key: %v", err)
	}
	return u, core.Principal{UserID: u.ID, KeyID: k.ID}, key
}

// Balance returns a user's balance.
func (e *Env) Balance(t testing.TB, userID int64) decimal.Decimal {
	t.Helper()
	b, err := e.Ledger.Balance(context.Background(), userID)
	if err != nil {
		t.Fatalf("coretest: balance: %v", err)
	}
	return b
}

// RequireLedgerClean fails t on any ledger invariant violation.
func (e *Env) RequireLedgerClean(t testing.TB) {
	t.Helper()
	v, err := e.DB.VerifyLedger(context.Background())
	if err != nil {
		t.Fatalf("coretest: verify ledger: %v", err)
	}
	if len(v) > 0 {
		t.Fatalf("coretest: ledger violations: %+v", v)
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
