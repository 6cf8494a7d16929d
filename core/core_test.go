package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]core.RateLimit{
		"50/s":   {Requests: 50, Period: time.Second},
		"3000/m": {Requests: 3000, Period: time.Minute},
		" 10/h ": {Requests: 10, Period: time.Hour},
	} {
		got, err := core.ParseRateLimit(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
		require.Equal(t, strings.TrimSpace(in), got.String())
	}
	for _, bad := range []string{"", "50", "0/s", "-1/s", "50/d", "x/s", "50/s/s"} {
		_, err := core.ParseRateLimit(bad)
		require.Error(t, err, bad)
	}
}

func TestAPIKeyFormat(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		k, err := core.GenerateAPIKey()
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(k, "acc_"), k)
		require.Len(t, k, 53)
		require.True(t, core.WellFormedAPIKey(k), k)
		require.False(t, seen[k])
		seen[k] = true
		require.Len(t, core.HashAPIKey(k), 32)

		// Any single-character change breaks the checksum.
		b := []byte(k)
		if b[10] == 'a' {
			b[10] = 'b'
		} else {
			b[10] = 'a'
		}
		require.False(t, core.WellFormedAPIKey(string(b)))
	}
	for _, bad := range []string{"", "acc_", "acc_short", "xyz_" + strings.Repeat("a", 49), "acc_" + strings.Repeat("!", 49)} {
		require.False(t, core.WellFormedAPIKey(bad), bad)
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"5000": "5000", "1250.5": "1250.5", " 0.01 ": "0.01", "1000000000000": "1000000000000"} {
		got, err := core.ParseAmount("amount", in)
		require.NoError(t, err, in)
		require.True(t, got.Equal(decimal.RequireFromString(want)), in)
	}
	for _, bad := range []string{"", "0", "-1", "1.001", "1e3", "abc", "1,000", "1000000000000.01", "NaN", "+5"} {
		_, err := core.ParseAmount("amount", bad)
		require.Equal(t, core.CodeInvalid, core.ErrorCode(err), bad)
		require.Contains(t, core.ErrorMessage(err), "amount", bad)
	}
}

func TestPostingValidate(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	legs := func(a, b string) []core.Leg {
		return []core.Leg{{Account: "wallet:1", Amount: d(a)}, {Account: core.AccountSales, Amount: d(b)}}
	}
	ok := core.Posting{Reference: "r", Kind: core.TxPurchase, UserID: 1, Amount: d("10"), Legs: legs("-10", "10")}
	require.NoError(t, ok.Validate())

	cases := map[string]func(p *core.Posting){
		"unbalanced":      func(p *core.Posting) { p.Legs = legs("-10", "9") },
		"one leg":         func(p *core.Posting) { p.Legs = p.Legs[:1] },
		"zero leg":        func(p *core.Posting) { p.Legs = legs("0", "0") },
		"sub-kobo":        func(p *core.Posting) { p.Legs = legs("-10.001", "10.001") },
		"repeated":        func(p *core.Posting) { p.Legs[1].Account = p.Legs[0].Account },
		"no reference":    func(p *core.Posting) { p.Reference = "" },
		"long reference":  func(p *core.Posting) { p.Reference = strings.Repeat("r", 201) },
		"refund unlinked": func(p *core.Posting) { p.Kind = core.TxRefund },
		"link not refund": func(p *core.Posting) { p.Reverses = 7 },
		"zero amount":     func(p *core.Posting) { p.Amount = d("0") },
		"two wallets":     func(p *core.Posting) { p.Legs[1].Account = "wallet:2" },
		"no wallet":       func(p *core.Posting) { p.Legs[0].Account = core.AccountFunding },
	}
	for name, mutate := range cases {
		p := ok
		p.Legs = append([]core.Leg(nil), ok.Legs...)
		mutate(&p)
		require.Error(t, p.Validate(), name)
	}
}

func TestErrorsNeverLeakInternals(t *testing.T) {
	t.Parallel()
	err := core.Internal(errString("pq: password authentication failed for user accgen"))
	require.Equal(t, core.CodeInternal, core.ErrorCode(err))
	require.NotContains(t, core.ErrorMessage(err), "password")
	require.Equal(t, core.CodeInternal, core.ErrorCode(errString("plain")))
	require.Equal(t, core.Code(""), core.ErrorCode(nil))
	require.Equal(t, "name: too long", core.ErrorMessage(core.ValidationError("name", "too long")))
}

type errString string

func (e errString) Error() string { return string(e) }
