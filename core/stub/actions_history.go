package stub

import (
	"context"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// historyRow is one activation in getHistory (SMS-Activate's row) and
// getActivations. Beyond SMS-Activate's fields it names the service and the
// country, which a history is not much use without. cost is what the order
// cost in the end: its price, or 0.00 once refunded.
type historyRow struct {
	ID       int64    `json:"id"`
	Date     string   `json:"date"`
	Phone    string   `json:"phone"`
	SMS      []string `json:"sms"`
	Cost     money    `json:"cost"`
	Status   string   `json:"status"`
	Currency int      `json:"currency"`
	Service  string   `json:"service"`
	Country  int      `json:"country"`
}

// history lists the key's orders newest first, each with every SMS text it
// received.
func (h *Handler) history(ctx context.Context, c call) ([]historyRow, error) {
	limit, offset := c.params.page("offset")
	orders, _, err := h.sms.Orders(ctx, c.scope, limit, offset)
	if err != nil {
		return nil, err
	}
	rows := make([]historyRow, 0, len(orders))
	for _, o := range orders {
		msgs, err := h.messages(ctx, c, o)
		if err != nil {
			return nil, err
		}
		texts := make([]string, len(msgs))
		for i, m := range msgs {
			texts[i] = m.Text
		}
		cost := o.Price
		if o.Status.Refunded() {
			cost = decimal.Zero
		}
		rows = append(rows, historyRow{
			ID: o.ShortID, Date: protocolTime(o.CreatedAt), Phone: o.Phone, SMS: texts, Cost: money(cost),
			Status: activationStatus(o), Currency: currencyNGN, Service: o.ServiceID, Country: o.CountryID,
		})
	}
	return rows, nil
}

// messages returns an order's SMS, skipping the lookup for orders that
// never received one.
func (h *Handler) messages(ctx context.Context, c call, o core.SMSOrder) ([]core.SMSMessage, error) {
	if o.ReceivedAt == nil {
		return nil, nil
	}
	return h.sms.Messages(ctx, c.scope, o.ID)
}

// getActivations (the seed's action) answers the history as an object keyed
// by short id, newest first; limit defaults to 20, at most 100.
func (h *Handler) getActivations(ctx context.Context, c call) (reply, error) {
	rows, err := h.history(ctx, c)
	if err != nil {
		return reply{}, err
	}
	out := make(orderedObject, len(rows))
	for i, r := range rows {
		out[i] = pair{strconv.FormatInt(r.ID, 10), r}
	}
	return okJSON(out)
}

// getHistory (SMS-Activate's and HeroSMS's name) answers the same rows as a
// JSON array; HeroSMS clients send size instead of limit. start and end (a
// time range in SMS-Activate) are ignored: the list is the newest first.
func (h *Handler) getHistory(ctx context.Context, c call) (reply, error) {
	rows, err := h.history(ctx, c)
	if err != nil {
		return reply{}, err
	}
	return okJSON(rows)
}

// activeRow is one getActiveActivations entry, in SMS-Activate's shape.
type activeRow struct {
	ActivationID     string   `json:"activationId"`
	ServiceCode      string   `json:"serviceCode"`
	PhoneNumber      string   `json:"phoneNumber"`
	ActivationCost   money    `json:"activationCost"`
	ActivationStatus string   `json:"activationStatus"`
	SMSCode          []string `json:"smsCode"` // null until a code arrives
	SMSText          *string  `json:"smsText"`
	ActivationTime   string   `json:"activationTime"`
	Discount         string   `json:"discount"`
	Repeated         string   `json:"repeated"`
	CountryCode      string   `json:"countryCode"`
	CountryName      string   `json:"countryName"`
	CanGetAnotherSms string   `json:"canGetAnotherSms"`
	Currency         int      `json:"currency"`
}

// getActiveActivations answers {"status":"success","activeActivations":[…]}
// with the key's live orders, newest first (HeroSMS's start and limit page
// them), or SMS-Activate's {"status":"error","error":"NO_ACTIVATIONS"}.
func (h *Handler) getActiveActivations(ctx context.Context, c call) (reply, error) {
	live, err := h.liveOrders(ctx, c.scope)
	if err != nil {
		return reply{}, err
	}
	limit, offset := c.params.page("start")
	live = live[min(offset, len(live)):]
	live = live[:min(limit, len(live))]
	if len(live) == 0 {
		return reply{}, errNoActivations
	}
	rows := make([]activeRow, 0, len(live))
	for _, o := range live {
		msgs, err := h.messages(ctx, c, o)
		if err != nil {
			return reply{}, err
		}
		r := activeRow{
			ActivationID: shortID(o), ServiceCode: o.ServiceID, PhoneNumber: o.Phone, ActivationCost: money(o.Price),
			ActivationStatus: activationStatus(o), ActivationTime: protocolTime(o.CreatedAt), Discount: "0.00",
			Repeated: "0", CountryCode: strconv.Itoa(o.CountryID), CountryName: o.CountryName, CanGetAnotherSms: "1",
			Currency: currencyNGN,
		}
		for _, m := range msgs {
			r.SMSCode = append(r.SMSCode, m.Code)
		}
		if len(msgs) > 0 {
			r.SMSText = &msgs[len(msgs)-1].Text
		}
		rows = append(rows, r)
	}
	return okJSON(orderedObject{{"status", "success"}, {"activeActivations", rows}})
}

// Bounds of the live-order scan. The engine lists a key's orders newest
// first without a status filter, so live ones are found by reading pages
// until the orders are too old to be live: an order that expired more than
// liveScanSlack ago was issued long enough ago that every older order (issued
// no later, give or take a purchase's duration) has expired as well.
const (
	liveScanPage  = 100
	liveScanPages = 20
	liveScanSlack = 10 * time.Minute
)

// liveOrders returns the scope's orders that can still change: being
// placed, waiting for an SMS, or holding a code that may still be finished,
// cancelled or followed by another SMS.
func (h *Handler) liveOrders(ctx context.Context, sc core.Scope) ([]core.SMSOrder, error) {
	now := h.now()
	var live []core.SMSOrder
	for page := range liveScanPages {
		orders, _, err := h.sms.Orders(ctx, sc, liveScanPage, page*liveScanPage)
		if err != nil {
			return nil, err
		}
		for _, o := range orders {
			if isLive(o, now) {
				live = append(live, o)
			}
			if o.ExpiresAt != nil && o.ExpiresAt.Before(now.Add(-liveScanSlack)) {
				return live, nil
			}
		}
		if len(orders) < liveScanPage {
			break
		}
	}
	return live, nil
}

func isLive(o core.SMSOrder, now time.Time) bool {
	switch o.Status {
	case core.SMSPlacing, core.SMSPending:
		return true
	case core.SMSCompleted:
		return o.FinishedAt == nil && o.ExpiresAt != nil && o.ExpiresAt.After(now)
	}
	return false
}
