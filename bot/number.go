package bot

import (
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// Buy number, last steps: confirm with price and balance, place the order,
// and the number screen with Refresh, Another SMS, Done and Cancel & refund.

// confirmNumberScreen asks the user to pay for an offer.
func confirmNumberScreen(p printer, o core.Offer, balance decimal.Decimal, ttl time.Duration, token string) screen {
	text := p.t("number.confirm", "Service", o.Service.Name, "Country", o.Country.Name, "Price", o.Price,
		"Balance", balance, "Minutes", int(ttl.Minutes()))
	var k keyboard
	if balance.LessThan(o.Price) {
		text += "\n\n" + p.t("common.low_balance", "Missing", o.Price.Sub(balance))
		k = append(k, []button{btn(p.t("common.top_up"), cbBalance)})
	} else {
		k = append(k, []button{btn(p.t("number.pay", "Price", o.Price), cbNumberBuy, o.Service.ID, o.Country.ID, token)})
	}
	k = append(k, []button{btn(p.t("common.back"), cbCountries, o.Service.ID, 0), btn(p.t("common.menu"), cbMenu)})
	return screen{text: text, kb: k}
}

func (r *req) offer(c callback) (core.Offer, bool) {
	country, ok := c.num(1)
	if !ok {
		return core.Offer{}, false
	}
	o, found := r.b.d.SMS.Catalog().Snapshot().Offer(c.arg(0), int(country))
	return o, found
}

func (r *req) onNumberAsk(c callback) {
	o, ok := r.offer(c)
	if !ok {
		r.answer(r.p.t("number.offer_gone"), true)
		r.showServices(0)
		return
	}
	bal, err := r.b.d.Ledger.Balance(r.ctx, r.user.ID)
	if err != nil {
		r.fail(err)
		return
	}
	r.show(confirmNumberScreen(r.p, o, bal, r.b.cfg.NumberTTL, nonce()))
}

// onNumberBuy places the order. The idempotency key comes from the confirm
// screen's token, so a double tap buys one number.
func (r *req) onNumberBuy(c callback) {
	o, ok := r.offer(c)
	token := c.arg(2)
	if !ok || len(token) != 8 {
		r.answer(r.p.t("number.offer_gone"), true)
		r.showServices(0)
		return
	}
	// Answer now: buying waits on the upstream provider.
	r.answer(r.p.t("number.buying"), false)
	r.show(screen{text: r.p.t("number.buying")})
	order, _, err := r.b.d.SMS.Place(r.ctx, core.PlaceSMSParams{
		Scope: core.Scope{UserID: r.user.ID}, Source: core.SourceBot,
		ServiceID: o.Service.ID, CountryID: o.Country.ID,
		IdempotencyKey: "tg:" + strconv.FormatInt(r.chatID, 10) + ":" + token, TelegramChatID: r.chatID,
	})
	if err != nil {
		r.show(screen{text: r.errorText(err), kb: keyboard{
			{btn(r.p.t("common.back"), cbCountries, o.Service.ID, 0), btn(r.p.t("common.menu"), cbMenu)},
		}})
		return
	}
	r.show(numberScreen(r.p, order, r.b.cfg.Now()))
}

// numberScreen shows an order and what can be done with it now.
func numberScreen(p printer, o core.SMSOrder, now time.Time) screen {
	text := p.t("number.order", "Service", o.ServiceName, "Country", o.CountryName, "Phone", o.E164(),
		"Order", o.ShortID, "Price", o.Price) + "\n\n" + numberStatus(p, o, now)
	id := o.ShortID
	var k keyboard
	switch {
	case o.Status == core.SMSPending || o.Status == core.SMSPlacing:
		k = keyboard{{btn(p.t("number.refresh"), cbNumber, id), btn(p.t("number.cancel"), cbCancelAsk, id)}}
	case o.Status == core.SMSCompleted && o.FinishedAt == nil:
		k = keyboard{
			{btn(p.t("number.refresh"), cbNumber, id), btn(p.t("number.another"), cbAnother, id)},
			{btn(p.t("number.finish"), cbFinish, id), btn(p.t("number.cancel"), cbCancelAsk, id)},
		}
	default:
		k = keyboard{{btn(p.t("number.buy_again"), cbCountries, o.ServiceID, 0)}}
	}
	return screen{text: text, kb: append(k, backToMenu(p))}
}

// numberStatus is the status line, with the minutes left while waiting.
func numberStatus(p printer, o core.SMSOrder, now time.Time) string {
	switch {
	case o.Status == core.SMSPlacing:
		return p.t("number.status_placing")
	case o.Status == core.SMSPending:
		left := 0
		if o.ExpiresAt != nil {
			left = max(0, int(o.ExpiresAt.Sub(now).Round(time.Minute).Minutes()))
		}
		key := "number.status_waiting"
		if o.AwaitingAnother {
			key = "number.status_another"
		}
		return p.t(key) + "\n" + p.n("number.expires_in", left)
	case o.Status == core.SMSCompleted:
		s := p.t("number.status_code", "Code", o.Code)
		if o.Text != "" && o.Text != o.Code {
			s += "\n<i>" + esc(clip(o.Text, 500)) + "</i>"
		}
		if o.FinishedAt != nil {
			s += "\n" + p.t("number.status_finished")
		}
		return s
	case o.Status == core.SMSCancelled:
		return p.t("number.status_cancelled", "Amount", o.Price)
	case o.Status == core.SMSExpired:
		return p.t("number.status_expired", "Amount", o.Price)
	default:
		return p.t("number.status_failed")
	}
}

// order loads the user's order named by the callback's short id.
func (r *req) order(c callback) (core.SMSOrder, bool) {
	short, ok := c.num(0)
	if !ok {
		r.show(r.menu())
		return core.SMSOrder{}, false
	}
	o, err := r.b.d.SMS.OrderByShortID(r.ctx, core.Scope{UserID: r.user.ID}, short)
	if err != nil {
		r.fail(err)
		return core.SMSOrder{}, false
	}
	return o, true
}

func (r *req) onNumber(c callback) {
	if o, ok := r.order(c); ok {
		r.show(numberScreen(r.p, o, r.b.cfg.Now()))
	}
}

func (r *req) onAnother(c callback) {
	o, ok := r.order(c)
	if !ok {
		return
	}
	o, err := r.b.d.SMS.RequestAnother(r.ctx, core.Scope{UserID: r.user.ID}, o.ID)
	if err != nil {
		r.fail(err)
		return
	}
	r.answer(r.p.t("number.another_requested"), false)
	r.show(numberScreen(r.p, o, r.b.cfg.Now()))
}

func (r *req) onCancelAsk(c callback) {
	o, ok := r.order(c)
	if !ok {
		return
	}
	r.show(screen{
		text: r.p.t("number.cancel_confirm", "Phone", o.E164(), "Amount", o.Price),
		kb:   keyboard{{btn(r.p.t("number.cancel_yes"), cbCancel, o.ShortID), btn(r.p.t("number.cancel_no"), cbNumber, o.ShortID)}},
	})
}

func (r *req) onCancel(c callback) {
	o, ok := r.order(c)
	if !ok {
		return
	}
	o, refunded, err := r.b.d.SMS.Cancel(r.ctx, core.Scope{UserID: r.user.ID}, o.ID)
	if err != nil {
		r.fail(err)
		return
	}
	r.answer(r.p.t("number.cancelled", "Amount", refunded), false)
	r.show(numberScreen(r.p, o, r.b.cfg.Now()))
}

func (r *req) onFinish(c callback) {
	o, ok := r.order(c)
	if !ok {
		return
	}
	o, err := r.b.d.SMS.Finish(r.ctx, core.Scope{UserID: r.user.ID}, o.ID)
	if err != nil {
		r.fail(err)
		return
	}
	r.show(numberScreen(r.p, o, r.b.cfg.Now()))
}
