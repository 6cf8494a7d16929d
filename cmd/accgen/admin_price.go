package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"regexp"

	"github.com/shopspring/decimal"

	"accgen/core"
)

var serviceCode = regexp.MustCompile(`^[a-z0-9]{2,8}$`)

// adminPrice builds `admin price set|clear`: operator price overrides for a
// service in one country (--country) or in all of them. A running server
// applies the change at its next catalog refresh (within a minute).
func adminPrice(ctx context.Context, sub string, fs *flag.FlagSet, stdout io.Writer) (check func() error, do func(a *app) error) {
	service := fs.String("service", "", "service code, e.g. wa (required)")
	country := fs.Int("country", -1, "country id, e.g. 187 (default: every country)")
	price := fs.String("price", "", "NGN price, e.g. 1500 (set only)")
	var amount decimal.Decimal
	check = func() error {
		if !serviceCode.MatchString(*service) {
			return usageError("admin %s: --service must be a service code such as wa", sub)
		}
		if sub == "price clear" {
			return nil
		}
		var err error
		if amount, err = core.ParseAmount("--price", *price); err != nil {
			return usageError("admin %s: %s", sub, core.ErrorMessage(err))
		}
		return nil
	}
	return check, func(a *app) error {
		var countryID *int
		if *country >= 0 {
			countryID = country
		}
		if sub == "price clear" {
			if err := a.db.DeletePriceOverride(ctx, *service, countryID); err != nil {
				return clientMessage(err)
			}
			_, err := fmt.Fprintln(stdout, "cleared")
			return err
		}
		if err := a.db.SetPriceOverride(ctx, core.PriceOverride{ServiceID: *service, CountryID: countryID, Price: amount}); err != nil {
			return clientMessage(err)
		}
		_, err := fmt.Fprintln(stdout, core.FormatNGN(amount))
		return err
	}
}
