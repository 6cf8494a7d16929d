package upstream_test

import (
	"net/http"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
)

func TestGetNumberV2(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body      string
		id, phone, cost string
	}{
		{"sa numeric id", `{"activationId":635468024,"phoneNumber":"79584123456","activationCost":12.50,"currency":840,
			"countryCode":"2","canGetAnotherSms":"1","activationTime":"2022-06-01 17:30:57","activationOperator":"mtt"}`,
			"635468024", "79584123456", "12.5"},
		{"hero string id", `{"activationId":"635468025","phoneNumber":"+15550001111","activationCost":"0.2500",
			"canGetAnotherSms":true,"activationTime":"2025-01-01T12:00:00Z","activationEndTime":"2025-01-01T12:20:00Z"}`,
			"635468025", "15550001111", "0.25"},
		{"no cost", `{"activationId":1,"phoneNumber":"2348012345678"}`, "1", "2348012345678", "0"},
		{"unreadable cost kept as zero", `{"activationId":2,"phoneNumber":"2348012345678","activationCost":"n/a"}`, "2", "2348012345678", "0"},
		{"classic token from v2", "ACCESS_NUMBER:42:447700900123", "42", "447700900123", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(http.StatusOK, tc.body))
			ceiling := decimal.RequireFromString("1.5")
			n, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187, MaxPrice: &ceiling})
			require.NoError(t, err)
			require.Equal(t, tc.id, n.ActivationID)
			require.Equal(t, tc.phone, n.Phone)
			require.True(t, decimal.RequireFromString(tc.cost).Equal(n.Cost), "cost %s", n.Cost)

			q := b.rec.last().URL.Query()
			require.Equal(t, "getNumberV2", q.Get("action"))
			require.Equal(t, "wa", q.Get("service"))
			require.Equal(t, "187", q.Get("country"))
			require.Equal(t, "1.5", q.Get("maxPrice"))
		})
	}
}

func TestGetNumberFallsBackToV1(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		v2   http.HandlerFunc
	}{
		{"bad action", reply(http.StatusOK, "BAD_ACTION")},
		{"hero 404 envelope", reply(http.StatusNotFound, `{"title":"BAD_ACTION","details":"Unknown action"}`)},
		{"plain 404", reply(http.StatusNotFound, "<html>Not Found</html>")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("action") == "getNumberV2" {
					tc.v2(w, r)
					return
				}
				w.Header().Set("X-Price", "0.35")
				_, _ = w.Write([]byte("ACCESS_NUMBER:999999:13476711222"))
			})
			for range 2 {
				n, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
				require.NoError(t, err)
				require.Equal(t, upstream.Number{ActivationID: "999999", Phone: "13476711222",
					Cost: decimal.RequireFromString("0.35")}, n)
			}
			// The fallback is remembered: V2 is tried once only.
			require.Equal(t, []string{"getNumberV2", "getNumber", "getNumber"}, b.rec.actions())
		})
	}
}

func TestGetNumberV1WithoutPrice(t *testing.T) {
	t.Parallel()
	b := setup(t, byAction(map[string]string{"getNumber": "ACCESS_NUMBER:38496653:66846426435"}))
	n, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "tg", Country: 52})
	require.NoError(t, err)
	require.Equal(t, "38496653", n.ActivationID)
	require.True(t, n.Cost.IsZero())
}

func TestGetNumberRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"no numbers", 200, "NO_NUMBERS", upstream.ErrNoNumbers},
		{"no balance", 200, "NO_BALANCE", upstream.ErrNoBalance},
		{"daisy no money", 200, "NO_MONEY", upstream.ErrNoBalance},
		{"bad service", 200, "BAD_SERVICE", upstream.ErrBadService},
		{"smshub wrong service", 200, "WRONG_SERVICE", upstream.ErrBadService},
		{"tiger json bad service", 200, `{"title":"BAD_SERVICE","details":"This service/country combination is not available"}`, upstream.ErrBadService},
		{"hero unprocessable service", 200, "UNPROCESSABLE_ENTITY:service:INVALID", upstream.ErrBadService},
		{"hero unprocessable other", 200, "UNPROCESSABLE_ENTITY:country:INVALID", upstream.ErrBadRequest},
		{"banned", 200, "BANNED:2020-12-31 23-59-59", upstream.ErrBanned},
		{"channels limit", 200, "CHANNELS_LIMIT", upstream.ErrBanned},
		{"max price", 200, "WRONG_MAX_PRICE:0.5", upstream.ErrWrongMaxPrice},
		{"daisy max price", 200, "MAX_PRICE_EXCEEDED", upstream.ErrWrongMaxPrice},
		{"hero 402", 402, `{"title":"NO_BALANCE","details":"Not enough funds"}`, upstream.ErrNoBalance},
		{"order exists", 200, "ORDER_ALREADY_EXISTS", upstream.ErrBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(tc.status, tc.body))
			_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
			require.ErrorIs(t, err, tc.want)
			require.False(t, upstream.IsOutcomeUnknown(err), "a refusal is a known outcome")
			// A refusal to V2 is final: no fallback to V1.
			require.Equal(t, []string{"getNumberV2"}, b.rec.actions())
		})
	}
}

func TestWrongMaxPriceCarriesMinimum(t *testing.T) {
	t.Parallel()
	b := setup(t, reply(http.StatusOK, "WRONG_MAX_PRICE:0.025"))
	_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa"})
	var wmp *upstream.WrongMaxPriceError
	require.ErrorAs(t, err, &wmp)
	require.True(t, decimal.RequireFromString("0.025").Equal(wmp.Min))
	require.Contains(t, err.Error(), "0.025")
}

func TestGetNumberUnreadable(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"activationId":"12a","phoneNumber":"15550001111"}`,
		`{"activationId":635468024,"phoneNumber":"79584******"}`,
		`{"activationId":635468024,"phoneNumber":"7958`,
		`ACCESS_NUMBER:123`,
		`ACCESS_NUMBER::15550001111`,
		`STATUS_OK:1234`,
		``,
	} {
		b := setup(t, reply(http.StatusOK, body))
		_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa"})
		var pe *upstream.ProtocolError
		require.ErrorAs(t, err, &pe, body)
		require.Equal(t, "getNumberV2", pe.Action)
		require.True(t, upstream.IsOutcomeUnknown(err), "an unreadable 200 may have bought a number")
	}
	b := setup(t, reply(http.StatusOK, "NO_NUMBERS"))
	_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{})
	require.Error(t, err)
	require.Empty(t, b.rec.actions(), "no request without a service")
}
