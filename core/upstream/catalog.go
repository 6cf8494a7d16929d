package upstream

import (
	"context"
	"net/url"
	"strconv"
)

// GetPrices returns the offers, optionally filtered by service code (empty
// for all) and country (nil for all). No stock is an empty Prices.
func (c *Client) GetPrices(ctx context.Context, service string, country *int) (Prices, error) {
	params := url.Values{}
	if service != "" {
		params.Set("service", service)
	}
	if country != nil {
		params.Set("country", strconv.Itoa(*country))
	}
	a, err := c.do(ctx, "getPrices", params)
	if err != nil {
		return nil, err
	}
	p, err := parsePrices(trimBody(a.body))
	if err != nil {
		return nil, c.protocolError(a, err)
	}
	return p, nil
}

// GetCountries returns the provider's countries sorted by id.
func (c *Client) GetCountries(ctx context.Context) ([]Country, error) {
	a, err := c.do(ctx, "getCountries", nil)
	if err != nil {
		return nil, err
	}
	list, err := parseCountries(trimBody(a.body))
	if err != nil {
		return nil, c.protocolError(a, err)
	}
	return list, nil
}

// GetServicesList returns the provider's services in its order, with
// names trimmed (HeroSMS sends some with trailing spaces).
func (c *Client) GetServicesList(ctx context.Context) ([]Service, error) {
	a, err := c.do(ctx, "getServicesList", url.Values{"lang": {"en"}})
	if err != nil {
		return nil, err
	}
	list, err := parseServices(trimBody(a.body))
	if err != nil {
		return nil, c.protocolError(a, err)
	}
	return list, nil
}
