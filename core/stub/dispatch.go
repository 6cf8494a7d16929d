package stub

import "context"

// dispatch is the whole action surface in one switch. Unknown actions are
// BAD_ACTION; unknown optional parameters are ignored by every action.
func (h *Handler) dispatch(ctx context.Context, c call) reply {
	var (
		rep reply
		err error
	)
	switch c.action {
	case "getBalance", "getBalanceAndCashBack": // no cashback here: the same balance
		rep, err = h.getBalance(ctx, c)
	case "getServicesList":
		rep, err = h.getServicesList(c)
	case "getCountries":
		rep, err = h.getCountries()
	case "getPrices":
		rep, err = h.getPrices(c)
	case "getTopCountriesByService":
		rep, err = h.getTopCountriesByService(c)
	case "getOperators":
		rep, err = h.getOperators(c)
	case "getNumber":
		rep, err = h.getNumber(ctx, c)
	case "getNumberV2":
		rep, err = h.getNumberV2(ctx, c)
	case "getStatus":
		rep, err = h.getStatus(ctx, c)
	case "getStatusV2":
		rep, err = h.getStatusV2(ctx, c)
	case "setStatus":
		rep, err = h.setStatus(ctx, c)
	case "getActivations":
		rep, err = h.getActivations(ctx, c)
	case "getHistory":
		rep, err = h.getHistory(ctx, c)
	case "getActiveActivations":
		rep, err = h.getActiveActivations(ctx, c)
	default:
		err = errBadAction
	}
	if err != nil {
		return h.errorReply(ctx, c.action, err)
	}
	return rep
}
