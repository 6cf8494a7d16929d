package bot

import (
	"accgen/core"
)

// My orders: paginated SMS and account orders, with details and the
// credentials again.

const ordersPerPage = 5

func (r *req) ordersScreen() screen {
	return screen{text: r.p.t("orders.title"), kb: keyboard{
		{btn(r.p.t("orders.numbers"), cbSMSOrders, 0), btn(r.p.t("orders.accounts"), cbAccOrders, 0)},
		backToMenu(r.p),
	}}
}

// statusIcon marks an SMS order's state in a list.
func statusIcon(o core.SMSOrder) string {
	switch o.Status {
	case core.SMSCompleted:
		return "✅"
	case core.SMSPending, core.SMSPlacing:
		return "⏳"
	case core.SMSCancelled, core.SMSExpired, core.SMSFailed:
		return "↩️"
	}
	return "•"
}

func (r *req) smsOrdersScreen(page int) screen {
	orders, total, err := r.b.d.SMS.Orders(r.ctx, core.Scope{UserID: r.user.ID}, ordersPerPage, page*ordersPerPage)
	if err != nil {
		return screen{text: r.errorText(err), kb: keyboard{backToMenu(r.p)}}
	}
	back := []button{btn(r.p.t("common.back"), cbOrders), btn(r.p.t("common.menu"), cbMenu)}
	if total == 0 {
		return screen{text: r.p.t("orders.none_numbers"), kb: keyboard{{btn(r.p.t("menu.buy_number"), cbServices, 0)}, back}}
	}
	var k keyboard
	for _, o := range orders {
		label := r.p.t("orders.sms_button", "Icon", statusIcon(o), "Service", clip(o.ServiceName, 18),
			"Country", clip(o.CountryName, 14), "Date", o.CreatedAt.In(r.b.cfg.Location).Format(shortLayout))
		k = append(k, []button{btn(label, cbNumber, o.ShortID)})
	}
	if row := pager(r.p, cbSMSOrders, page, pages(total, ordersPerPage)); row != nil {
		k = append(k, row)
	}
	return screen{text: r.p.n("orders.numbers_title", total), kb: append(k, back)}
}

func (r *req) accountOrdersScreen(page int) screen {
	orders, total, err := r.b.d.Inventory.Orders(r.ctx, core.Scope{UserID: r.user.ID}, ordersPerPage, page*ordersPerPage)
	if err != nil {
		return screen{text: r.errorText(err), kb: keyboard{backToMenu(r.p)}}
	}
	back := []button{btn(r.p.t("common.back"), cbOrders), btn(r.p.t("common.menu"), cbMenu)}
	if total == 0 {
		return screen{text: r.p.t("orders.none_accounts"), kb: keyboard{{btn(r.p.t("menu.buy_accounts"), cbCategories)}, back}}
	}
	var k keyboard
	for _, o := range orders {
		label := r.p.t("orders.account_button", "Quantity", o.Quantity, "Name", clip(o.ProductName, 22),
			"Total", o.Total, "Date", o.CreatedAt.In(r.b.cfg.Location).Format(shortLayout))
		k = append(k, []button{btn(label, cbAccOrder, o.ID)})
	}
	if row := pager(r.p, cbAccOrders, page, pages(total, ordersPerPage)); row != nil {
		k = append(k, row)
	}
	return screen{text: r.p.n("orders.accounts_title", total), kb: append(k, back)}
}

// accountOrder loads the user's account order named by the callback.
func (r *req) accountOrder(c callback) (core.AccountOrder, bool) {
	o, err := r.b.d.Inventory.Order(r.ctx, core.Scope{UserID: r.user.ID}, c.arg(0))
	if err != nil {
		r.fail(err)
		return core.AccountOrder{}, false
	}
	return o, true
}

func (r *req) onAccountOrder(c callback) {
	o, ok := r.accountOrder(c)
	if !ok {
		return
	}
	text := r.p.t("orders.account_detail", "Order", o.ID, "Name", o.ProductName, "Quantity", o.Quantity,
		"Price", o.UnitPrice, "Total", o.Total, "Date", o.CreatedAt.In(r.b.cfg.Location).Format(dateTimeLayout))
	r.show(screen{text: text, kb: keyboard{
		{btn(r.p.t("orders.send_credentials"), cbAccCreds, o.ID)},
		{btn(r.p.t("common.back"), cbAccOrders, 0), btn(r.p.t("common.menu"), cbMenu)},
	}})
}

func (r *req) onAccountCredentials(c callback) {
	if o, ok := r.accountOrder(c); ok {
		r.answer(r.p.t("orders.credentials_sent"), false)
		r.deliverCredentials(o)
	}
}
