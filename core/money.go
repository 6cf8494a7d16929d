package core

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Money amounts are NGN as decimal.Decimal, always held at kobo precision
// (two decimal places). Never float64.

// MaxAmount bounds any single amount so it fits NUMERIC(18,2) with room for sums.
var MaxAmount = decimal.RequireFromString("1000000000000") // ₦1 trillion

// RoundKobo rounds half away from zero to two decimal places. Used where a
// computed amount (never a client-supplied one) must become money.
func RoundKobo(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// ParseAmount parses a client-supplied NGN amount such as "5000" or "1250.50".
// It refuses anything that is not a plain positive number with at most two
// decimals, so no amount is silently rounded.
func ParseAmount(field, s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal.Decimal{}, ValidationError(field, "is required")
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return decimal.Decimal{}, ValidationError(field, "must be a positive number such as 5000 or 1250.50")
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, ValidationError(field, "must be a positive number such as 5000 or 1250.50")
	}
	return d, CheckAmount(field, d)
}

// CheckAmount validates an amount that is about to move money.
func CheckAmount(field string, d decimal.Decimal) error {
	switch {
	case !d.IsPositive():
		return ValidationError(field, "must be greater than zero")
	case !d.Equal(d.Round(2)):
		return ValidationError(field, "must have at most two decimal places")
	case d.GreaterThan(MaxAmount):
		return ValidationError(field, "must not exceed %s", MaxAmount.String())
	}
	return nil
}

// FormatNGN renders an amount with exactly two decimals ("1250.00"), the form
// used in plain-text protocols and logs.
func FormatNGN(d decimal.Decimal) string { return d.StringFixed(2) }
