package core_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// Microbenchmarks of the per-request arithmetic; `go test -bench . ./core/`.

func BenchmarkPricing(b *testing.B) {
	p := core.Pricing{FXRate: decimal.NewFromInt(1600), MarkupPercent: decimal.NewFromInt(30), Step: decimal.NewFromInt(10)}
	cost := decimal.RequireFromString("0.5137")
	for b.Loop() {
		_ = p.Price(cost)
	}
}

func BenchmarkAPIKeyCheck(b *testing.B) {
	key, err := core.GenerateAPIKey()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !core.WellFormedAPIKey(key) {
			b.Fatal("refused")
		}
		_ = core.HashAPIKey(key)
	}
}

func BenchmarkFormatNGN(b *testing.B) {
	d := decimal.RequireFromString("1250.5")
	for b.Loop() {
		_ = core.FormatNGN(d)
	}
}
