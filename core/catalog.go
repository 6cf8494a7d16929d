package core

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
)

// Service is an SMS service (a platform whose verification code is wanted).
type Service struct {
	ID   string // SMS-Activate code, e.g. "wa"
	Name string
}

// Country is an SMS-Activate country.
type Country struct {
	ID   int
	Name string
}

// Offer is one service in one country as we sell it.
type Offer struct {
	Service Service
	Country Country
	Cost    decimal.Decimal // upstream cost in the provider's currency
	Stock   int
	Price   decimal.Decimal // NGN
}

// PriceOverride fixes the NGN price of a service in one country, or in every
// country when CountryID is nil.
type PriceOverride struct {
	ServiceID string
	CountryID *int
	Price     decimal.Decimal
}

// PriceOverrideStore persists operator price overrides.
type PriceOverrideStore interface {
	ListPriceOverrides(ctx context.Context) ([]PriceOverride, error)
	SetPriceOverride(ctx context.Context, o PriceOverride) error
	// DeletePriceOverride returns CodeNotFound when there was none.
	DeletePriceOverride(ctx context.Context, serviceID string, countryID *int) error
}

// Pricing turns upstream costs into NGN prices.
type Pricing struct {
	FXRate        decimal.Decimal // NGN per unit of the provider's currency
	MarkupPercent decimal.Decimal
	Step          decimal.Decimal // prices are rounded up to a multiple of this
}

// Price is cost × FX × (1 + markup/100), rounded up to the step, never below
// one step.
func (p Pricing) Price(cost decimal.Decimal) decimal.Decimal {
	raw := cost.Mul(p.FXRate).Mul(decimal.NewFromInt(1).Add(p.MarkupPercent.Div(decimal.NewFromInt(100))))
	price := raw.Div(p.Step).Ceil().Mul(p.Step)
	if price.LessThan(p.Step) {
		price = p.Step
	}
	return price.Round(2)
}

// CatalogSnapshot is an immutable view of what is for sale.
type CatalogSnapshot struct {
	Services  []Service // in the provider's order
	countries map[int]Country
	services  map[string]Service
	offers    map[offerKey]Offer
	byService map[string][]Offer
	FetchedAt time.Time
}

type offerKey struct {
	service string
	country int
}

// Service returns a service by id.
func (s *CatalogSnapshot) Service(id string) (Service, bool) {
	svc, ok := s.services[id]
	return svc, ok
}

// Country returns a country by id.
func (s *CatalogSnapshot) Country(id int) (Country, bool) {
	c, ok := s.countries[id]
	return c, ok
}

// Offer returns the offer for a service in a country.
func (s *CatalogSnapshot) Offer(service string, country int) (Offer, bool) {
	o, ok := s.offers[offerKey{service, country}]
	return o, ok
}

// OffersFor lists a service's offers, cheapest first.
func (s *CatalogSnapshot) OffersFor(service string) []Offer { return s.byService[service] }

// Countries lists every country with at least one offer, by id.
func (s *CatalogSnapshot) Countries() []Country {
	out := make([]Country, 0, len(s.countries))
	for _, c := range s.countries {
		out = append(out, c)
	}
	sortBy(out, func(c Country) int { return c.ID })
	return out
}

// FindOffer resolves a service and country for a purchase, with errors that
// name the bad field.
func (s *CatalogSnapshot) FindOffer(service string, country int) (Offer, error) {
	if _, ok := s.services[service]; !ok {
		return Offer{}, ValidationError("service_id", "unknown service %q", service)
	}
	if _, ok := s.countries[country]; !ok {
		return Offer{}, ValidationError("country_id", "unknown country %d", country)
	}
	o, ok := s.offers[offerKey{service, country}]
	if !ok {
		return Offer{}, Errorf(CodeInsufficientStock, "%s is not available in %s.", s.services[service].Name, s.countries[country].Name)
	}
	return o, nil
}

// Catalog keeps a priced snapshot of the provider's catalog in memory,
// refreshed in the background, so listing never waits on upstream.
type Catalog struct {
	provider  Provider
	overrides PriceOverrideStore
	pricing   Pricing
	logger    *slog.Logger

	mu   sync.Mutex // serialises rebuilds
	raw  ProviderCatalog
	snap atomic.Pointer[CatalogSnapshot]
}

// NewCatalog returns an empty catalog; call Refresh to load it.
func NewCatalog(p Provider, overrides PriceOverrideStore, pricing Pricing, logger *slog.Logger) *Catalog {
	c := &Catalog{provider: p, overrides: overrides, pricing: pricing, logger: logger}
	c.snap.Store(build(ProviderCatalog{}, nil, pricing, time.Time{}))
	return c
}

// Snapshot returns the current catalog (empty before the first load).
func (c *Catalog) Snapshot() *CatalogSnapshot { return c.snap.Load() }

// Pricing returns the pricing rule.
func (c *Catalog) Pricing() Pricing { return c.pricing }

// Refresh fetches the provider's catalog and reprices it.
func (c *Catalog) Refresh(ctx context.Context) error {
	raw, err := c.provider.Catalog(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.raw = raw
	c.mu.Unlock()
	return c.Reprice(ctx)
}

// Reprice rebuilds the snapshot from the last fetched catalog and the
// current overrides, without calling upstream.
func (c *Catalog) Reprice(ctx context.Context) error {
	overrides, err := c.overrides.ListPriceOverrides(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap.Store(build(c.raw, overrides, c.pricing, time.Now()))
	return nil
}

// SetPriceOverride fixes a price and reprices at once.
func (c *Catalog) SetPriceOverride(ctx context.Context, o PriceOverride) error {
	if err := CheckAmount("price", o.Price); err != nil {
		return err
	}
	if _, ok := c.Snapshot().Service(o.ServiceID); !ok {
		return ValidationError("service", "unknown service %q", o.ServiceID)
	}
	if err := c.overrides.SetPriceOverride(ctx, o); err != nil {
		return err
	}
	return c.Reprice(ctx)
}

// ClearPriceOverride removes an override and reprices at once.
func (c *Catalog) ClearPriceOverride(ctx context.Context, serviceID string, countryID *int) error {
	if err := c.overrides.DeletePriceOverride(ctx, serviceID, countryID); err != nil {
		return err
	}
	return c.Reprice(ctx)
}

// Run refreshes the catalog every interval until ctx ends. Failures keep the
// last good snapshot and are logged.
func (c *Catalog) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := c.Refresh(ctx); err != nil && ctx.Err() == nil {
				c.logger.WarnContext(ctx, "catalog refresh failed; keeping the last one", "err", err)
			}
		}
	}
}

func build(raw ProviderCatalog, overrides []PriceOverride, pricing Pricing, at time.Time) *CatalogSnapshot {
	s := &CatalogSnapshot{
		countries: map[int]Country{},
		services:  map[string]Service{},
		offers:    map[offerKey]Offer{},
		byService: map[string][]Offer{},
		FetchedAt: at,
	}
	countries := map[int]Country{}
	for _, c := range raw.Countries {
		countries[c.ID] = c
	}
	services := map[string]Service{}
	for _, svc := range raw.Services {
		services[svc.ID] = svc
	}
	fixed := map[offerKey]decimal.Decimal{}
	for _, o := range overrides {
		k := offerKey{o.ServiceID, -1}
		if o.CountryID != nil {
			k.country = *o.CountryID
		}
		fixed[k] = o.Price
	}
	for _, p := range raw.Prices {
		svc, okS := services[p.Service]
		ctry, okC := countries[p.Country]
		if !okS || !okC || !p.Cost.IsPositive() {
			continue // only what we can name and price is for sale
		}
		price, ok := fixed[offerKey{p.Service, p.Country}]
		if !ok {
			price, ok = fixed[offerKey{p.Service, -1}]
		}
		if !ok {
			price = pricing.Price(p.Cost)
		}
		o := Offer{Service: svc, Country: ctry, Cost: p.Cost, Stock: max(p.Count, 0), Price: price}
		s.offers[offerKey{p.Service, p.Country}] = o
		s.byService[p.Service] = append(s.byService[p.Service], o)
		s.countries[ctry.ID] = ctry
	}
	for _, svc := range raw.Services {
		if offers := s.byService[svc.ID]; len(offers) > 0 {
			s.Services = append(s.Services, svc)
			s.services[svc.ID] = svc
			sortOffers(offers)
		}
	}
	return s
}
