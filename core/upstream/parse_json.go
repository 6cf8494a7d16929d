package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// The parsers in this file read the JSON answers. Like parse.go they are
// pure functions of the trimmed body, fuzzed for panics.

// decodeJSON is json.Unmarshal with a reason that names no body content.
func decodeJSON(body string, v any) error {
	if err := json.Unmarshal([]byte(body), v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("invalid JSON at byte %d", se.Offset)
		}
		return fmt.Errorf("unexpected JSON: %w", err)
	}
	return nil
}

// isJSONNull reports whether raw is absent or null.
func isJSONNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, jsonNull)
}

// parseNumberV2 reads the getNumberV2 object. A provider that answers
// getNumberV2 with the classic token is accepted too.
func parseNumberV2(body string) (Number, error) {
	if strings.HasPrefix(body, "ACCESS_NUMBER:") {
		return parseAccessNumber(body)
	}
	if !strings.HasPrefix(body, "{") {
		return Number{}, errUnknownAnswer
	}
	var v struct {
		ActivationID   flexString     `json:"activationId"`
		PhoneNumber    flexString     `json:"phoneNumber"`
		ActivationCost lenientDecimal `json:"activationCost"`
	}
	if err := decodeJSON(body, &v); err != nil {
		return Number{}, err
	}
	return newNumber(string(v.ActivationID), string(v.PhoneNumber), decimal.Decimal(v.ActivationCost))
}

// smsFields is the part of the SMS-Activate "sms"/"call" objects and the
// HeroSMS "data" object that matters here.
type smsFields struct {
	Code flexString `json:"code"`
	Text flexString `json:"text"`
}

// parseStatusV2 reads getStatusV2: the SMS-Activate shape {"sms":{…},
// "call":{…}}, the HeroSMS shape {"verificationType":"sms","data":{…}}, or a
// bare status token (STATUS_CANCEL for finished activations). A message
// whose code the provider did not extract is StatusReceived with only Text.
func parseStatusV2(body string) (Status, error) {
	if !strings.HasPrefix(body, "{") {
		return parseStatus(body)
	}
	var v struct {
		VerificationType json.RawMessage `json:"verificationType"`
		SMS              json.RawMessage `json:"sms"`
		Call             json.RawMessage `json:"call"`
		Data             json.RawMessage `json:"data"`
	}
	if err := decodeJSON(body, &v); err != nil {
		return Status{}, err
	}
	if v.VerificationType == nil && v.SMS == nil && v.Call == nil && v.Data == nil {
		return Status{}, errors.New("no sms, call or data field")
	}
	for _, raw := range []json.RawMessage{v.SMS, v.Call, v.Data} {
		f, err := decodeSMSFields(raw)
		if err != nil {
			return Status{}, err
		}
		if f.Code != "" || f.Text != "" {
			return Status{State: StatusReceived, Code: string(f.Code), Text: string(f.Text)}, nil
		}
	}
	return Status{State: StatusWaiting}, nil
}

// decodeSMSFields decodes an object, or the last element of an array of
// them (HeroSMS lists every message); null is empty.
func decodeSMSFields(raw json.RawMessage) (smsFields, error) {
	var f smsFields
	switch {
	case isJSONNull(raw):
		return f, nil
	case raw[0] == '[':
		var list []smsFields
		if err := json.Unmarshal(raw, &list); err != nil {
			return f, errors.New("sms list has an unexpected shape")
		}
		if len(list) > 0 {
			f = list[len(list)-1]
		}
		return f, nil
	case raw[0] == '{':
		if err := json.Unmarshal(raw, &f); err != nil {
			return f, errors.New("sms object has an unexpected shape")
		}
		return f, nil
	}
	return f, errors.New("sms field is not an object")
}

// priceRow is one service entry of getPrices; getPricesVerification calls
// the cost "price".
type priceRow struct {
	Cost          *flexDecimal `json:"cost"`
	Price         *flexDecimal `json:"price"`
	Count         *flexInt     `json:"count"`
	PhysicalCount *flexInt     `json:"physicalCount"`
}

// parsePrices reads {"<country>":{"<service>":{"cost","count"}}}. An empty
// object (no stock anywhere) and PHP's empty array "[]", at the top or for
// a country, are empty.
func parsePrices(body string) (Prices, error) {
	if body == "[]" {
		return Prices{}, nil
	}
	var raw map[string]json.RawMessage
	if err := decodeJSON(body, &raw); err != nil {
		return nil, err
	}
	out := make(Prices, len(raw))
	for ck, rawServices := range raw {
		country, err := strconv.Atoi(ck)
		if err != nil {
			return nil, errors.New("country key is not a number")
		}
		var services map[string]json.RawMessage
		if string(rawServices) != "[]" { // PHP encodes an empty map as []
			if err := json.Unmarshal(rawServices, &services); err != nil {
				return nil, errors.New("country entry is not an object")
			}
		}
		row := make(map[string]Price, len(services))
		for code, rawRow := range services {
			var r priceRow
			if err := json.Unmarshal(rawRow, &r); err != nil {
				return nil, fmt.Errorf("price entry: %w", err)
			}
			p := Price{}
			switch {
			case r.Cost != nil:
				p.Cost = decimal.Decimal(*r.Cost)
			case r.Price != nil:
				p.Cost = decimal.Decimal(*r.Price)
			default:
				return nil, errors.New("price entry without cost")
			}
			if r.Count != nil {
				p.Count = int(*r.Count)
			} else if r.PhysicalCount != nil {
				p.Count = int(*r.PhysicalCount)
			}
			row[code] = p
		}
		out[country] = row
	}
	return out, nil
}

// countryRow is one getCountries entry.
type countryRow struct {
	ID   *flexInt   `json:"id"`
	Eng  flexString `json:"eng"`
	Name flexString `json:"name"`
}

// parseCountries reads getCountries as SMS-Activate's object keyed by id or
// Tiger's array, sorted by id.
func parseCountries(body string) ([]Country, error) {
	var rows []countryRow
	if strings.HasPrefix(body, "[") {
		if err := decodeJSON(body, &rows); err != nil {
			return nil, err
		}
	} else {
		var byID map[string]countryRow
		if err := decodeJSON(body, &byID); err != nil {
			return nil, err
		}
		for key, row := range byID {
			if row.ID == nil {
				id, err := strconv.Atoi(key)
				if err != nil {
					return nil, errors.New("country key is not a number")
				}
				row.ID = (*flexInt)(&id)
			}
			rows = append(rows, row)
		}
	}
	out := make([]Country, 0, len(rows))
	for _, row := range rows {
		if row.ID == nil {
			return nil, errors.New("country without id")
		}
		name := strings.TrimSpace(string(row.Eng))
		if name == "" {
			name = strings.TrimSpace(string(row.Name))
		}
		out = append(out, Country{ID: int(*row.ID), Name: name})
	}
	slices.SortFunc(out, func(a, b Country) int { return a.ID - b.ID })
	return out, nil
}

// parseServices reads {"status":"success","services":[{"code","name"}]}.
func parseServices(body string) ([]Service, error) {
	var v struct {
		Services *[]struct {
			Code flexString `json:"code"`
			Name flexString `json:"name"`
		} `json:"services"`
	}
	if err := decodeJSON(body, &v); err != nil {
		return nil, err
	}
	if v.Services == nil {
		return nil, errors.New("no services field")
	}
	out := make([]Service, 0, len(*v.Services))
	for _, s := range *v.Services {
		code := strings.TrimSpace(string(s.Code))
		if code == "" {
			continue
		}
		out = append(out, Service{Code: code, Name: strings.TrimSpace(string(s.Name))})
	}
	return out, nil
}
