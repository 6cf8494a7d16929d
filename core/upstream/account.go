package upstream

import (
	"context"

	"github.com/shopspring/decimal"
)

// GetBalance returns the upstream account balance in the provider's
// currency (getBalance → ACCESS_BALANCE:<amount>).
func (c *Client) GetBalance(ctx context.Context) (decimal.Decimal, error) {
	a, err := c.do(ctx, "getBalance", nil)
	if err != nil {
		return decimal.Zero, err
	}
	d, err := parseBalance(trimBody(a.body))
	if err != nil {
		return decimal.Zero, c.protocolError(a, err)
	}
	return d, nil
}

// GetActiveActivations lists the account's live activations with any codes
// received, the batch call the poller prefers over one getStatus per order.
// Having none is an empty slice and a nil error.
func (c *Client) GetActiveActivations(ctx context.Context) ([]Activation, error) {
	a, err := c.do(ctx, "getActiveActivations", nil)
	if err != nil {
		return nil, err
	}
	list, err := parseActivations(trimBody(a.body))
	if err != nil {
		return nil, c.protocolError(a, err)
	}
	return list, nil
}
