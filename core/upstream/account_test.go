package upstream_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
)

func TestGetBalance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, want string }{
		{"hero", "ACCESS_BALANCE:12.5085", "12.5085"},
		{"daisy", "ACCESS_BALANCE:50.30", "50.3"},
		{"spaced and newline", "ACCESS_BALANCE: 4.682\n", "4.682"},
		{"integer", "ACCESS_BALANCE:0", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(http.StatusOK, tc.body))
			got, err := b.client.GetBalance(t.Context())
			require.NoError(t, err)
			require.True(t, decimal.RequireFromString(tc.want).Equal(got), "got %s", got)

			req := b.rec.last()
			require.Equal(t, http.MethodGet, req.Method)
			require.Equal(t, "/stubs/handler_api.php", req.URL.Path)
			require.Equal(t, "getBalance", req.URL.Query().Get("action"))
			require.Equal(t, testKey, req.URL.Query().Get("api_key"))
		})
	}
}

func TestGetBalanceErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"bad key", 200, "BAD_KEY", upstream.ErrBadKey},
		{"no key", 200, "NO_KEY", upstream.ErrNoKey},
		{"sql", 200, "ERROR_SQL", upstream.ErrServer},
		{"hero bad key", 401, `{"title":"BAD_KEY","details":"Unauthorized"}`, upstream.ErrBadKey},
		{"tiger bad key", 401, "BAD_KEY", upstream.ErrBadKey},
		{"401 html", 401, "<html>denied</html>", upstream.ErrBadKey},
		{"hero no balance", 402, `{"title":"NO_BALANCE","details":"x"}`, upstream.ErrNoBalance},
		{"hero banned", 403, `{"title":"BANNED","details":"x","info":{}}`, upstream.ErrBanned},
		{"hero inactive", 403, `{"title":"ACCOUNT_INACTIVE"}`, upstream.ErrBanned},
		{"hero rate limit", 429, `{"title":"RATE_LIMIT","details":"slow down"}`, upstream.ErrRateLimited},
		{"429 plain", 429, "Too Many Requests", upstream.ErrRateLimited},
		{"hero bad action", 404, `{"title":"BAD_ACTION","details":"x"}`, upstream.ErrBadAction},
		{"hero 422 no key", 422, `{"title":"NO_KEY","details":"x"}`, upstream.ErrNoKey},
		{"hero 500 sql", 500, `{"title":"ERROR_SQL"}`, upstream.ErrServer},
		{"banned until", 200, "BANNED:2020-12-31 23-59-59", upstream.ErrBanned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(tc.status, tc.body))
			_, err := b.client.GetBalance(t.Context())
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), "getBalance")
			requireNoKey(t, err)
		})
	}
}

func TestGetActiveActivations(t *testing.T) {
	t.Parallel()
	const sa = `{"status":"success","activeActivations":[
	 {"activationId":"635468021","serviceCode":"vk","phoneNumber":"79001234561","activationCost":12.50,
	  "activationStatus":"4","smsCode":["1234","5678"],"smsText":"[Your CODE registration code]",
	  "activationTime":"2022-06-01 16:59:16","discount":"0.00","repeated":"0","countryCode":"2",
	  "countryName":"Kazakhstan","canGetAnotherSms":"1","currency":840},
	 {"activationId":635468022,"serviceCode":"wa","phoneNumber":"+1 555 000 1111","activationCost":"0.2500",
	  "activationStatus":2,"smsCode":"4321","smsText":null,"activationTime":"yesterday","countryCode":187},
	 {"activationId":"635468023","serviceCode":"tg","phoneNumber":"79********1","activationCost":1,
	  "activationStatus":"4","smsCode":null,"smsText":null,"activationTime":"2024-05-06T07:08:09Z","countryCode":"0"}]}`

	b := setup(t, reply(http.StatusOK, sa))
	got, err := b.client.GetActiveActivations(t.Context())
	require.NoError(t, err)
	require.Len(t, got, 3)

	require.Equal(t, "635468021", got[0].ID)
	require.Equal(t, "79001234561", got[0].Phone)
	require.Equal(t, "vk", got[0].Service)
	require.Equal(t, 2, got[0].Country)
	require.True(t, decimal.RequireFromString("12.5").Equal(got[0].Cost))
	require.Equal(t, "4", got[0].Status)
	require.Equal(t, []string{"1234", "5678"}, got[0].Codes)
	require.Equal(t, "[Your CODE registration code]", got[0].Text)
	require.Equal(t, time.Date(2022, 6, 1, 16, 59, 16, 0, time.UTC), got[0].Time)

	require.Equal(t, "635468022", got[1].ID, "numeric id")
	require.Equal(t, "15550001111", got[1].Phone, "formatting stripped")
	require.Equal(t, []string{"4321"}, got[1].Codes, "string smsCode")
	require.Equal(t, "2", got[1].Status)
	require.True(t, got[1].Time.IsZero(), "unparsable time is zero")
	require.True(t, decimal.RequireFromString("0.25").Equal(got[1].Cost))

	require.Empty(t, got[2].Codes, "null smsCode")
	require.Empty(t, got[2].Phone, "masked phone is dropped, row kept")
	require.Equal(t, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), got[2].Time)
}

func TestGetActiveActivationsShapes(t *testing.T) {
	t.Parallel()
	row := `{"activationId":"11","serviceCode":"wa","phoneNumber":"15550001111","activationCost":0.5,"smsCode":null,"countryCode":187}`
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"none envelope", `{"status":"error","error":"NO_ACTIVATIONS"}`, 0},
		{"none bare", "NO_ACTIVATIONS", 0},
		{"hero data empty", `{"status":"success","data":[]}`, 0},
		{"hero data", `{"status":"success","data":[` + row + `]}`, 1},
		{"php object list", `{"status":"success","activeActivations":{"1":` + row + `,"0":` + row + `}}`, 2},
		{"success without list", `{"status":"success"}`, 0},
		{"odd country and cost", `{"status":"success","data":[{"activationId":"5","phoneNumber":"15550001111","activationCost":"?","countryCode":"KZ"}]}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(http.StatusOK, tc.body))
			got, err := b.client.GetActiveActivations(t.Context())
			require.NoError(t, err)
			require.NotNil(t, got)
			require.Len(t, got, tc.want)
		})
	}
}

func TestGetActiveActivationsGarbage(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"status":"success","activeActivations":[{"activationId":"abc"}]}`,
		`{"status":"success","activeActivations":"nope"}`,
		`{"foo":1}`,
		`{"status":"success","activeActivations":[{"activationId":"1"`,
	} {
		b := setup(t, reply(http.StatusOK, body))
		_, err := b.client.GetActiveActivations(t.Context())
		var pe *upstream.ProtocolError
		require.ErrorAs(t, err, &pe, body)
		require.Equal(t, "getActiveActivations", pe.Action)
	}
}
