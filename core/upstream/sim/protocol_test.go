package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core/upstream/sim"
)

func TestAuthAndDispatch(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	for _, tc := range []struct {
		params url.Values
		want   string
	}{
		{url.Values{"action": {"getBalance"}, "api_key": {"wrong"}}, "BAD_KEY"},
		{url.Values{"action": {"getBalance"}, "api_key": {""}}, "NO_KEY"},
		{url.Values{"action": {"getBalance"}}, "ACCESS_BALANCE:1000.00"},
		{url.Values{"action": {"getFullSms"}}, "BAD_ACTION"},
		{url.Values{}, "BAD_ACTION"},
	} {
		status, body := b.get(t, tc.params)
		require.Equal(t, http.StatusOK, status, "SMS-Activate answers 200 for protocol errors")
		require.Equal(t, tc.want, body, "no trailing newline")
	}
	resp, err := b.srv.Client().Get(b.srv.URL + "/stubs/handler_api.php?action=getBalance")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestPostForm(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{APIKey: "k1"})
	// Key in the form body, action in the query: both are read.
	resp, err := b.srv.Client().PostForm(b.srv.URL+"/stubs/handler_api.php?action=getNumber",
		url.Values{"api_key": {"k1"}, "service": {"tg"}, "country": {"16"}})
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Regexp(t, `^ACCESS_NUMBER:[1-9]\d{8}:44\d{10}$`, string(body))
}

func TestNumbersLookReal(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	for country, pattern := range map[int]string{
		187: `^1\d{10}$`, 16: `^447\d{9}$`, 19: `^234[789]\d{9}$`, 0: `^79\d{9}$`, 22: `^91\d{10}$`,
		36: `^1\d{10}$`, 43: `^491\d{10}$`, 78: `^33[67]\d{8}$`, 73: `^55\d{11}$`, 4: `^639\d{9}$`,
	} {
		status, body := b.get(t, url.Values{"action": {"getNumber"}, "service": {"wa"}, "country": {strconv.Itoa(country)}})
		require.Equal(t, http.StatusOK, status)
		parts := strings.Split(body, ":")
		require.Len(t, parts, 3, body)
		require.Equal(t, "ACCESS_NUMBER", parts[0])
		require.Regexp(t, `^[1-9]\d{8}$`, parts[1], "9-digit activation id")
		require.Regexp(t, pattern, parts[2], "country %d", country)
	}
}

func TestGetNumberV2Shape(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	_, body := b.get(t, url.Values{"action": {"getNumberV2"}, "service": {"tg"}, "country": {"19"}})
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	require.IsType(t, float64(0), v["activationId"], "id is a JSON number")
	require.Regexp(t, `^234\d{10}$`, v["phoneNumber"])
	require.IsType(t, float64(0), v["activationCost"])
	require.InDelta(t, 840, v["currency"], 0)
	require.Equal(t, "19", v["countryCode"])
	require.Equal(t, "1", v["canGetAnotherSms"])
	require.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`, v["activationTime"])
	require.False(t, strings.HasSuffix(body, "\n"))
}

func TestGetNumberRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	for _, tc := range []struct {
		params url.Values
		want   string
	}{
		{url.Values{"service": {"zzz"}, "country": {"187"}}, "BAD_SERVICE"},
		{url.Values{"country": {"187"}}, "BAD_SERVICE"},
		{url.Values{"service": {"wa"}, "country": {"999"}}, "NO_NUMBERS"},
		{url.Values{"service": {"wa"}, "country": {"USA"}}, "ERROR_SQL"},
		{url.Values{"service": {"wa"}, "country": {"187"}, "maxPrice": {"0.01"}}, "WRONG_MAX_PRICE:"},
		{url.Values{"service": {"wa"}, "country": {"187"}, "max_price": {"0.01"}}, "WRONG_MAX_PRICE:"},
		{url.Values{"service": {"wa"}, "country": {"187"}, "maxPrice": {"cheap"}}, "ERROR_SQL"},
	} {
		tc.params.Set("action", "getNumber")
		_, body := b.get(t, tc.params)
		require.True(t, strings.HasPrefix(body, tc.want), "%v → %s", tc.params, body)
	}
}

func TestCatalogAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{Seed: 7})

	_, body := b.get(t, url.Values{"action": {"getCountries"}})
	var countries map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &countries))
	require.GreaterOrEqual(t, len(countries), 10)
	for _, id := range []string{"0", "4", "16", "19", "22", "36", "43", "73", "78", "187"} {
		c := countries[id]
		require.NotNil(t, c, id)
		require.Equal(t, id, strconv.Itoa(int(c["id"].(float64))), "id equals its key")
		for _, field := range []string{"eng", "rus", "chn", "visible", "retry"} {
			require.Contains(t, c, field)
		}
	}
	require.Equal(t, "USA", countries["187"]["eng"])
	require.Equal(t, "United Kingdom", countries["16"]["eng"])
	require.Equal(t, "Nigeria", countries["19"]["eng"])

	_, body = b.get(t, url.Values{"action": {"getServicesList"}})
	var services struct {
		Status   string              `json:"status"`
		Services []map[string]string `json:"services"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &services))
	require.Equal(t, "success", services.Status)
	require.GreaterOrEqual(t, len(services.Services), 20)
	codes := map[string]string{}
	for _, s := range services.Services {
		codes[s["code"]] = s["name"]
	}
	for _, code := range []string{"wa", "tg", "go", "fb", "ig", "tw", "ds", "vi", "wb", "lf", "mm", "mb",
		"am", "fu", "oi", "tn", "nf", "ub", "ts", "wx", "dr", "ot"} {
		require.Contains(t, codes, code)
	}
	require.Equal(t, "WhatsApp", codes["wa"])

	_, body = b.get(t, url.Values{"action": {"getPrices"}, "service": {"wa"}, "country": {"187"}})
	require.Regexp(t, regexp.MustCompile(`^\{"187":\{"wa":\{"cost":\d+(\.\d+)?,"count":\d+,"physicalCount":\d+\}\}\}$`), body)
	_, body = b.get(t, url.Values{"action": {"getPrices"}, "service": {"nope"}})
	require.Equal(t, "{}", body)
}

func TestActiveActivationsShape(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	_, body := b.get(t, url.Values{"action": {"getActiveActivations"}})
	require.JSONEq(t, `{"status":"error","error":"NO_ACTIVATIONS"}`, body)

	n := b.buy(t)
	_, body = b.get(t, url.Values{"action": {"getActiveActivations"}})
	var v struct {
		Status string           `json:"status"`
		List   []map[string]any `json:"activeActivations"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	require.Equal(t, "success", v.Status)
	require.Len(t, v.List, 1)
	require.Equal(t, n.ActivationID, v.List[0]["activationId"])
	require.Nil(t, v.List[0]["smsCode"])
	require.Equal(t, "4", v.List[0]["activationStatus"])

	require.NoError(t, b.sim.InjectSMS(n.ActivationID, "code 4321", ""))
	_, body = b.get(t, url.Values{"action": {"getActiveActivations"}})
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	require.Equal(t, []any{"4321"}, v.List[0]["smsCode"])
	require.Equal(t, "code 4321", v.List[0]["smsText"])
}

func TestStatusV2Shape(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{EarlyCancel: new(time.Duration(0))})
	n := b.buy(t)
	q := url.Values{"action": {"getStatusV2"}, "id": {n.ActivationID}}
	_, body := b.get(t, q)
	require.JSONEq(t, `{"verificationType":0,"sms":null,"call":null}`, body)
	require.NoError(t, b.sim.InjectSMS(n.ActivationID, "Your code is 123456", ""))
	_, body = b.get(t, q)
	require.JSONEq(t, `{"verificationType":0,"sms":{"dateTime":"2026-11-25 12:00:00","code":"123456","text":"Your code is 123456"},"call":null}`, body)
	_, body = b.get(t, url.Values{"action": {"setStatus"}, "id": {n.ActivationID}, "status": {"6"}})
	require.Equal(t, "ACCESS_ACTIVATION", body)
	_, body = b.get(t, q)
	require.Equal(t, "STATUS_CANCEL", body)
}

func TestSetStatusValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	n := b.buy(t)
	for _, tc := range []struct {
		id, status, want string
	}{
		{"abc", "8", "WRONG_ACTIVATION_ID"},
		{"", "8", "WRONG_ACTIVATION_ID"},
		{"123", "8", "NO_ACTIVATION"},
		{n.ActivationID, "2", "BAD_STATUS"},
		{n.ActivationID, "x", "BAD_STATUS"},
		{n.ActivationID, "3", "BAD_STATUS"}, // no code yet
		{n.ActivationID, "1", "ACCESS_READY"},
	} {
		_, body := b.get(t, url.Values{"action": {"setStatus"}, "id": {tc.id}, "status": {tc.status}})
		require.Equal(t, tc.want, body, "id %q status %q", tc.id, tc.status)
	}
	_, body := b.get(t, url.Values{"action": {"getStatus"}, "id": {"x1"}})
	require.Equal(t, "WRONG_ACTIVATION_ID", body)
	_, body = b.get(t, url.Values{"action": {"getStatus"}, "id": {"555"}})
	require.Equal(t, "NO_ACTIVATION", body)
}
