package stub

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// currencyNGN is the ISO 4217 numeric code of the Naira. SMS-Activate puts
// its currency in JSON answers as a number (840 for dollars); ours is 566.
const currencyNGN = 566

// money is an NGN amount as a JSON number with two decimals (1200.00), the
// same figure the REST API shows as price_ngn.
type money decimal.Decimal

// MarshalJSON implements json.Marshaler.
func (m money) MarshalJSON() ([]byte, error) {
	return []byte(decimal.Decimal(m).StringFixed(2)), nil
}

// protocolTime is SMS-Activate's "YYYY-MM-DD HH:MM:SS", in UTC.
func protocolTime(t time.Time) string { return t.UTC().Format(time.DateTime) }

// shortID is an order's activation id as the protocol writes it.
func shortID(o core.SMSOrder) string { return strconv.FormatInt(o.ShortID, 10) }

// tokenField makes a code safe inside a colon-separated token: clients split
// STATUS_OK:<code> on ':' and compare whole bodies, so only letters, digits
// and '-' are kept.
func tokenField(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' {
			b = append(b, c)
		}
	}
	return string(b)
}

// activationStatus is the numeric state SMS-Activate lists activations with
// (HeroSMS's mapping): 4 waiting for the SMS, 3 waiting for another SMS,
// 2 code received, 6 finished, 8 cancelled (and refunded: expired and failed
// orders too).
func activationStatus(o core.SMSOrder) string {
	switch {
	case o.Status == core.SMSPending && o.AwaitingAnother:
		return "3"
	case o.Status == core.SMSPlacing || o.Status == core.SMSPending:
		return "4"
	case o.Status == core.SMSCompleted && o.FinishedAt != nil:
		return "6"
	case o.Status == core.SMSCompleted:
		return "2"
	default:
		return "8"
	}
}

// pair is one member of an object written in a chosen order.
type pair struct {
	key   string
	value any
}

// orderedObject is a JSON object whose members keep their order (countries
// by id, activations newest first), where a Go map would sort the keys as
// strings ("16" < "187" < "19").
type orderedObject []pair

// MarshalJSON implements json.Marshaler.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(p.key)
		if err != nil {
			return nil, err
		}
		v, err := marshal(p.value)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
