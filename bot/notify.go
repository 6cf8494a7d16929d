package bot

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// Notifications: messages the bot owes a customer whatever happens next (a
// code arrived, an order expired, money moved). They are queued in the
// outbox inside the transaction that records the event and sent by the
// outbox worker in the user's language at sending time.

// Notification kinds.
const (
	kindSMSCode    = "sms_code"
	kindSMSExpired = "sms_expired"
	kindTopUp      = "topup"
	kindDeduct     = "deduct"
	kindRefund     = "refund"
	kindBroadcast  = "broadcast"
)

// smsPayload describes an SMS order event.
type smsPayload struct {
	Order   int64           `json:"order"`
	Service string          `json:"service"`
	Country string          `json:"country"`
	Phone   string          `json:"phone"`
	Code    string          `json:"code,omitempty"`
	Text    string          `json:"text,omitempty"`
	Amount  decimal.Decimal `json:"amount"`
}

// moneyPayload describes a balance change an admin made.
type moneyPayload struct {
	Amount  decimal.Decimal `json:"amount"`
	Balance decimal.Decimal `json:"balance"`
	Note    string          `json:"note,omitempty"`
	Order   string          `json:"order,omitempty"`
}

var (
	_ core.SMSEvents       = (*Bot)(nil)
	_ core.SMSExpiryEvents = (*Bot)(nil)
)

// SMSReceived implements core.SMSEvents: a code for a bot order is queued
// for its chat in the transaction that records the SMS.
func (b *Bot) SMSReceived(ctx context.Context, o core.SMSOrder, m core.SMSMessage) error {
	if o.Source != core.SourceBot || o.TelegramChatID == 0 {
		return nil // API orders are told by webhook
	}
	return b.enqueue(ctx, o.UserID, o.TelegramChatID, kindSMSCode, fmt.Sprintf("sms:%s:%d", o.ID, m.Seq), smsPayload{
		Order: o.ShortID, Service: o.ServiceName, Country: o.CountryName, Phone: o.E164(), Code: m.Code, Text: m.Text, Amount: o.Price,
	})
}

// SMSExpired implements core.SMSExpiryEvents: the expiry and its refund
// are announced.
func (b *Bot) SMSExpired(ctx context.Context, o core.SMSOrder, refund core.Transaction) error {
	if o.Source != core.SourceBot || o.TelegramChatID == 0 {
		return nil
	}
	return b.enqueue(ctx, o.UserID, o.TelegramChatID, kindSMSExpired, "sms-expired:"+o.ID, smsPayload{
		Order: o.ShortID, Service: o.ServiceName, Country: o.CountryName, Phone: o.E164(), Amount: refund.Amount,
	})
}

// enqueue queues a notification; ctx carries the caller's transaction.
func (b *Bot) enqueue(ctx context.Context, userID, chatID int64, kind, dedupe string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return core.Internal(err)
	}
	_, err = b.d.Store.EnqueueNotification(ctx, core.Notification{
		UserID: userID, ChatID: chatID, Kind: kind, DedupeKey: dedupe, Payload: body,
	})
	return err
}

// renderNotification turns a queued notification into a screen in p's
// language.
func renderNotification(p printer, n core.Notification) (screen, error) {
	switch n.Kind {
	case kindSMSCode, kindSMSExpired:
		var s smsPayload
		if err := json.Unmarshal(n.Payload, &s); err != nil {
			return screen{}, err
		}
		if n.Kind == kindSMSExpired {
			return screen{
				text: p.t("notify.sms_expired", "Service", s.Service, "Country", s.Country, "Phone", s.Phone, "Amount", s.Amount),
				kb:   keyboard{{btn(p.t("menu.buy_number"), cbServices, 0), btn(p.t("common.menu"), cbMenu)}},
			}, nil
		}
		text := p.t("notify.sms_code", "Service", s.Service, "Phone", s.Phone, "Code", s.Code)
		if s.Text != "" && s.Text != s.Code {
			text += "\n\n<i>" + esc(clip(s.Text, 800)) + "</i>"
		}
		return screen{text: text, kb: keyboard{
			{btn(p.t("number.another"), cbAnother, s.Order), btn(p.t("number.finish"), cbFinish, s.Order)},
			{btn(p.t("notify.open_order"), cbNumber, s.Order)},
		}}, nil
	case kindTopUp, kindDeduct, kindRefund:
		var m moneyPayload
		if err := json.Unmarshal(n.Payload, &m); err != nil {
			return screen{}, err
		}
		text := p.t("notify."+n.Kind, "Amount", m.Amount, "Balance", m.Balance, "Order", m.Order)
		if m.Note != "" {
			text += "\n" + p.t("notify.note", "Note", m.Note)
		}
		return screen{text: text, kb: keyboard{{btn(p.t("menu.balance"), cbBalance)}}}, nil
	case kindLowBalance:
		return renderLowBalance(p, n.Payload)
	}
	return screen{}, fmt.Errorf("unknown notification kind %q", n.Kind)
}
