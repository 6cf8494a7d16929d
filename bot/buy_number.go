package bot

import (
	"strings"

	"accgen/core"
)

// Buy number, first steps: services (paginated, searchable by typing a
// name), then countries with NGN price and stock.

const (
	servicesPerPage  = 10
	countriesPerPage = 8
	maxSearchResults = 20
)

// servicesScreen lists a page of the services for sale.
func servicesScreen(p printer, services []core.Service, page int) screen {
	n := pages(len(services), servicesPerPage)
	page = min(page, n-1)
	var buttons []button
	for _, s := range services[page*servicesPerPage : min(len(services), (page+1)*servicesPerPage)] {
		buttons = append(buttons, btn(clip(s.Name, 30), cbCountries, s.ID, 0))
	}
	k := grid(buttons, 2)
	if row := pager(p, cbServices, page, n); row != nil {
		k = append(k, row)
	}
	text := p.t("number.services")
	if len(services) == 0 {
		text = p.t("number.no_services")
	}
	return screen{text: text, kb: append(k, backToMenu(p))}
}

// showServices edits the current message into the service list and waits
// for a typed search. A session failure only costs the search, so it is
// logged, not shown.
func (r *req) showServices(page int) {
	_ = r.saveSession(session{State: stateSearch})
	r.show(servicesScreen(r.p, r.b.d.SMS.Catalog().Snapshot().Services, page))
}

// sendServices is showServices as a new message (the /buy command).
func (r *req) sendServices(page int) {
	_ = r.saveSession(session{State: stateSearch})
	r.send(servicesScreen(r.p, r.b.d.SMS.Catalog().Snapshot().Services, page))
}

// searchServices answers a typed service name with the matching services.
func (r *req) searchServices(query string) {
	query = clip(query, 50)
	q := strings.ToLower(query)
	var found []button
	for _, s := range r.b.d.SMS.Catalog().Snapshot().Services {
		if strings.Contains(strings.ToLower(s.Name), q) || strings.EqualFold(s.ID, q) {
			found = append(found, btn(clip(s.Name, 30), cbCountries, s.ID, 0))
		}
	}
	back := []button{btn(r.p.t("number.all_services"), cbServices, 0), btn(r.p.t("common.menu"), cbMenu)}
	if len(found) == 0 {
		r.send(screen{text: r.p.t("number.search_none", "Query", query), kb: keyboard{back}})
		return
	}
	text := r.p.n("number.search_results", len(found), "Query", query)
	r.send(screen{text: text, kb: append(grid(found[:min(len(found), maxSearchResults)], 2), back)})
}

// countriesScreen lists a page of a service's countries, cheapest first.
func countriesScreen(p printer, svc core.Service, offers []core.Offer, page int) screen {
	n := pages(len(offers), countriesPerPage)
	page = min(page, n-1)
	var k keyboard
	for _, o := range offers[page*countriesPerPage : min(len(offers), (page+1)*countriesPerPage)] {
		label := p.t("number.country_button", "Country", clip(o.Country.Name, 24), "Price", o.Price, "Stock", o.Stock)
		k = append(k, []button{btn(label, cbNumberAsk, svc.ID, o.Country.ID)})
	}
	if row := pager(p, cbCountries, page, n, svc.ID); row != nil {
		k = append(k, row)
	}
	text := p.t("number.countries", "Service", svc.Name)
	if len(offers) == 0 {
		text = p.t("number.no_countries", "Service", svc.Name)
	}
	k = append(k, []button{btn(p.t("number.all_services"), cbServices, 0), btn(p.t("common.menu"), cbMenu)})
	return screen{text: text, kb: k}
}

func (r *req) onCountries(c callback) {
	snap := r.b.d.SMS.Catalog().Snapshot()
	svc, ok := snap.Service(c.arg(0))
	if !ok {
		r.answer(r.p.t("number.service_gone"), true)
		r.showServices(0)
		return
	}
	r.clearSession()
	r.show(countriesScreen(r.p, svc, snap.OffersFor(svc.ID), c.page(1)))
}
