package stub

import (
	"context"

	"accgen/core"
)

// getBalance answers ACCESS_BALANCE:<NGN with two decimals>, the balance
// GET /api/v1/user/balance shows.
func (h *Handler) getBalance(ctx context.Context, c call) (reply, error) {
	bal, err := h.wallets.Balance(ctx, c.scope.UserID)
	if err != nil {
		return reply{}, err
	}
	return ok("ACCESS_BALANCE:" + core.FormatNGN(bal)), nil
}
