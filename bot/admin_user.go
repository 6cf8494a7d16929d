package bot

// /user <id|@username|tg:id>: who a customer is, their balance, orders and
// keys.
func (r *req) cmdUser(args string) {
	if args == "" {
		r.reply(r.p.t("admin.usage_user"))
		return
	}
	u, err := r.b.d.Users.Find(r.ctx, args)
	if err != nil {
		r.fail(err)
		return
	}
	bal, err := r.b.d.Ledger.Balance(r.ctx, u.ID)
	if err != nil {
		r.fail(err)
		return
	}
	sum, err := r.b.d.Store.UserSummary(r.ctx, u.ID)
	if err != nil {
		r.fail(err)
		return
	}
	blocked := r.p.t("common.no")
	if u.Blocked {
		blocked = r.p.t("common.yes")
	}
	username := "—"
	if u.Username != "" {
		username = "@" + u.Username
	}
	r.reply(r.p.t("admin.user", "ID", u.ID, "TelegramID", u.TelegramID, "Username", username,
		"Language", lang(u), "Joined", u.CreatedAt.In(r.b.cfg.Location).Format(dateLayout),
		"Blocked", safe(blocked), "Balance", bal, "SMS", sum.SMSOrders, "Accounts", sum.AccountOrders,
		"Keys", sum.ActiveKeys, "Referrer", cmpOr(u.Referrer, "—")))
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
