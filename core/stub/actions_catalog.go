package stub

import (
	"strconv"

	"accgen/core"
)

// The catalog actions read the engine's cached snapshot: no upstream call,
// and the prices are the REST API's price_ngn, which getNumber charges.

// getServicesList answers {"status":"success","services":[{"code","name"}]},
// in the provider's order; country narrows it to what that country offers
// (nothing, for a country we do not sell). lang is accepted and ignored:
// names are English.
func (h *Handler) getServicesList(c call) (reply, error) {
	type service struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	snap := h.sms.Catalog().Snapshot()
	country, filtered, valid := c.params.country()
	out := make([]service, 0, len(snap.Services))
	for _, s := range snap.Services {
		if filtered {
			if _, offered := snap.Offer(s.ID, country); !valid || !offered {
				continue
			}
		}
		out = append(out, service{Code: s.ID, Name: s.Name})
	}
	return okJSON(orderedObject{{"status", "success"}, {"services", out}})
}

// getCountries answers an object keyed by country id, by id. We have one
// name per country, so rus and chn repeat the English one rather than being
// empty (clients show whichever their language picks). retry is 1: another
// SMS (setStatus 3) can be asked for everywhere.
func (h *Handler) getCountries() (reply, error) {
	type country struct {
		ID      int    `json:"id"`
		Rus     string `json:"rus"`
		Eng     string `json:"eng"`
		Chn     string `json:"chn"`
		Visible int    `json:"visible"`
		Retry   int    `json:"retry"`
	}
	countries := h.sms.Catalog().Snapshot().Countries()
	out := make(orderedObject, 0, len(countries))
	for _, ct := range countries {
		out = append(out, pair{strconv.Itoa(ct.ID), country{ID: ct.ID, Rus: ct.Name, Eng: ct.Name, Chn: ct.Name, Visible: 1, Retry: 1}})
	}
	return okJSON(out)
}

// priceJSON is one getPrices cell.
type priceJSON struct {
	Cost  money `json:"cost"`
	Count int   `json:"count"`
}

// getPrices answers country → service → {cost, count} in NGN, countries by
// id and services in the provider's order, optionally narrowed by service
// and country; {} when nothing matches (an unknown filter included), as
// SMS-Activate answers an empty result.
func (h *Handler) getPrices(c call) (reply, error) {
	snap := h.sms.Catalog().Snapshot()
	service := c.params.get("service")
	country, byCountry, valid := c.params.country()
	out := orderedObject{}
	if !valid {
		return okJSON(out)
	}
	for _, ct := range snap.Countries() {
		if byCountry && ct.ID != country {
			continue
		}
		row := orderedObject{}
		for _, s := range snap.Services {
			if service != "" && s.ID != service {
				continue
			}
			if o, offered := snap.Offer(s.ID, ct.ID); offered {
				row = append(row, pair{s.ID, priceJSON{Cost: money(o.Price), Count: o.Stock}})
			}
		}
		if len(row) > 0 {
			out = append(out, pair{strconv.Itoa(ct.ID), row})
		}
	}
	return okJSON(out)
}

// getTopCountriesByService answers {"0":{country,count,price,retail_price},…}
// for one service, cheapest country first (the one a reseller would buy);
// freePrice=true adds each row's freePriceMap {"<price>":count}. We sell at
// one price, so retail_price is that price. A missing or unknown service is
// BAD_SERVICE.
func (h *Handler) getTopCountriesByService(c call) (reply, error) {
	type row struct {
		Country      int            `json:"country"`
		Count        int            `json:"count"`
		Price        money          `json:"price"`
		RetailPrice  money          `json:"retail_price"`
		FreePriceMap map[string]int `json:"freePriceMap,omitempty"`
	}
	snap := h.sms.Catalog().Snapshot()
	offers := snap.OffersFor(c.params.get("service"))
	if len(offers) == 0 {
		return reply{}, errBadService
	}
	freePrice := c.params.get("freePrice") == "true" || c.params.get("freePrice") == "1"
	out := make(orderedObject, 0, len(offers))
	for i, o := range offers {
		r := row{Country: o.Country.ID, Count: o.Stock, Price: money(o.Price), RetailPrice: money(o.Price)}
		if freePrice {
			r.FreePriceMap = map[string]int{core.FormatNGN(o.Price): o.Stock}
		}
		out = append(out, pair{strconv.Itoa(i), r})
	}
	return okJSON(out)
}

// getOperators answers {"status":"success","countryOperators":{"<id>":[]}}:
// numbers come from whichever operator upstream has, so there is nothing to
// choose (an operator parameter on getNumber is ignored). A country we do
// not sell is SMS-Activate's OPERATORS_NOT_FOUND envelope.
func (h *Handler) getOperators(c call) (reply, error) {
	snap := h.sms.Catalog().Snapshot()
	country, filtered, valid := c.params.country()
	ops := orderedObject{}
	for _, ct := range snap.Countries() {
		if !filtered || valid && ct.ID == country {
			ops = append(ops, pair{strconv.Itoa(ct.ID), []string{}})
		}
	}
	if len(ops) == 0 {
		return reply{}, errOperatorsNotFound
	}
	return okJSON(orderedObject{{"status", "success"}, {"countryOperators", ops}})
}
