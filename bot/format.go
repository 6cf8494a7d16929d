package bot

import (
	"fmt"
	"html"
	"strings"

	"github.com/shopspring/decimal"

	"accgen/locales"
)

// Money renders an NGN amount as ₦1,250.00, the same in every language.
func Money(d decimal.Decimal) string {
	s := d.Abs().StringFixed(2)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if d.IsNegative() {
		b.WriteByte('-')
	}
	b.WriteString("₦")
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + frac
}

// safe marks a template value that is already HTML (it is not escaped).
type safe string

// printer renders locale messages for Telegram's HTML parse mode: string
// values are escaped, so a product name or a note can never inject markup.
type printer struct {
	*locales.Printer
}

// t renders id with key/value pairs ("Name", value, ...).
func (p printer) t(id string, kv ...any) string { return p.T(id, data(kv)) }

// n renders a plural message for count with key/value pairs.
func (p printer) n(id string, count int, kv ...any) string { return p.N(id, count, data(kv)) }

func data(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]any, len(kv)/2+1)
	for i := 0; i+1 < len(kv); i += 2 {
		key, _ := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			m[key] = html.EscapeString(v)
		case safe:
			m[key] = string(v)
		case decimal.Decimal:
			m[key] = Money(v)
		default:
			m[key] = fmt.Sprint(v)
		}
	}
	return m
}

// esc escapes text for HTML parse mode.
func esc(s string) string { return html.EscapeString(s) }

// clip shortens s to at most n runes, with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Dates are numeric, day first as in Nigeria, so no month name is left in
// English whatever the language.
const (
	dateLayout     = "02/01/2006"
	dateTimeLayout = "02/01/2006 15:04"
	shortLayout    = "02/01"
	shortTime      = "02/01 15:04"
)
