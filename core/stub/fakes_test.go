package stub_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
	"accgen/core/stub"
)

// In-memory doubles of the stub's dependencies, for the fuzz targets and the
// failure paths: fast, deterministic, and able to fail on demand. The real
// engine is exercised by every other test.

// catalogProvider serves a small fixed catalog; the engine double never
// calls anything else.
type catalogProvider struct{ core.Provider }

func (catalogProvider) Catalog(context.Context) (core.ProviderCatalog, error) {
	return core.ProviderCatalog{
		Services:  []core.Service{{ID: "wa", Name: "WhatsApp"}, {ID: "tg", Name: "Telegram BANNED edition"}},
		Countries: []core.Country{{ID: 19, Name: "Nigeria"}, {ID: 187, Name: "USA"}},
		Prices: []core.ProviderPrice{
			{Service: "wa", Country: 187, Cost: decimal.RequireFromString("1.5"), Count: 10},
			{Service: "wa", Country: 19, Cost: decimal.RequireFromString("0.5"), Count: 5},
			{Service: "tg", Country: 19, Cost: decimal.RequireFromString("0.2"), Count: 0},
		},
	}, nil
}

type noOverrides struct{}

func (noOverrides) ListPriceOverrides(context.Context) ([]core.PriceOverride, error) { return nil, nil }
func (noOverrides) SetPriceOverride(context.Context, core.PriceOverride) error       { return nil }
func (noOverrides) DeletePriceOverride(context.Context, string, *int) error          { return nil }

func fakeCatalog(t testing.TB) *core.Catalog {
	t.Helper()
	c := core.NewCatalog(catalogProvider{}, noOverrides{}, core.Pricing{
		FXRate: decimal.NewFromInt(1600), MarkupPercent: decimal.NewFromInt(30), Step: decimal.NewFromInt(10),
	}, slog.New(slog.DiscardHandler))
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeKeys knows "key-1" (user 1, key 1) and "key-2" (user 1, key 2).
type fakeKeys struct{ err error }

func (k fakeKeys) Authenticate(_ context.Context, key string) (core.Principal, error) {
	switch {
	case k.err != nil:
		return core.Principal{}, k.err
	case key == "key-1":
		return core.Principal{UserID: 1, KeyID: 1}, nil
	case key == "key-2":
		return core.Principal{UserID: 1, KeyID: 2}, nil
	}
	return core.Principal{}, core.Errorf(core.CodeUnauthorized, "Invalid API key")
}

type fakeWallets struct{ err error }

func (w fakeWallets) Balance(context.Context, int64) (decimal.Decimal, error) {
	return decimal.RequireFromString("5000.5"), w.err
}

type limiterFunc func() (core.RateDecision, error)

func (f limiterFunc) Allow(context.Context, string) (core.RateDecision, error) { return f() }

// fakeEngine keeps orders in memory with the engine's state rules. When err
// is set, every call fails with it.
type fakeEngine struct {
	catalog *core.Catalog
	err     error

	mu     sync.Mutex
	orders []*core.SMSOrder
	msgs   map[string][]core.SMSMessage
	lists  int // Orders calls
}

var fakeEpoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// newFakeEngine starts with key 1 holding an order in every state
// (10000001 waiting, 10000002 with its code, 10000003 cancelled, 10000004
// finished, 10000005 waiting for another SMS) and key 2 holding 10000006.
func newFakeEngine(catalog *core.Catalog) *fakeEngine {
	e := &fakeEngine{catalog: catalog, msgs: map[string][]core.SMSMessage{}}
	add := func(key int64, st core.SMSStatus, code string, finished, again bool) {
		o := e.newOrder(core.Scope{UserID: 1, APIKeyID: key}, "wa", 187, decimal.NewFromInt(3120))
		o.Status, o.AwaitingAnother = st, again
		if code != "" {
			o.Code, o.Text, o.ReceivedAt = code, "Your code is "+code+" NO_NUMBERS", &fakeEpoch
			e.msgs[o.ID] = []core.SMSMessage{{Seq: 1, Code: code, Text: o.Text, ReceivedAt: fakeEpoch}}
		}
		if finished {
			o.FinishedAt = &fakeEpoch
		}
	}
	add(1, core.SMSPending, "", false, false)
	add(1, core.SMSCompleted, "111111", false, false)
	add(1, core.SMSCancelled, "", false, false)
	add(1, core.SMSCompleted, "222222", true, false)
	add(1, core.SMSPending, "333333", false, true)
	add(2, core.SMSPending, "", false, false)
	return e
}

func (e *fakeEngine) newOrder(sc core.Scope, service string, country int, price decimal.Decimal) *core.SMSOrder {
	short := int64(10_000_001 + len(e.orders))
	expires := fakeEpoch.Add(20 * time.Minute)
	o := &core.SMSOrder{
		ID: strconv.FormatInt(short, 10) + "-0000-4000-8000-000000000000", ShortID: short,
		UserID: sc.UserID, APIKeyID: sc.APIKeyID, Source: core.SourceStub, ServiceID: service, CountryID: country,
		Price: price, Status: core.SMSPending, Phone: "14155550100", CreatedAt: fakeEpoch, ExpiresAt: &expires,
	}
	e.orders = append(e.orders, o)
	return o
}

func (e *fakeEngine) Catalog() *core.Catalog { return e.catalog }

func (e *fakeEngine) Place(_ context.Context, p core.PlaceSMSParams) (core.SMSOrder, bool, error) {
	if e.err != nil {
		return core.SMSOrder{}, false, e.err
	}
	offer, err := e.catalog.Snapshot().FindOffer(p.ServiceID, p.CountryID)
	if err != nil {
		return core.SMSOrder{}, false, err
	}
	if p.MaxPrice != nil && offer.Price.GreaterThan(*p.MaxPrice) {
		return core.SMSOrder{}, false, &core.PriceAboveMaxError{Price: offer.Price}
	}
	if offer.Stock == 0 {
		return core.SMSOrder{}, false, core.Errorf(core.CodeInsufficientStock, "none")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return *e.newOrder(p.Scope, p.ServiceID, p.CountryID, offer.Price), false, nil
}

// find returns the scope's order by a predicate, locked by the caller.
func (e *fakeEngine) find(sc core.Scope, match func(*core.SMSOrder) bool) (*core.SMSOrder, error) {
	if e.err != nil {
		return nil, e.err
	}
	for _, o := range e.orders {
		if match(o) && o.UserID == sc.UserID && (sc.APIKeyID == 0 || o.APIKeyID == sc.APIKeyID) {
			return o, nil
		}
	}
	return nil, core.Errorf(core.CodeNotFound, "Order not found.")
}

func (e *fakeEngine) byID(sc core.Scope, id string) (*core.SMSOrder, error) {
	return e.find(sc, func(o *core.SMSOrder) bool { return o.ID == id })
}

func (e *fakeEngine) OrderByShortID(_ context.Context, sc core.Scope, short int64) (core.SMSOrder, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, err := e.find(sc, func(o *core.SMSOrder) bool { return o.ShortID == short })
	if err != nil {
		return core.SMSOrder{}, err
	}
	return *o, nil
}

func (e *fakeEngine) Orders(_ context.Context, sc core.Scope, limit, offset int) ([]core.SMSOrder, int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lists++
	if e.err != nil {
		return nil, 0, e.err
	}
	var out []core.SMSOrder
	for _, o := range slices.Backward(e.orders) {
		if o.UserID == sc.UserID && o.APIKeyID == sc.APIKeyID {
			out = append(out, *o)
		}
	}
	total := len(out)
	out = out[min(offset, len(out)):]
	return out[:min(limit, len(out))], total, nil
}

func (e *fakeEngine) Messages(_ context.Context, sc core.Scope, id string) ([]core.SMSMessage, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.byID(sc, id); err != nil {
		return nil, err
	}
	return e.msgs[id], nil
}

// transition applies change when allowed says the order may take it.
func (e *fakeEngine) transition(sc core.Scope, id string, allowed func(*core.SMSOrder) bool, change func(*core.SMSOrder)) (core.SMSOrder, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, err := e.byID(sc, id)
	if err != nil {
		return core.SMSOrder{}, err
	}
	if !allowed(o) {
		return core.SMSOrder{}, core.Errorf(core.CodeConflict, "not now")
	}
	change(o)
	return *o, nil
}

func unfinishedCompleted(o *core.SMSOrder) bool {
	return o.Status == core.SMSCompleted && o.FinishedAt == nil
}

func (e *fakeEngine) Cancel(_ context.Context, sc core.Scope, id string) (core.SMSOrder, decimal.Decimal, error) {
	o, err := e.transition(sc, id,
		func(o *core.SMSOrder) bool { return o.Status == core.SMSPending || unfinishedCompleted(o) },
		func(o *core.SMSOrder) { o.Status = core.SMSCancelled })
	return o, o.Price, err
}

func (e *fakeEngine) RequestAnother(_ context.Context, sc core.Scope, id string) (core.SMSOrder, error) {
	return e.transition(sc, id, unfinishedCompleted,
		func(o *core.SMSOrder) { o.Status, o.AwaitingAnother = core.SMSPending, true })
}

func (e *fakeEngine) Finish(_ context.Context, sc core.Scope, id string) (core.SMSOrder, error) {
	return e.transition(sc, id, unfinishedCompleted, func(o *core.SMSOrder) { o.FinishedAt = &fakeEpoch })
}

// fakeDeps are the doubles wired together, logging into logs.
func fakeDeps(catalog *core.Catalog, logs *slog.Logger) (stub.Deps, *fakeEngine) {
	eng := newFakeEngine(catalog)
	return stub.Deps{
		Keys: fakeKeys{}, Wallets: fakeWallets{}, SMS: eng, Logger: logs,
		Limiter: limiterFunc(func() (core.RateDecision, error) { return core.RateDecision{Allowed: true}, nil }),
		Now:     func() time.Time { return fakeEpoch },
	}, eng
}
