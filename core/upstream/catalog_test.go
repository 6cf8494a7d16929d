package upstream_test

import (
	"net/http"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
)

func TestGetPrices(t *testing.T) {
	t.Parallel()
	dec := decimal.RequireFromString
	for _, tc := range []struct {
		name, body string
		want       upstream.Prices
	}{
		{"number cost", `{"187":{"wa":{"cost":0.5,"count":123,"physicalCount":100}}}`,
			upstream.Prices{187: {"wa": {Cost: dec("0.5"), Count: 123}}}},
		{"tiger string cost", `{"16":{"tg":{"cost":"0.2500","count":"7"}}}`,
			upstream.Prices{16: {"tg": {Cost: dec("0.25"), Count: 7}}}},
		{"physicalCount only", `{"19":{"go":{"cost":1,"physicalCount":9}}}`,
			upstream.Prices{19: {"go": {Cost: dec("1"), Count: 9}}}},
		{"price alias", `{"0":{"ot":{"price":0.05,"count":0}}}`,
			upstream.Prices{0: {"ot": {Cost: dec("0.05"), Count: 0}}}},
		{"empty object", `{}`, upstream.Prices{}},
		{"php empty array", `[]`, upstream.Prices{}},
		{"php empty country", `{"187":[]}`, upstream.Prices{187: {}}},
		{"country key not a number", `{"USA":{"wa":{"cost":1}}}`, nil},
		{"entry without cost", `{"187":{"wa":{"count":1}}}`, nil},
		{"truncated", `{"187":{"wa":{"cost":1`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(http.StatusOK, tc.body))
			got, err := b.client.GetPrices(t.Context(), "", nil)
			if tc.want == nil {
				var pe *upstream.ProtocolError
				require.ErrorAs(t, err, &pe)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, len(tc.want))
			for country, services := range tc.want {
				require.Len(t, got[country], len(services))
				for code, p := range services {
					require.True(t, p.Cost.Equal(got[country][code].Cost), "%d/%s cost %s", country, code, got[country][code].Cost)
					require.Equal(t, p.Count, got[country][code].Count)
				}
			}
		})
	}
}

func TestGetPricesFiltersAndErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, reply(http.StatusOK, `{}`))
	country := 187
	_, err := b.client.GetPrices(t.Context(), "wa", &country)
	require.NoError(t, err)
	q := b.rec.last().URL.Query()
	require.Equal(t, "getPrices", q.Get("action"))
	require.Equal(t, "wa", q.Get("service"))
	require.Equal(t, "187", q.Get("country"))

	_, err = b.client.GetPrices(t.Context(), "", nil)
	require.NoError(t, err)
	require.False(t, b.rec.last().URL.Query().Has("service"))
	require.False(t, b.rec.last().URL.Query().Has("country"))

	for _, tc := range []struct {
		name, body string
		want       error
	}{
		{"hero bad service", `{"status":"false","msg":"service is incorrect"}`, upstream.ErrBadService},
		{"hero bad country", `{"status":"false","msg":"country is incorrect"}`, upstream.ErrBadRequest},
		{"smsbower", `{"error":"Bad country"}`, upstream.ErrBadRequest},
		{"bad key", `BAD_KEY`, upstream.ErrBadKey},
	} {
		b := setup(t, reply(http.StatusOK, tc.body))
		_, err := b.client.GetPrices(t.Context(), "zz", nil)
		require.ErrorIs(t, err, tc.want, tc.name)
	}
}

func TestGetCountries(t *testing.T) {
	t.Parallel()
	want := []upstream.Country{{ID: 0, Name: "Russia"}, {ID: 16, Name: "United Kingdom"}, {ID: 187, Name: "USA"}}
	for _, tc := range []struct{ name, body string }{
		{"object keyed by id", `{"187":{"id":187,"rus":"США","eng":"USA","chn":"美国","visible":1,"retry":1},
			"0":{"id":0,"rus":"Россия","eng":"Russia","chn":"俄罗斯","visible":1,"retry":1,"rent":1,"multiService":1},
			"16":{"id":"16","eng":" United Kingdom ","visible":1}}`},
		{"object without ids", `{"187":{"eng":"USA"},"0":{"eng":"Russia"},"16":{"eng":"United Kingdom"}}`},
		{"tiger array", `[{"id":16,"eng":"United Kingdom"},{"id":187,"eng":"USA"},{"id":"0","eng":"Russia"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(http.StatusOK, tc.body))
			got, err := b.client.GetCountries(t.Context())
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}

	b := setup(t, reply(http.StatusOK, `{"x":{"eng":"Nowhere"}}`))
	_, err := b.client.GetCountries(t.Context())
	var pe *upstream.ProtocolError
	require.ErrorAs(t, err, &pe)
}

func TestGetServicesList(t *testing.T) {
	t.Parallel()
	b := setup(t, reply(http.StatusOK,
		`{"status":"success","services":[{"code":"wa","name":"WhatsApp"},{"code":"acz","name":"Claude "},{"code":"","name":"x"}]}`))
	got, err := b.client.GetServicesList(t.Context())
	require.NoError(t, err)
	require.Equal(t, []upstream.Service{{Code: "wa", Name: "WhatsApp"}, {Code: "acz", Name: "Claude"}}, got)

	b = setup(t, reply(http.StatusOK, `{"status":"success"}`))
	_, err = b.client.GetServicesList(t.Context())
	var pe *upstream.ProtocolError
	require.ErrorAs(t, err, &pe)
}
