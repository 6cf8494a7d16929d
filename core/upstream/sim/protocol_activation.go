package sim

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// getBalance answers ACCESS_BALANCE:<usd>, after refunding any activation
// that has just expired.
func (s *Sim) getBalance() reply {
	s.mu.Lock()
	s.expireDueLocked(s.now())
	b := s.balance
	s.mu.Unlock()
	return text("ACCESS_BALANCE:" + formatUSD(b))
}

// numberV2JSON is SMS-Activate's getNumberV2 answer.
type numberV2JSON struct {
	ActivationID       int64       `json:"activationId"`
	PhoneNumber        string      `json:"phoneNumber"`
	ActivationCost     json.Number `json:"activationCost"`
	Currency           int         `json:"currency"`
	CountryCode        string      `json:"countryCode"`
	CanGetAnotherSms   string      `json:"canGetAnotherSms"`
	ActivationTime     string      `json:"activationTime"`
	ActivationOperator string      `json:"activationOperator"`
}

// getNumber sells a number: ACCESS_NUMBER:<id>:<phone>, or the V2 JSON.
// Refusals, in SMS-Activate's order of checks: BAD_SERVICE, NO_NUMBERS,
// WRONG_MAX_PRICE:<cost>, NO_BALANCE.
func (s *Sim) getNumber(form url.Values, v2, noNumbers bool) reply {
	service := form.Get("service")
	country, _, ok := optionalInt(form, "country") // SA defaults to 0, Russia
	if !ok {
		return text(tokenErrorSQL)
	}
	var maxPrice *decimal.Decimal
	if v := cmp.Or(form.Get("maxPrice"), form.Get("max_price")); v != "" {
		d, err := decimal.NewFromString(v)
		if err != nil {
			return text(tokenErrorSQL)
		}
		maxPrice = &d
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.expireDueLocked(now)
	if !s.knownServiceLocked(service) {
		return text(tokenBadService)
	}
	o := s.offers[offerKey{service, country}]
	if noNumbers || o == nil || o.count <= 0 {
		return text(tokenNoNumbers)
	}
	if maxPrice != nil && maxPrice.LessThan(o.cost) {
		return text("WRONG_MAX_PRICE:" + formatUSD(o.cost))
	}
	if s.balance.LessThan(o.cost) {
		return text(tokenNoBalance)
	}
	o.count--
	s.balance = s.balance.Sub(o.cost)
	a := &activation{
		id: s.nextID, phone: s.countries[country].phone(s.rng), service: service, country: country,
		cost: o.cost, created: now, expires: now.Add(s.ttl), state: stateWaiting,
	}
	s.nextID++
	s.acts[a.id] = a
	s.live[a.id] = a
	s.byAge = append(s.byAge, a)
	s.scheduleAutoSMSLocked(a.id)

	if !v2 {
		return text("ACCESS_NUMBER:" + strconv.FormatInt(a.id, 10) + ":" + a.phone)
	}
	return jsonReply(numberV2JSON{
		ActivationID: a.id, PhoneNumber: a.phone, ActivationCost: usdNumber(a.cost), Currency: currencyUSD,
		CountryCode: strconv.Itoa(country), CanGetAnotherSms: "1",
		ActivationTime: a.created.UTC().Format(time.DateTime), ActivationOperator: "any",
	})
}

// lookupLocked finds the activation named by the id parameter, expired if
// its time is up; on failure it returns the protocol error token.
func (s *Sim) lookupLocked(form url.Values) (*activation, string) {
	id, err := strconv.ParseInt(strings.TrimSpace(form.Get("id")), 10, 64)
	if err != nil || id <= 0 {
		return nil, tokenWrongID
	}
	a, ok := s.acts[id]
	if !ok {
		return nil, tokenNoActivate
	}
	s.expireLocked(a, s.now())
	return a, ""
}

// getStatus answers the getStatus token for the activation's state.
func (s *Sim) getStatus(form url.Values) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, tok := s.lookupLocked(form)
	if a == nil {
		return text(tok)
	}
	switch a.state {
	case stateWaiting:
		return text("STATUS_WAIT_CODE")
	case stateReceived:
		return text("STATUS_OK:" + a.lastSMS().code)
	case stateWaitRetry:
		return text("STATUS_WAIT_RETRY:" + a.lastSMS().code)
	}
	return text(tokenCancelled) // finished or cancelled: SA says "canceled or completed"
}

// smsJSON is the "sms" object of getStatusV2.
type smsJSON struct {
	DateTime string `json:"dateTime"`
	Code     string `json:"code"`
	Text     string `json:"text"`
}

// getStatusV2 answers SMS-Activate's {"verificationType":0,"sms":…,"call":null};
// sms is null until a code arrives and again while waiting for a retry.
// Ended activations answer the bare STATUS_CANCEL, as SMS-Activate does.
func (s *Sim) getStatusV2(form url.Values) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, tok := s.lookupLocked(form)
	if a == nil {
		return text(tok)
	}
	if a.state.terminal() {
		return text(tokenCancelled)
	}
	var sms *smsJSON
	if a.state == stateReceived {
		m := a.lastSMS()
		sms = &smsJSON{DateTime: m.at.UTC().Format(time.DateTime), Code: m.code, Text: m.text}
	}
	return jsonReply(struct {
		VerificationType int      `json:"verificationType"`
		SMS              *smsJSON `json:"sms"`
		Call             any      `json:"call"`
	}{0, sms, nil})
}

// setStatus applies 1, 3, 6 or 8 (see transition).
func (s *Sim) setStatus(form url.Values) reply {
	if id, err := strconv.ParseInt(strings.TrimSpace(form.Get("id")), 10, 64); err != nil || id <= 0 {
		return text(tokenWrongID)
	}
	status, err := strconv.Atoi(form.Get("status"))
	if err != nil {
		return text(tokenBadStatus)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, tok := s.lookupLocked(form)
	if a == nil {
		return text(tok)
	}
	return text(s.transitionLocked(a, status))
}

// transitionLocked is the setStatus state machine:
//   - 1 (ready) while waiting for the first code: ACCESS_READY.
//   - 3 (another code) once a code arrived: ACCESS_RETRY_GET, and getStatus
//     shows STATUS_WAIT_RETRY:<last code> until the next SMS.
//   - 6 (finish): ACCESS_ACTIVATION. Without any code SMS-Activate "deletes"
//     the activation, so it is cancelled and refunded; otherwise charged.
//   - 8 (cancel) while no code arrived: EARLY_CANCEL_DENIED inside the
//     early-cancel window, else ACCESS_CANCEL and a refund. After a code:
//     BAD_STATUS (the activation is unchanged).
//
// Repeating 3, 6 or 8 after it took effect answers the same token again,
// so a client retrying after a timeout is not told off; a TTL-expired
// activation accepts 8 the same way. Everything else is BAD_STATUS.
func (s *Sim) transitionLocked(a *activation, status int) string {
	switch status {
	case 1:
		if a.state == stateWaiting {
			return "ACCESS_READY"
		}
	case 3:
		switch a.state {
		case stateReceived:
			a.state = stateWaitRetry
			s.scheduleAutoSMSLocked(a.id)
			return "ACCESS_RETRY_GET"
		case stateWaitRetry:
			return "ACCESS_RETRY_GET"
		}
	case 6:
		switch {
		case a.state == stateFinished:
			return "ACCESS_ACTIVATION"
		case a.state.terminal():
		case len(a.sms) == 0:
			s.endLocked(a, stateCancelled)
			return "ACCESS_ACTIVATION"
		default:
			s.endLocked(a, stateFinished)
			return "ACCESS_ACTIVATION"
		}
	case 8:
		switch {
		case a.state == stateCancelled:
			return "ACCESS_CANCEL"
		case a.state != stateWaiting:
			return tokenBadStatus
		case s.now().Sub(a.created) < s.earlyCancel:
			return tokenEarlyCancel
		default:
			s.endLocked(a, stateCancelled)
			return "ACCESS_CANCEL"
		}
	}
	return tokenBadStatus
}

// activeJSON is one getActiveActivations row, SMS-Activate's field set.
type activeJSON struct {
	ActivationID     string      `json:"activationId"`
	ServiceCode      string      `json:"serviceCode"`
	PhoneNumber      string      `json:"phoneNumber"`
	ActivationCost   json.Number `json:"activationCost"`
	ActivationStatus string      `json:"activationStatus"`
	SMSCode          []string    `json:"smsCode"`
	SMSText          *string     `json:"smsText"`
	ActivationTime   string      `json:"activationTime"`
	Discount         string      `json:"discount"`
	Repeated         string      `json:"repeated"`
	CountryCode      string      `json:"countryCode"`
	CountryName      string      `json:"countryName"`
	CanGetAnotherSms string      `json:"canGetAnotherSms"`
	Currency         int         `json:"currency"`
}

// activationStatusIDs are the numeric states of the active list (HeroSMS's
// front-end mapping: 4 waiting for SMS, 2 received, 3 waiting for a resend).
var activationStatusIDs = map[actState]string{stateWaiting: "4", stateReceived: "2", stateWaitRetry: "3"}

// getActiveActivations lists live activations under "activeActivations",
// or answers {"status":"error","error":"NO_ACTIVATIONS"} when there are none.
func (s *Sim) getActiveActivations() reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireDueLocked(s.now())
	if len(s.live) == 0 {
		return jsonReply(map[string]string{"status": "error", "error": "NO_ACTIVATIONS"})
	}
	live := slices.SortedFunc(maps.Values(s.live), func(x, y *activation) int { return cmp.Compare(x.id, y.id) })
	rows := make([]activeJSON, 0, len(live))
	for _, a := range live {
		row := activeJSON{
			ActivationID: strconv.FormatInt(a.id, 10), ServiceCode: a.service, PhoneNumber: a.phone,
			ActivationCost: usdNumber(a.cost), ActivationStatus: activationStatusIDs[a.state],
			ActivationTime: a.created.UTC().Format(time.DateTime), Discount: "0.00", Repeated: "0",
			CountryCode: strconv.Itoa(a.country), CountryName: s.countries[a.country].Eng,
			CanGetAnotherSms: "1", Currency: currencyUSD,
		}
		for _, m := range a.sms {
			row.SMSCode = append(row.SMSCode, m.code)
		}
		if len(a.sms) > 0 {
			t := a.lastSMS().text
			row.SMSText = &t
		}
		rows = append(rows, row)
	}
	return jsonReply(struct {
		Status            string       `json:"status"`
		ActiveActivations []activeJSON `json:"activeActivations"`
	}{"success", rows})
}
