package upstream

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// activationRow is one getActiveActivations entry. smsCode is null, a
// string or an array depending on provider and state; ids and costs come as
// numbers or strings.
type activationRow struct {
	ActivationID     flexString     `json:"activationId"`
	ServiceCode      flexString     `json:"serviceCode"`
	PhoneNumber      flexString     `json:"phoneNumber"`
	ActivationCost   lenientDecimal `json:"activationCost"`
	ActivationStatus flexString     `json:"activationStatus"`
	SMSCode          flexStrings    `json:"smsCode"`
	SMSText          flexStrings    `json:"smsText"`
	ActivationTime   flexString     `json:"activationTime"`
	CountryCode      lenientInt     `json:"countryCode"`
}

// parseActivations reads getActiveActivations. The list is under
// "activeActivations" (SMS-Activate) or "data" (HeroSMS, Tiger), as an
// array or as PHP's object keyed by index. NO_ACTIVATIONS, bare or in a
// {"status":"error"} envelope, is an empty list: having none is not a
// failure.
func parseActivations(body string) ([]Activation, error) {
	if body == "NO_ACTIVATIONS" {
		return []Activation{}, nil
	}
	if !strings.HasPrefix(body, "{") {
		return nil, errUnknownAnswer
	}
	var v struct {
		Status            any             `json:"status"`
		Error             any             `json:"error"`
		Message           any             `json:"message"`
		ActiveActivations json.RawMessage `json:"activeActivations"`
		Data              json.RawMessage `json:"data"`
	}
	if err := decodeJSON(body, &v); err != nil {
		return nil, err
	}
	if v.Error == "NO_ACTIVATIONS" || v.Message == "NO_ACTIVATIONS" {
		return []Activation{}, nil
	}
	raw := v.ActiveActivations
	if isJSONNull(raw) {
		raw = v.Data
	}
	if isJSONNull(raw) {
		if v.Status == "success" {
			return []Activation{}, nil
		}
		return nil, errors.New("no activeActivations or data field")
	}
	rows, err := decodeRows(raw)
	if err != nil {
		return nil, err
	}
	out := make([]Activation, 0, len(rows))
	for _, r := range rows {
		a, err := r.activation()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// decodeRows decodes an array of rows or an object keyed by index, the
// latter in index order.
func decodeRows(raw json.RawMessage) ([]activationRow, error) {
	switch raw[0] {
	case '[':
		var rows []activationRow
		if err := json.Unmarshal(raw, &rows); err != nil {
			return nil, errors.New("activation list has an unexpected shape")
		}
		return rows, nil
	case '{':
		var byKey map[string]activationRow
		if err := json.Unmarshal(raw, &byKey); err != nil {
			return nil, errors.New("activation list has an unexpected shape")
		}
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			x, _ := strconv.Atoi(a)
			y, _ := strconv.Atoi(b)
			if x != y {
				return x - y
			}
			return strings.Compare(a, b)
		})
		rows := make([]activationRow, 0, len(keys))
		for _, k := range keys {
			rows = append(rows, byKey[k])
		}
		return rows, nil
	}
	return nil, errors.New("activation list is not a list")
}

// activation validates a row: the id must be digits.
func (r activationRow) activation() (Activation, error) {
	id := string(r.ActivationID)
	if !isDigits(id) {
		return Activation{}, errors.New("activation id is not a number")
	}
	// The poller needs ids and codes; one row with a masked or odd phone
	// must not hide the codes of every other row, so phone is best effort.
	phone, err := phoneDigits(string(r.PhoneNumber))
	if err != nil {
		phone = ""
	}
	return Activation{
		ID:      id,
		Phone:   phone,
		Service: string(r.ServiceCode),
		Country: int(r.CountryCode),
		Cost:    decimal.Decimal(r.ActivationCost),
		Status:  string(r.ActivationStatus),
		Codes:   []string(r.SMSCode),
		Text:    strings.Join(r.SMSText, "\n"),
		Time:    parseTime(string(r.ActivationTime)),
	}, nil
}
