package sim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shopspring/decimal"
)

// Protocol tokens answered by more than one action.
const (
	tokenBadKey      = "BAD_KEY"
	tokenNoKey       = "NO_KEY"
	tokenBadAction   = "BAD_ACTION"
	tokenErrorSQL    = "ERROR_SQL" // SA: also "a parameter has an invalid value"
	tokenNoNumbers   = "NO_NUMBERS"
	tokenBadService  = "BAD_SERVICE"
	tokenNoBalance   = "NO_BALANCE"
	tokenNoActivate  = "NO_ACTIVATION"
	tokenWrongID     = "WRONG_ACTIVATION_ID"
	tokenBadStatus   = "BAD_STATUS"
	tokenEarlyCancel = "EARLY_CANCEL_DENIED"
	tokenCancelled   = "STATUS_CANCEL"
)

// currencyUSD is the ISO 4217 code SMS-Activate puts in JSON answers.
const currencyUSD = 840

// reply is a protocol answer: a bare token or a JSON document.
type reply struct {
	body []byte
	json bool
}

func text(s string) reply { return reply{body: []byte(s)} }

func jsonReply(v any) reply {
	b, err := json.Marshal(v)
	if err != nil { // only our own types are marshalled
		return text(tokenErrorSQL)
	}
	return reply{body: b, json: true}
}

// serveProtocol answers /stubs/handler_api.php. Like SMS-Activate it
// answers HTTP 200 for every protocol error and never adds a newline:
// strict clients compare whole bodies.
func (s *Sim) serveProtocol(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseMultipartForm(64 << 10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		_ = r.ParseForm() // keep what parsed; a bad pair must not hide api_key
	}
	form := r.Form
	action := form.Get("action")
	s.count(action)

	answered, mode := s.applyFaults(w, r)
	if answered {
		return
	}
	rep := s.dispatch(form, action, mode == FaultNoNumbers)
	if mode == FaultLostAnswer {
		s.hold(r) // done, but the client never hears of it
		return
	}
	if rep.json {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	_, _ = w.Write(rep.body)
	s.logger.Debug("sim protocol", "action", action, "bytes", len(rep.body))
}

// dispatch checks the key and runs the action.
func (s *Sim) dispatch(form url.Values, action string, noNumbers bool) reply {
	key := form.Get("api_key")
	if key == "" {
		return text(tokenNoKey)
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) != 1 {
		return text(tokenBadKey)
	}
	switch action {
	case "getBalance":
		return s.getBalance()
	case "getNumber":
		return s.getNumber(form, false, noNumbers)
	case "getNumberV2":
		return s.getNumber(form, true, noNumbers)
	case "getStatus":
		return s.getStatus(form)
	case "getStatusV2":
		return s.getStatusV2(form)
	case "setStatus":
		return s.setStatus(form)
	case "getActiveActivations":
		return s.getActiveActivations()
	case "getPrices":
		return s.getPrices(form)
	case "getCountries":
		return s.getCountries()
	case "getServicesList":
		return s.getServicesList(form)
	}
	return text(tokenBadAction)
}

// formatUSD prints cents with two decimals and finer amounts as they are.
func formatUSD(d decimal.Decimal) string {
	if d.Exponent() >= -2 {
		return d.StringFixed(2)
	}
	return d.String()
}

// usdNumber is d as a JSON number (decimal.Decimal marshals as a string).
func usdNumber(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// optionalInt parses an optional integer parameter; ok is false when it is
// present but not a number.
func optionalInt(form url.Values, name string) (n int, present, ok bool) {
	v := form.Get(name)
	if v == "" {
		return 0, false, true
	}
	n, err := strconv.Atoi(v)
	return n, true, err == nil
}

// priceJSON is one getPrices entry.
type priceJSON struct {
	Cost          json.Number `json:"cost"`
	Count         int         `json:"count"`
	PhysicalCount int         `json:"physicalCount"`
}

// getPrices answers {"<country>":{"<service>":{"cost","count"}}}, filtered
// by the optional service and country. No match is {}.
func (s *Sim) getPrices(form url.Values) reply {
	service := form.Get("service")
	country, hasCountry, ok := optionalInt(form, "country")
	if !ok {
		return text(tokenErrorSQL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]priceJSON{}
	for k, o := range s.offers {
		if (service != "" && k.service != service) || (hasCountry && k.country != country) {
			continue
		}
		ck := strconv.Itoa(k.country)
		if out[ck] == nil {
			out[ck] = map[string]priceJSON{}
		}
		out[ck][k.service] = priceJSON{Cost: usdNumber(o.cost), Count: o.count, PhysicalCount: o.count}
	}
	return jsonReply(out)
}

// countryJSON is one getCountries entry, SMS-Activate's field set.
type countryJSON struct {
	ID      int    `json:"id"`
	Rus     string `json:"rus"`
	Eng     string `json:"eng"`
	Chn     string `json:"chn"`
	Visible int    `json:"visible"`
	Retry   int    `json:"retry"`
}

// getCountries answers an object keyed by id, as SMS-Activate does.
func (s *Sim) getCountries() reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]countryJSON, len(s.countries))
	for id, c := range s.countries {
		out[strconv.Itoa(id)] = countryJSON{ID: id, Rus: c.Rus, Eng: c.Eng, Chn: c.Chn, Visible: 1, Retry: 1}
	}
	return jsonReply(out)
}

// serviceJSON is one getServicesList entry.
type serviceJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// getServicesList answers {"status":"success","services":[…]}, optionally
// only the services offered in one country.
func (s *Sim) getServicesList(form url.Values) reply {
	country, hasCountry, ok := optionalInt(form, "country")
	if !ok {
		return text(tokenErrorSQL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]serviceJSON, 0, len(s.services))
	for _, svc := range s.services {
		if hasCountry && s.offers[offerKey{svc.Code, country}] == nil {
			continue
		}
		list = append(list, serviceJSON(svc))
	}
	return jsonReply(struct {
		Status   string        `json:"status"`
		Services []serviceJSON `json:"services"`
	}{"success", list})
}
