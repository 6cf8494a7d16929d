package bot

import (
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// /stats: today's sales (since midnight, Lagos time), revenue, cost,
// margin and our balance at the upstream provider.

// statsView is what the stats screen shows.
type statsView struct {
	Day      time.Time
	Stats    core.SalesStats
	FXRate   decimal.Decimal  // NGN per unit of the provider's currency
	Upstream *decimal.Decimal // nil when the provider did not answer
}

func (r *req) cmdStats(string) {
	now := r.b.cfg.Now().In(r.b.cfg.Location)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, r.b.cfg.Location)
	st, err := r.b.d.Store.SalesStats(r.ctx, midnight)
	if err != nil {
		r.fail(err)
		return
	}
	v := statsView{Day: midnight, Stats: st, FXRate: r.b.d.SMS.Catalog().Pricing().FXRate}
	if bal, err := r.b.d.SMS.ProviderBalance(r.ctx); err == nil {
		v.Upstream = &bal
	} else {
		r.b.logger.WarnContext(r.ctx, "upstream balance for /stats", "err", err)
	}
	r.send(statsScreen(r.p, v))
}

// statsScreen renders the numbers. Cost counts what upstream charged for
// the numbers sold (converted at the pricing rate); account stock has no
// recorded cost, so its revenue is all margin.
func statsScreen(p printer, v statsView) screen {
	s := v.Stats
	cost := core.RoundKobo(s.SMSCost.Mul(v.FXRate))
	revenue := s.SMSRevenue.Add(s.AccountRevenue)
	margin := revenue.Sub(cost)
	pct := "—"
	if revenue.IsPositive() {
		pct = margin.Mul(decimal.NewFromInt(100)).Div(revenue).StringFixed(1) + "%"
	}
	upstream := safe(p.t("admin.stats_unavailable"))
	if v.Upstream != nil {
		upstream = safe(esc(v.Upstream.StringFixed(2)) + " (≈ " + Money(core.RoundKobo(v.Upstream.Mul(v.FXRate))) + ")")
	}
	return screen{text: p.t("admin.stats", "Date", v.Day.Format(dateLayout),
		"SMS", s.SMSOrders, "SMSRevenue", s.SMSRevenue, "Accounts", s.AccountOrders, "Items", s.AccountItems,
		"AccountRevenue", s.AccountRevenue, "Revenue", revenue, "Cost", cost, "Margin", margin, "Percent", pct,
		"TopUps", s.TopUps, "NewUsers", s.NewUsers, "Upstream", upstream)}
}
