package upstream

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"accgen/core"
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

// fuzzTransport answers every request with the fuzzed status and body.
type fuzzTransport struct {
	status int
	ctype  string
	body   []byte
}

func (f fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: f.status, Header: http.Header{"Content-Type": {f.ctype}}, Request: r,
		Body: io.NopCloser(bytes.NewReader(f.body)), ContentLength: -1}, nil
}

// FuzzProviderAnswers sends one fuzzed answer through the whole read path
// of every engine call (transport, status and envelope classification,
// the parsers, the Provider's translation): nothing panics, the key never
// shows in an error, an error always has a kind the engine acts on, and an
// accepted answer holds only digits where the engine stores ids and phones.
func FuzzProviderAnswers(f *testing.F) {
	const key = "fuzz-KEY-0123456789"
	for _, seed := range []struct {
		status int
		ctype  string
		body   string
	}{
		{200, "text/plain", "ACCESS_NUMBER:635468024:79584123456"},
		{200, "application/json", `{"activationId":635468024,"phoneNumber":"79584123456","activationCost":12.50}`},
		{200, "text/plain", "STATUS_OK:1234"}, {200, "text/plain", "ACCESS_CANCEL"}, {200, "text/plain", "NO_NUMBERS"},
		{200, "application/json", `{"status":"success","activeActivations":[{"activationId":"1","phoneNumber":"1555","smsCode":["1"]}]}`},
		{200, "application/json", `{"187":{"wa":{"cost":"0.5","count":3}}}`},
		{200, "text/html", "<html>" + key + "</html>"}, {500, "text/html", "<h1>oops</h1>"}, {401, "application/json", `{"title":"BAD_KEY"}`},
		{200, "text/plain", "BANNED:" + key}, {429, "", ""}, {200, "text/plain", ""}, {302, "", "x"},
	} {
		f.Add(seed.status, seed.ctype, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		c, err := New(Config{BaseURL: "https://upstream.example/stubs/handler_api.php", APIKey: key, Timeout: time.Second,
			HTTPClient: &http.Client{Transport: fuzzTransport{status: status, ctype: ctype, body: body}}})
		require.NoError(t, err)
		p := NewProvider(c)
		ctx := t.Context()
		check := func(err error) {
			if err == nil {
				return
			}
			require.NotContains(t, err.Error(), key)
			var pe *core.ProviderError
			require.ErrorAs(t, err, &pe, "every provider error carries a kind: %v", err)
		}
		n, err := p.BuyNumber(ctx, "wa", 187)
		check(err)
		if err == nil {
			require.True(t, isDigits(n.ActivationID), "%q", n.ActivationID)
			require.True(t, isDigits(n.Phone), "%q", n.Phone)
		}
		acts, err := p.ActiveActivations(ctx)
		check(err)
		for _, a := range acts {
			require.True(t, isDigits(a.ID), "%q", a.ID)
		}
		a, err := p.Status(ctx, "635468024")
		check(err)
		if err == nil {
			require.NotEmpty(t, a.State)
		}
		check(p.Cancel(ctx, "635468024"))
		check(p.Finish(ctx, "635468024"))
		_, err = p.Balance(ctx)
		check(err)
		_, err = p.Catalog(ctx)
		check(err)
	})
}
