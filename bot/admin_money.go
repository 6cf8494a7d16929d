package bot

import (
	"context"
	"strconv"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// /topup, /deduct and /refund. Each is idempotent per admin message (the
// ledger reference comes from the chat and message ids, so a message
// delivered twice moves money once), and the customer's notification is
// queued in the same transaction as the money.

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// messageRef is a reference unique to the admin message being handled.
func (r *req) messageRef(kind string) string {
	return "tg-" + kind + ":" + itoa(r.chatID) + ":" + strconv.Itoa(r.upd.Message.ID)
}

func (r *req) cmdTopUp(args string) { r.moveMoney(args, kindTopUp) }

func (r *req) cmdDeduct(args string) { r.moveMoney(args, kindDeduct) }

// moveMoney credits or debits a wallet: /topup|/deduct <user> <amount> [note].
func (r *req) moveMoney(args, kind string) {
	parts := splitArgs(args, 3)
	if len(parts) < 2 {
		r.reply(r.p.t("admin.usage_" + kind))
		return
	}
	u, err := r.b.d.Users.Find(r.ctx, parts[0])
	if err != nil {
		r.fail(err)
		return
	}
	amount, err := core.ParseAmount("amount", parts[1])
	if err != nil {
		r.fail(err)
		return
	}
	note := ""
	if len(parts) == 3 {
		note = clip(parts[2], 200)
	}
	ref := r.messageRef(kind)
	memo := "admin " + kind + " by tg:" + itoa(r.from.ID)
	if note != "" {
		memo += ": " + note
	}
	var t core.Transaction
	err = r.b.d.Tx.InTx(r.ctx, func(ctx context.Context) error {
		var err error
		if kind == kindTopUp {
			t, err = r.b.d.Ledger.TopUp(ctx, u.ID, amount, ref, memo)
		} else {
			t, err = r.b.d.Ledger.Deduct(ctx, u.ID, amount, ref, memo)
		}
		if err != nil || t.Replayed {
			return err
		}
		return r.b.enqueue(ctx, u.ID, u.TelegramID, kind, kind+":"+ref, moneyPayload{Amount: amount, Balance: t.Balance, Note: note})
	})
	switch {
	case err != nil:
		r.fail(err)
	case t.Replayed:
		r.reply(r.p.t("admin.already_done"))
	default:
		r.reply(r.p.t("admin."+kind+"_done", "Amount", amount, "User", who(u), "Balance", t.Balance))
	}
}

// cmdRefund refunds an order in full: /refund <order id>. An SMS order is
// cancelled (and released upstream); an account order's charge is reversed
// (its credentials were delivered and stay sold).
func (r *req) cmdRefund(args string) {
	if args == "" {
		r.reply(r.p.t("admin.usage_refund"))
		return
	}
	ref, err := r.b.d.Store.FindOrder(r.ctx, args)
	if err != nil {
		r.fail(err)
		return
	}
	u, err := r.b.d.Users.ByID(r.ctx, ref.UserID)
	if err != nil {
		r.fail(err)
		return
	}
	var (
		refunded decimal.Decimal
		replayed bool
		display  = shortUUID(ref.ID)
	)
	err = r.b.d.Tx.InTx(r.ctx, func(ctx context.Context) error {
		if ref.Kind == "sms" {
			o, amount, err := r.b.d.SMS.Cancel(ctx, core.Scope{UserID: u.ID}, ref.ID)
			if err != nil {
				return err
			}
			display, refunded = itoa(o.ShortID), amount
		} else {
			t, err := r.b.d.Ledger.Refund(ctx, core.AccountOrderReferencePrefix+ref.ID, "account order refunded by tg:"+itoa(r.from.ID))
			if err != nil || t.Replayed {
				replayed = t.Replayed
				return err
			}
			refunded = t.Amount
		}
		bal, err := r.b.d.Ledger.Balance(ctx, u.ID)
		if err != nil {
			return err
		}
		return r.b.enqueue(ctx, u.ID, u.TelegramID, kindRefund, "refund:"+ref.ID, moneyPayload{Amount: refunded, Balance: bal, Order: display})
	})
	switch {
	case err != nil:
		r.fail(err)
	case replayed:
		r.reply(r.p.t("admin.already_refunded"))
	default:
		r.reply(r.p.t("admin.refund_done", "Order", display, "Amount", refunded, "User", who(u)))
	}
}
