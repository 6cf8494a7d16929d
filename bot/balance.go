package bot

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// historyEntries is how many ledger entries the balance screen lists.
const historyEntries = 5

// kindKeys names ledger transaction kinds for customers.
var kindKeys = map[core.TxKind]string{
	core.TxTopUp:    "balance.kind_topup",
	core.TxPurchase: "balance.kind_purchase",
	core.TxRefund:   "balance.kind_refund",
	core.TxDeduct:   "balance.kind_deduct",
}

func (r *req) balanceScreen() screen {
	bal, err := r.b.d.Ledger.Balance(r.ctx, r.user.ID)
	if err != nil {
		return screen{text: r.errorText(err), kb: keyboard{backToMenu(r.p)}}
	}
	hist, err := r.b.d.Ledger.History(r.ctx, r.user.ID, historyEntries)
	if err != nil {
		return screen{text: r.errorText(err), kb: keyboard{backToMenu(r.p)}}
	}
	return balanceScreen(r.p, r.user.ID, bal, hist, r.b.cfg.TopUpInstructions, r.b.cfg.Location)
}

// balanceScreen shows the balance, the account id an operator credits, the
// recent ledger entries and how to pay in.
func balanceScreen(p printer, account int64, bal decimal.Decimal, hist []core.Transaction, instructions string, loc *time.Location) screen {
	var lines []string
	for _, t := range hist {
		amount := t.Amount
		if t.Kind == core.TxPurchase || t.Kind == core.TxDeduct {
			amount = amount.Neg()
		}
		sign := "+"
		if amount.IsNegative() {
			sign = ""
		}
		lines = append(lines, p.t("balance.entry", "Date", t.CreatedAt.In(loc).Format(shortTime),
			"Kind", safe(p.t(kindKeys[t.Kind])), "Amount", safe(sign+Money(amount))))
	}
	history := p.t("balance.no_history")
	if len(lines) > 0 {
		history = strings.Join(lines, "\n")
	}
	how := p.t("balance.no_instructions")
	if instructions != "" {
		how = esc(instructions)
	}
	return screen{
		text: p.t("balance.text", "Balance", bal, "Account", account, "History", safe(history), "Instructions", safe(how)),
		kb:   keyboard{{btn(p.t("balance.refresh"), cbBalance), btn(p.t("common.menu"), cbMenu)}},
	}
}
