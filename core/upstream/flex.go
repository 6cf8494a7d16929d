package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// The flex* types decode the values providers send with varying JSON types:
// ids as 635468024 or "635468024", costs as 0.25 or "0.2500", codes as null,
// "1234" or ["1234"]. null always decodes to the zero value.

var jsonNull = []byte("null")

// flexString accepts a string or a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, jsonNull) {
		*f = ""
		return nil
	}
	if s, ok := plainJSONString(b); ok {
		*f = flexString(strings.TrimSpace(s))
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(strings.TrimSpace(s))
		return nil
	}
	if plainJSONNumber(b) {
		*f = flexString(b)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want string or number: %w", err)
	}
	*f = flexString(n.String())
	return nil
}

// plainJSONString reads a JSON string without escapes (every id, phone
// number and code upstream sends) without a second pass of the JSON
// decoder: a poll tick decodes thousands of them.
func plainJSONString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(inner) {
		return "", false // the decoder replaces invalid bytes
	}
	return string(inner), true
}

// plainJSONNumber reports a number written with digits, sign, point and
// exponent only, such as 635468024 or 0.25, which is used as written.
func plainJSONNumber(b []byte) bool {
	if len(b) == 0 || !(b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return false
		}
	}
	_, err := strconv.ParseFloat(string(b), 64)
	return err == nil
}

// flexInt accepts an integer as a number or a string; an integral float
// such as 187.0 is accepted too.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	n, err := parseFlexInt(string(s))
	*f = flexInt(n)
	return err
}

func parseFlexInt(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
		return 0, fmt.Errorf("not an integer: %.32q", s)
	}
	return int(x), nil
}

// flexDecimal accepts a number or a string; an empty string is zero.
type flexDecimal decimal.Decimal

func (f *flexDecimal) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*f = flexDecimal(decimal.Zero)
		return nil
	}
	d, err := decimal.NewFromString(string(s))
	if err != nil {
		return fmt.Errorf("not a decimal: %.32q", string(s))
	}
	*f = flexDecimal(d)
	return nil
}

// flexStrings accepts null, a string, a number, or an array of those.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var items []flexString
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			if it != "" {
				out = append(out, string(it))
			}
		}
		*f = out
		return nil
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = nil
	if s != "" {
		*f = []string{string(s)}
	}
	return nil
}

// timeLayouts are the activation time formats seen: SMS-Activate's
// "2022-06-01 16:59:16" and HeroSMS's RFC 3339.
var timeLayouts = []string{time.DateTime, time.RFC3339Nano, "2006-01-02T15:04:05"}

// parseTime reads a provider time; zero when it is none of the known forms.
// Zone-less times are read as UTC because providers do not document theirs.
func parseTime(s string) time.Time {
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// lenientDecimal is flexDecimal that decodes anything unreadable as zero.
// It is for informational amounts next to a purchase (activationCost): a
// number already bought must not be lost over a field we only display.
// Prices the engine charges from are read strictly, never with this.
type lenientDecimal decimal.Decimal

func (f *lenientDecimal) UnmarshalJSON(b []byte) error {
	var d flexDecimal
	if d.UnmarshalJSON(b) != nil {
		d = flexDecimal(decimal.Zero)
	}
	*f = lenientDecimal(d)
	return nil
}

// lenientInt is flexInt that decodes anything unreadable as zero, for
// informational fields of list rows (countryCode).
type lenientInt int

func (f *lenientInt) UnmarshalJSON(b []byte) error {
	var n flexInt
	if n.UnmarshalJSON(b) != nil {
		n = 0
	}
	*f = lenientInt(n)
	return nil
}
