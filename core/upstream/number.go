package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// errV2Unsupported tells GetNumber to fall back to getNumber; it never
// leaves this package.
var errV2Unsupported = errors.New("getNumberV2 unsupported")

// GetNumber buys a number. It uses getNumberV2, which reports the cost,
// and falls back to the classic getNumber when the provider answers
// BAD_ACTION or 404 to it; the fallback is remembered for the life of the
// Client. Refusals are ErrNoNumbers, ErrNoBalance, ErrBadService,
// *WrongMaxPriceError, ErrBanned…; check IsOutcomeUnknown on any other
// error before assuming nothing was bought.
func (c *Client) GetNumber(ctx context.Context, req NumberRequest) (Number, error) {
	if strings.TrimSpace(req.Service) == "" {
		return Number{}, errors.New("upstream getNumber: service is required")
	}
	params := url.Values{
		"service": {req.Service},
		"country": {strconv.Itoa(req.Country)},
	}
	if req.MaxPrice != nil {
		params.Set("maxPrice", req.MaxPrice.String())
	}
	if !c.v1Only.Load() {
		n, err := c.getNumberV2(ctx, params)
		if !errors.Is(err, errV2Unsupported) {
			return n, err
		}
		c.v1Only.Store(true)
		c.logger.InfoContext(ctx, "upstream has no getNumberV2, using getNumber from now on")
	}
	return c.getNumberV1(ctx, params)
}

func (c *Client) getNumberV2(ctx context.Context, params url.Values) (Number, error) {
	a, err := c.call(ctx, "getNumberV2", params)
	if err != nil {
		return Number{}, err
	}
	if a.status == http.StatusNotFound {
		return Number{}, errV2Unsupported
	}
	if err := c.checkAnswer(a); err != nil {
		if errors.Is(err, ErrBadAction) {
			return Number{}, errV2Unsupported
		}
		return Number{}, err
	}
	n, err := parseNumberV2(trimBody(a.body))
	if err != nil {
		return Number{}, c.protocolError(a, err)
	}
	return n, nil
}

func (c *Client) getNumberV1(ctx context.Context, params url.Values) (Number, error) {
	a, err := c.do(ctx, "getNumber", params)
	if err != nil {
		return Number{}, err
	}
	n, err := parseAccessNumber(trimBody(a.body))
	if err != nil {
		return Number{}, c.protocolError(a, err)
	}
	// DaisySMS reports the effective price in a header; others say nothing.
	if p, err := decimal.NewFromString(strings.TrimSpace(a.header.Get("X-Price"))); err == nil {
		n.Cost = p
	}
	return n, nil
}
