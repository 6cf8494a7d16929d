package core_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/coretest"
)

func TestPricingRoundsUpToTheStep(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	p := core.Pricing{FXRate: d("1600"), MarkupPercent: d("30"), Step: d("10")}
	for cost, want := range map[string]string{
		"0.50":   "1040",  // 0.5 × 1600 × 1.3 = 1040 exactly
		"0.51":   "1070",  // 1060.8 → 1070
		"0.0001": "10",    // never below one step
		"1.2345": "2570",  // 2567.76 → 2570
		"2":      "4160",  // 4160
		"0.05":   "110",   // 104 → 110
		"12.5":   "26000", // 26000
	} {
		require.True(t, p.Price(d(cost)).Equal(d(want)), "cost %s: got %s want %s", cost, p.Price(d(cost)), want)
	}
	half := core.Pricing{FXRate: d("1"), MarkupPercent: d("0"), Step: d("0.5")}
	require.True(t, half.Price(d("1.2")).Equal(d("1.5")))
}

func TestCatalogPriceOverrides(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	ctx := context.Background()
	snap := env.Catalog.Snapshot()
	computed, ok := snap.Offer("wa", 187)
	require.True(t, ok)
	require.True(t, computed.Price.Equal(env.Catalog.Pricing().Price(computed.Cost)))

	usa := 187
	require.NoError(t, env.Catalog.SetPriceOverride(ctx, core.PriceOverride{ServiceID: "wa", Price: decimal.NewFromInt(999)}))
	require.NoError(t, env.Catalog.SetPriceOverride(ctx, core.PriceOverride{ServiceID: "wa", CountryID: &usa, Price: decimal.NewFromInt(1500)}))
	snap = env.Catalog.Snapshot()
	o, _ := snap.Offer("wa", 187)
	require.True(t, o.Price.Equal(decimal.NewFromInt(1500)), "a country override beats the service-wide one")
	o, _ = snap.Offer("wa", 16)
	require.True(t, o.Price.Equal(decimal.NewFromInt(999)), "the service-wide override applies elsewhere")
	o, _ = snap.Offer("tg", 16)
	require.True(t, o.Price.Equal(env.Catalog.Pricing().Price(o.Cost)), "other services keep the computed price")

	require.NoError(t, env.Catalog.ClearPriceOverride(ctx, "wa", &usa))
	o, _ = env.Catalog.Snapshot().Offer("wa", 187)
	require.True(t, o.Price.Equal(decimal.NewFromInt(999)))
	require.Equal(t, core.CodeNotFound, core.ErrorCode(env.Catalog.ClearPriceOverride(ctx, "wa", &usa)))
	require.Equal(t, core.CodeInvalid, core.ErrorCode(env.Catalog.SetPriceOverride(ctx, core.PriceOverride{ServiceID: "nope", Price: decimal.NewFromInt(5)})))
	require.Equal(t, core.CodeInvalid, core.ErrorCode(env.Catalog.SetPriceOverride(ctx, core.PriceOverride{ServiceID: "wa", Price: decimal.NewFromInt(-5)})))

	// The price charged is the catalog's price.
	u, p, _ := env.Reseller(t, 1, "5000")
	order, _, err := env.SMS.Place(ctx, core.PlaceSMSParams{Scope: core.Scope{UserID: u.ID, APIKeyID: p.KeyID}, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
	require.NoError(t, err)
	require.True(t, order.Price.Equal(decimal.NewFromInt(999)))
	require.True(t, env.Balance(t, u.ID).Equal(decimal.NewFromInt(4001)))
}
