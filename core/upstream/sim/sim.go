package sim

import (
	"cmp"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Defaults applied by New.
const (
	// DefaultAPIKey is the key accepted when Config.APIKey is empty.
	DefaultAPIKey = "sim-key"
	// DefaultEarlyCancel is SMS-Activate's "first 2 minutes" cancel ban.
	DefaultEarlyCancel = 2 * time.Minute
	// DefaultTTL is the usual 20-minute activation lifetime.
	DefaultTTL = 20 * time.Minute
)

// Config configures a Sim. The zero value is usable.
type Config struct {
	// APIKey is the only key accepted, DefaultAPIKey when empty.
	APIKey string
	// AutoSMSAfter, when positive, delivers a random 6-digit code to every
	// new activation (and again after each setStatus 3) after that delay.
	AutoSMSAfter time.Duration
	// EarlyCancel is the window after purchase in which setStatus 8 answers
	// EARLY_CANCEL_DENIED: DefaultEarlyCancel when nil, no window when it
	// points to zero or less (e.g. new(time.Duration(0))).
	EarlyCancel *time.Duration
	// TTL is an activation's lifetime, DefaultTTL when zero or less. At its
	// end an activation without SMS is cancelled and refunded, one with SMS
	// is finished.
	TTL time.Duration
	// Now is the clock for activation times, windows and expiry; time.Now
	// when nil. Tests pass a fake to move through TTLs instantly.
	Now func() time.Time
	// Logger receives control-API changes (info) and protocol calls
	// (debug); discarded when nil.
	Logger *slog.Logger
	// Seed derives prices, stock, ids, phones and codes, so repeated runs
	// with the same seed agree.
	Seed int64
}

// Sim is the simulated provider. Its methods are safe for concurrent use.
type Sim struct {
	apiKey      string
	autoSMS     time.Duration
	earlyCancel time.Duration
	ttl         time.Duration
	now         func() time.Time
	logger      *slog.Logger

	// mu guards the fields from rng to closed. It is never held while
	// sleeping or writing a response.
	mu        sync.Mutex
	rng       *rand.Rand
	balance   decimal.Decimal
	services  []serviceInfo
	countries map[int]countryInfo
	offers    map[offerKey]*offer
	acts      map[int64]*activation
	live      map[int64]*activation // not yet finished or cancelled
	byAge     []*activation         // live ones (and some ended), oldest first
	nextID    int64
	timers    map[*time.Timer]struct{}
	closed    bool

	timersWG  sync.WaitGroup
	done      chan struct{} // closed by Close: releases stalled requests
	closeOnce sync.Once

	faultMu  sync.Mutex
	faults   Faults
	faultRNG *rand.Rand

	statsMu sync.Mutex
	counts  map[string]int64
}

// New returns a simulator with the built-in catalog and a USD balance of
// 1000. Call Close when done to stop pending auto-SMS timers.
func New(cfg Config) *Sim {
	earlyCancel := DefaultEarlyCancel
	if cfg.EarlyCancel != nil {
		earlyCancel = max(*cfg.EarlyCancel, 0)
	}
	ttl := cfg.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))
	s := &Sim{
		apiKey:      cmp.Or(cfg.APIKey, DefaultAPIKey),
		autoSMS:     cfg.AutoSMSAfter,
		earlyCancel: earlyCancel,
		ttl:         ttl,
		now:         now,
		logger:      cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		rng:         rng,
		balance:     decimal.New(1000, 0), // USD; SetBalance changes it
		services:    append([]serviceInfo(nil), catalogServices...),
		countries:   make(map[int]countryInfo, len(catalogCountries)),
		offers:      make(map[offerKey]*offer, len(catalogServices)*len(catalogCountries)),
		acts:        make(map[int64]*activation),
		live:        make(map[int64]*activation),
		// Ids are 9 digits, like SMS-Activate's, and never start with 0.
		nextID:   100_000_000 + rng.Int64N(800_000_000),
		timers:   make(map[*time.Timer]struct{}),
		done:     make(chan struct{}),
		faults:   Faults{Mode: FaultNone},
		faultRNG: rand.New(rand.NewPCG(uint64(cfg.Seed), 0xfa17)),
		counts:   make(map[string]int64),
	}
	for _, c := range catalogCountries {
		s.countries[c.ID] = c
		for _, svc := range catalogServices {
			o := seededOffer(cfg.Seed, svc.Code, c.ID)
			s.offers[offerKey{svc.Code, c.ID}] = &o
		}
	}
	return s
}

// Handler serves the protocol at /stubs/handler_api.php and the control
// API under /sim/.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stubs/handler_api.php", s.serveProtocol)
	mux.HandleFunc("POST /stubs/handler_api.php", s.serveProtocol)
	mux.HandleFunc("POST /sim/sms", s.handleSMS)
	mux.HandleFunc("POST /sim/stock", s.handleStock)
	mux.HandleFunc("POST /sim/faults", s.handleFaults)
	mux.HandleFunc("GET /sim/activations", s.handleActivations)
	mux.HandleFunc("GET /sim/stats", s.handleStats)
	return mux
}

// Close stops pending auto-SMS deliveries, waits for any running one and
// releases requests held by the timeout fault. The handler keeps answering
// afterwards, without auto-SMS.
func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for t := range s.timers {
			if t.Stop() {
				s.timersWG.Done() // the callback will never run
			}
		}
		clear(s.timers)
		s.mu.Unlock()
		close(s.done)
		s.timersWG.Wait()
	})
}

// SetBalance sets the USD balance, e.g. to zero to provoke NO_BALANCE.
func (s *Sim) SetBalance(usd decimal.Decimal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance = usd
}

// SetStock sets the stock of a service in a country and, when cost is not
// nil, its USD price. Unknown services and countries are added, so tests
// can invent any pair. A negative count is stored as zero.
func (s *Sim) SetStock(service string, country int, count int, cost *decimal.Decimal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.knownServiceLocked(service) {
		s.services = append(s.services, serviceInfo{Code: service, Name: service})
	}
	if _, ok := s.countries[country]; !ok {
		s.countries[country] = countryInfo{ID: country, Eng: "Country " + strconv.Itoa(country),
			CallingCode: "999", Prefixes: []string{"5"}, NationalLen: 9}
	}
	o, ok := s.offers[offerKey{service, country}]
	if !ok {
		o = &offer{cost: decimal.New(50, -2)}
		s.offers[offerKey{service, country}] = o
	}
	o.count = max(count, 0)
	if cost != nil {
		o.cost = *cost
	}
	s.logger.Info("sim stock set", "service", service, "country", country, "count", o.count, "cost", o.cost.String())
}

func (s *Sim) knownServiceLocked(code string) bool {
	for _, svc := range s.services {
		if svc.Code == code {
			return true
		}
	}
	return false
}
