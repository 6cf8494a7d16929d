package bot

import (
	"github.com/shopspring/decimal"

	"accgen/locales"
)

// menu is the main menu with the user's balance.
func (r *req) menu() screen {
	bal, err := r.b.d.Ledger.Balance(r.ctx, r.user.ID)
	if err != nil {
		r.b.logger.WarnContext(r.ctx, "balance for the menu", "err", err)
	}
	return menuScreen(r.p, r.from.FirstName, bal)
}

// menuScreen renders the main menu.
func menuScreen(p printer, name string, balance decimal.Decimal) screen {
	return screen{
		text: p.t("menu.text", "Name", clip(name, 40), "Balance", balance),
		kb: keyboard{
			{btn(p.t("menu.buy_number"), cbServices, 0), btn(p.t("menu.buy_accounts"), cbCategories)},
			{btn(p.t("menu.balance"), cbBalance), btn(p.t("menu.orders"), cbOrders)},
			{btn(p.t("menu.api"), cbKeys), btn(p.t("menu.language"), cbLanguage)},
			{btn(p.t("menu.help"), cbHelp)},
		},
	}
}

// backToMenu is the row that leads home.
func backToMenu(p printer) []button { return []button{btn(p.t("common.menu"), cbMenu)} }

func (r *req) helpScreen() screen {
	text := r.p.t("help.text", "Minutes", int(r.b.cfg.NumberTTL.Minutes()))
	if r.admin {
		text += "\n\n" + r.p.t("help.admin")
	}
	return screen{text: text, kb: keyboard{backToMenu(r.p)}}
}

func (r *req) languageScreen() screen {
	var buttons []button
	for _, l := range locales.Languages {
		label := l.Name
		if l.Code == r.p.Lang() {
			label = "✅ " + label
		}
		buttons = append(buttons, btn(label, cbLanguage, l.Code))
	}
	k := grid(buttons, 2)
	return screen{text: r.p.t("language.title"), kb: append(k, backToMenu(r.p))}
}

// onLanguage shows the picker, or stores the language picked and answers
// in it at once.
func (r *req) onLanguage(c callback) {
	code := c.arg(0)
	if code == "" {
		r.show(r.languageScreen())
		return
	}
	if !locales.Supported(code) {
		r.show(r.languageScreen())
		return
	}
	if err := r.b.d.Users.SetLanguage(r.ctx, r.user.ID, code); err != nil {
		r.fail(err)
		return
	}
	r.user.Language = code
	r.p = r.b.printer(code)
	r.answer(r.p.t("language.saved"), false)
	r.show(r.menu())
}
