package bot

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func TestMoneyFormatsNaira(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1250":       "₦1,250.00",
		"0":          "₦0.00",
		"999.5":      "₦999.50",
		"1000000":    "₦1,000,000.00",
		"123456.789": "₦123,456.79",
		"-1250":      "-₦1,250.00",
		"100":        "₦100.00",
	} {
		require.Equal(t, want, Money(decimal.RequireFromString(in)), in)
	}
}

func TestPrinterEscapesValues(t *testing.T) {
	t.Parallel()
	m := data([]any{"Name", "<b>x</b> & y", "Raw", safe("<code>1</code>"), "Amount", decimal.NewFromInt(5000)})
	require.Equal(t, "&lt;b&gt;x&lt;/b&gt; &amp; y", m["Name"])
	require.Equal(t, "<code>1</code>", m["Raw"])
	require.Equal(t, "₦5,000.00", m["Amount"])
}
