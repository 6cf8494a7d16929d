package stub

import (
	"context"
	"strconv"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// place buys a number for the call's service and country. SMS-Activate
// defaults a missing country to 0 and so do we; one that is not a whole
// number is BAD_SERVICE, as is an unknown service or country (the engine
// refuses those before charging). maxPrice (DaisySMS: max_price) is a
// ceiling in NGN; an unreadable or negative one is a ceiling of 0, so the
// client is told WRONG_MAX_PRICE:<our price> instead of being charged more
// than it may have meant. Other getNumber parameters (operator, forward,
// ref, phoneException, activationType, orderId, …) are ignored.
func (h *Handler) place(ctx context.Context, c call) (core.SMSOrder, error) {
	country, _, valid := c.params.country()
	if !valid {
		return core.SMSOrder{}, errBadService
	}
	var maxPrice *decimal.Decimal
	if s := c.params.firstOf("maxPrice", "max_price"); s != "" {
		d, err := decimal.NewFromString(s)
		if err != nil || d.IsNegative() {
			d = decimal.Zero
		}
		maxPrice = &d
	}
	o, _, err := h.sms.Place(ctx, core.PlaceSMSParams{
		Scope: c.scope, Source: core.SourceStub,
		ServiceID: c.params.get("service"), CountryID: country, MaxPrice: maxPrice,
	})
	return o, err
}

// getNumber answers ACCESS_NUMBER:<short id>:<phone digits>.
func (h *Handler) getNumber(ctx context.Context, c call) (reply, error) {
	o, err := h.place(ctx, c)
	if err != nil {
		return reply{}, err
	}
	return ok("ACCESS_NUMBER:" + shortID(o) + ":" + o.Phone), nil
}

// getNumberV2 answers SMS-Activate's JSON: the id as a number, strings where
// SMS-Activate wrote strings, the cost in NGN with currency 566.
func (h *Handler) getNumberV2(ctx context.Context, c call) (reply, error) {
	type numberV2 struct {
		ActivationID       int64  `json:"activationId"`
		PhoneNumber        string `json:"phoneNumber"`
		ActivationCost     money  `json:"activationCost"`
		Currency           int    `json:"currency"`
		CountryCode        string `json:"countryCode"`
		CanGetAnotherSms   string `json:"canGetAnotherSms"`
		ActivationTime     string `json:"activationTime"`
		ActivationOperator string `json:"activationOperator"`
	}
	o, err := h.place(ctx, c)
	if err != nil {
		return reply{}, err
	}
	return okJSON(numberV2{
		ActivationID: o.ShortID, PhoneNumber: o.Phone, ActivationCost: money(o.Price), Currency: currencyNGN,
		CountryCode: strconv.Itoa(o.CountryID), CanGetAnotherSms: "1",
		ActivationTime: protocolTime(o.CreatedAt), ActivationOperator: "any",
	})
}
