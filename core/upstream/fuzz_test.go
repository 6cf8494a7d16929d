package upstream

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// The fuzz targets assert that no answer, however broken, panics a parser
// and that whatever a parser accepts satisfies the documented invariants.
// Run one with: go test -fuzz=FuzzParsePlain ./core/upstream

func FuzzParsePlain(f *testing.F) {
	for _, seed := range []string{
		"ACCESS_BALANCE:12.5085", "ACCESS_BALANCE:", "ACCESS_BALANCE:1e99999999",
		"ACCESS_NUMBER:635468024:79584123456", "ACCESS_NUMBER:1:+1 (555) 000-1111", "ACCESS_NUMBER::", "ACCESS_NUMBER:1",
		"STATUS_WAIT_CODE", "STATUS_WAIT_RETRY:1234", "STATUS_WAIT_RESEND", "STATUS_OK:1234", "STATUS_OK:", "STATUS_CANCEL",
		"ACCESS_READY", "ACCESS_RETRY_GET", "ACCESS_ACTIVATION", "ACCESS_CANCEL",
		"NO_NUMBERS", "WRONG_MAX_PRICE:0.5", "WRONG_MAX_PRICE:x", "BANNED:2020-12-31 23-59-59",
		"UNPROCESSABLE_ENTITY:service:INVALID", "MAX_PRICE_EXCEEDED", ":", "", "\xff\xfe", "<html>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		_, _ = parseBalance(body)
		if n, err := parseAccessNumber(body); err == nil {
			require.True(t, isDigits(n.ActivationID))
			require.True(t, isDigits(n.Phone))
		}
		if s, err := parseStatus(body); err == nil {
			require.NotEmpty(t, s.State)
		}
		if tok, err := parseSetStatus(body); err == nil {
			require.True(t, strings.HasPrefix(tok, "ACCESS_"))
		}
		if head, rest, ok := splitToken(body); ok {
			_ = errorFromToken(head, rest)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, seed := range []string{
		`{"activationId":635468024,"phoneNumber":"79584123456","activationCost":12.50}`,
		`{"activationId":"1","phoneNumber":"+15550001111","activationCost":"0.25"}`,
		`{"verificationType":0,"sms":{"dateTime":"x","code":"1","text":"t"},"call":null}`,
		`{"verificationType":"sms","data":[{"code":"1"}]}`,
		`{"187":{"wa":{"cost":"0.5","count":"3","physicalCount":4}}}`, `{"187":[]}`, `[]`, `{}`,
		`{"0":{"id":0,"eng":"Russia"}}`, `[{"id":"16","eng":"UK"}]`,
		`{"status":"success","services":[{"code":"wa","name":"WhatsApp "}]}`,
		`{"status":"success","activeActivations":[{"activationId":"1","phoneNumber":"1555","smsCode":["1"],"countryCode":"2"}]}`,
		`{"status":"success","data":{"0":{"activationId":2}}}`, `{"status":"error","error":"NO_ACTIVATIONS"}`,
		`{"activationCost":1e99999}`, `{"countryCode":1.5}`, `{"a":`, `null`, `"x"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if n, err := parseNumberV2(body); err == nil {
			require.True(t, isDigits(n.ActivationID))
			require.True(t, isDigits(n.Phone))
		}
		if s, err := parseStatusV2(body); err == nil {
			require.NotEmpty(t, s.State)
		}
		_, _ = parsePrices(body)
		_, _ = parseCountries(body)
		_, _ = parseServices(body)
		if list, err := parseActivations(body); err == nil {
			require.NotNil(t, list)
			for _, a := range list {
				require.True(t, isDigits(a.ID))
			}
		}
	})
}

func FuzzCheckAnswer(f *testing.F) {
	const key = "fuzz-KEY-0123456789"
	for _, seed := range []struct {
		status int
		body   string
	}{
		{200, "NO_NUMBERS"}, {200, "BANNED:" + key}, {401, `{"title":"BAD_KEY","details":"` + key + `"}`},
		{404, `{"title":"NOT_FOUND"}`}, {409, `{"title":"EARLY_CANCEL_DENIED","info":{}}`}, {429, ""},
		{500, "<html>" + key + "</html>"}, {200, `{"status":"false","msg":"service ` + key + `"}`},
		{200, `{"error":"` + key + `"}`}, {200, `{"status":"error","error":"NO_ACTIVATIONS"}`}, {302, "x"},
	} {
		f.Add(seed.status, []byte(seed.body))
	}
	c := &Client{red: newRedactor(key)}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		a := answer{action: "getNumberV2", status: status, header: http.Header{}, body: body}
		for _, err := range []error{c.checkAnswer(a), c.protocolError(a, errors.New(string(body)))} {
			if err == nil {
				continue
			}
			require.NotContains(t, err.Error(), key)
			var pe *ProtocolError
			if errors.As(err, &pe) {
				require.LessOrEqual(t, len(pe.Snippet), snippetLen)
				require.True(t, utf8.ValidString(pe.Snippet))
			}
		}
	})
}
