package upstream

import (
	"context"
	"errors"
	"sort"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// Provider adapts the protocol client to the engine's core.Provider,
// translating protocol words into what the engine must do about them.
type Provider struct {
	c *Client
}

var _ core.Provider = (*Provider)(nil)

// NewProvider wraps c.
func NewProvider(c *Client) *Provider { return &Provider{c: c} }

// Catalog implements core.Provider with three requests: services, countries
// and every price.
func (p *Provider) Catalog(ctx context.Context) (core.ProviderCatalog, error) {
	services, err := p.c.GetServicesList(ctx)
	if err != nil {
		return core.ProviderCatalog{}, classify("getServicesList", err)
	}
	countries, err := p.c.GetCountries(ctx)
	if err != nil {
		return core.ProviderCatalog{}, classify("getCountries", err)
	}
	prices, err := p.c.GetPrices(ctx, "", nil)
	if err != nil {
		return core.ProviderCatalog{}, classify("getPrices", err)
	}
	var out core.ProviderCatalog
	for _, s := range services {
		out.Services = append(out.Services, core.Service{ID: s.Code, Name: s.Name})
	}
	for _, c := range countries {
		out.Countries = append(out.Countries, core.Country{ID: c.ID, Name: c.Name})
	}
	for country, bySvc := range prices {
		for svc, pr := range bySvc {
			out.Prices = append(out.Prices, core.ProviderPrice{Service: svc, Country: country, Cost: pr.Cost, Count: pr.Count})
		}
	}
	// Map iteration is random; a stable order keeps snapshots comparable.
	sort.Slice(out.Prices, func(i, j int) bool {
		a, b := out.Prices[i], out.Prices[j]
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		return a.Country < b.Country
	})
	return out, nil
}

// BuyNumber implements core.Provider.
func (p *Provider) BuyNumber(ctx context.Context, service string, country int) (core.ProviderNumber, error) {
	n, err := p.c.GetNumber(ctx, NumberRequest{Service: service, Country: country})
	if err != nil {
		return core.ProviderNumber{}, classify("getNumber", err)
	}
	return core.ProviderNumber{ActivationID: n.ActivationID, Phone: n.Phone, Cost: n.Cost}, nil
}

// ActiveActivations implements core.Provider.
func (p *Provider) ActiveActivations(ctx context.Context) ([]core.ProviderActivation, error) {
	acts, err := p.c.GetActiveActivations(ctx)
	if err != nil {
		return nil, classify("getActiveActivations", err)
	}
	out := make([]core.ProviderActivation, len(acts))
	for i, a := range acts {
		state := core.ProviderWaiting
		switch {
		case a.Status == "3": // waiting for another SMS
			state = core.ProviderWaitRetry
		case len(a.Codes) > 0:
			state = core.ProviderReceived
		}
		out[i] = core.ProviderActivation{ID: a.ID, State: state, Service: a.Service, Country: a.Country,
			Phone: a.Phone, Codes: a.Codes, Text: a.Text}
	}
	return out, nil
}

// Status implements core.Provider with getStatus, which every provider has.
func (p *Provider) Status(ctx context.Context, id string) (core.ProviderActivation, error) {
	st, err := p.c.GetStatus(ctx, id)
	if err != nil {
		return core.ProviderActivation{}, classify("getStatus", err)
	}
	a := core.ProviderActivation{ID: id}
	switch st.State {
	case StatusReceived:
		a.State, a.Codes = core.ProviderReceived, []string{st.Code}
	case StatusWaitRetry:
		a.State, a.Codes = core.ProviderWaitRetry, []string{st.Code}
	case StatusCancelled:
		a.State = core.ProviderClosed
	default:
		a.State = core.ProviderWaiting
	}
	return a, nil
}

// Cancel implements core.Provider (setStatus 8).
func (p *Provider) Cancel(ctx context.Context, id string) error {
	_, err := p.c.SetStatus(ctx, id, SetStatusCancel)
	return classify("setStatus 8", err)
}

// RequestAnother implements core.Provider (setStatus 3).
func (p *Provider) RequestAnother(ctx context.Context, id string) error {
	_, err := p.c.SetStatus(ctx, id, SetStatusRetry)
	return classify("setStatus 3", err)
}

// Finish implements core.Provider (setStatus 6).
func (p *Provider) Finish(ctx context.Context, id string) error {
	_, err := p.c.SetStatus(ctx, id, SetStatusFinish)
	return classify("setStatus 6", err)
}

// Balance implements core.Provider.
func (p *Provider) Balance(ctx context.Context) (decimal.Decimal, error) {
	b, err := p.c.GetBalance(ctx)
	return b, classify("getBalance", err)
}

// classify wraps a client error as a *core.ProviderError of the right kind.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	kind := core.ProviderRefused
	switch {
	case errors.Is(err, ErrNoNumbers):
		kind = core.ProviderNoNumbers
	case errors.Is(err, ErrEarlyCancelDenied):
		kind = core.ProviderEarlyCancel
	case errors.Is(err, ErrNoActivation), errors.Is(err, ErrWrongActivationID):
		kind = core.ProviderGone
	case errors.Is(err, ErrBadAction):
		kind = core.ProviderUnsupported
	case IsOutcomeUnknown(err):
		kind = core.ProviderUncertain
	}
	return &core.ProviderError{Op: op, Kind: kind, Err: err}
}
