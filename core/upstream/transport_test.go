package upstream_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
)

// everyAction calls each client method once and returns its error.
var everyAction = map[string]func(context.Context, *upstream.Client) error{
	"getBalance": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.GetBalance(ctx)
		return err
	},
	"getPrices": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.GetPrices(ctx, "wa", nil)
		return err
	},
	"getCountries": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.GetCountries(ctx)
		return err
	},
	"getServicesList": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.GetServicesList(ctx)
		return err
	},
	"getNumberV2": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.GetNumber(ctx, upstream.NumberRequest{Service: "wa", Country: 187})
		return err
	},
	"getStatus": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.GetStatus(ctx, "1")
		return err
	},
	"getStatusV2": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.GetStatusV2(ctx, "1")
		return err
	},
	"setStatus": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.SetStatus(ctx, "1", 8)
		return err
	},
	"getActiveActivations": func(ctx context.Context, c *upstream.Client) error {
		_, err := c.GetActiveActivations(ctx)
		return err
	},
}

// newClient builds a client for url with a short timeout.
func newClient(t *testing.T, baseURL string, timeout time.Duration) *upstream.Client {
	t.Helper()
	c, err := upstream.New(upstream.Config{BaseURL: baseURL, APIKey: testKey, Timeout: timeout})
	require.NoError(t, err)
	return c
}

func TestGarbageIsProtocolError(t *testing.T) {
	t.Parallel()
	bodies := []string{
		"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center>cloudflare</center></body></html>",
		`{"activationId":`,
		"",
		"   \n",
		"SOMETHING_NEW_AND_UNKNOWN",
		"\x00\xff\xfe<\x01\x1b[31m binary",
		`[1,2,3]`,
		`"just a string"`,
		`123`,
	}
	for action, call := range everyAction {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			for _, body := range bodies {
				b := setup(t, reply(http.StatusOK, body))
				err := call(t.Context(), b.client)
				var pe *upstream.ProtocolError
				require.ErrorAs(t, err, &pe, "body %q", body)
				require.Equal(t, action, pe.Action)
				require.Equal(t, http.StatusOK, pe.StatusCode)
				require.LessOrEqual(t, len(pe.Snippet), 64)
				require.True(t, utf8.ValidString(pe.Snippet))
				require.False(t, strings.ContainsFunc(pe.Snippet, unicode.IsControl), "snippet %q", pe.Snippet)
				require.True(t, upstream.IsOutcomeUnknown(err), "an unreadable 200 might have been a success")
			}
		})
	}
}

func TestHTTPStatusWithoutWord(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 502, 503} {
		b := setup(t, reply(status, "<html><body>oops</body></html>"))
		_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa"})
		var te *upstream.TransportError
		require.ErrorAs(t, err, &te)
		require.Equal(t, status, te.StatusCode)
		require.ErrorIs(t, err, upstream.ErrServer)
		require.True(t, upstream.IsOutcomeUnknown(err), "a 5xx may hide a purchase")
		require.Contains(t, err.Error(), "oops")
	}
	for _, status := range []int{400, 403, 405} {
		b := setup(t, reply(status, "<html>no</html>"))
		_, err := b.client.GetStatus(t.Context(), "1")
		var pe *upstream.ProtocolError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, status, pe.StatusCode)
		require.False(t, upstream.IsOutcomeUnknown(err), "a 4xx page turned the request away")
	}
	// HeroSMS's 500 envelope is still the ERROR_SQL word.
	b := setup(t, reply(500, `{"title":"ERROR_SQL","details":"db"}`))
	_, err := b.client.GetBalance(t.Context())
	require.ErrorIs(t, err, upstream.ErrServer)
	require.True(t, upstream.IsOutcomeUnknown(err))
}

func TestStallPastTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	b := setup(t, func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	c := newClient(t, b.srv.URL+"/stubs/handler_api.php", 150*time.Millisecond)

	start := time.Now()
	_, err := c.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa"})
	require.Less(t, time.Since(start), 2*time.Second)

	var te *upstream.TransportError
	require.ErrorAs(t, err, &te)
	require.True(t, te.Timeout())
	require.True(t, te.RequestSent)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, upstream.IsOutcomeUnknown(err), "the provider may have sold the number")
	requireNoKey(t, err)
	require.Contains(t, err.Error(), "REDACTED")
}

func TestConnectionRefusedIsKnownNotSent(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	c := newClient(t, "http://"+addr+"/stubs/handler_api.php", time.Second)
	_, err = c.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa"})
	var te *upstream.TransportError
	require.ErrorAs(t, err, &te)
	require.False(t, te.RequestSent)
	require.False(t, upstream.IsOutcomeUnknown(err), "nothing reached the provider")
	requireNoKey(t, err)

	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	require.NotContains(t, ue.Error(), "s3cr3t", "the wrapped url.Error is redacted too")
}

func TestConnectionResetAfterRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // close with RST
		}
		_ = conn.Close()
	})
	_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa"})
	var te *upstream.TransportError
	require.ErrorAs(t, err, &te)
	require.True(t, te.RequestSent)
	require.True(t, upstream.IsOutcomeUnknown(err))
	requireNoKey(t, err)
}

func TestCallerCancel(t *testing.T) {
	t.Parallel()
	b := setup(t, reply(http.StatusOK, "ACCESS_BALANCE:1"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := b.client.GetBalance(ctx)
	var te *upstream.TransportError
	require.ErrorAs(t, err, &te)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, upstream.IsOutcomeUnknown(err))
	require.Empty(t, b.rec.actions())
}

func TestKeyNeverInErrors(t *testing.T) {
	t.Parallel()
	// Each fake echoes the request URL or the key itself, as careless
	// error pages do.
	echo := func(status int, format string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body := strings.NewReplacer("URL", r.URL.String(), "KEY", r.URL.Query().Get("api_key")).Replace(format)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	for _, h := range []http.HandlerFunc{
		echo(200, "URL"),
		echo(200, "KEY"),
		echo(200, "<html>KEY</html>"),
		echo(200, "0123456789012345678901234567890123456789012345678901234567KEY"),
		echo(200, "BANNED:KEY"),
		echo(200, "WHAT_IS_THIS:KEY"),
		echo(200, `{"status":"false","msg":"service KEY"}`),
		echo(200, `{"error":"KEY"}`),
		echo(404, `{"title":"NOT_FOUND","details":"KEY"}`),
		echo(409, `{"title":"KEY"}`),
		echo(500, "error for URL"),
		echo(502, "KEY"),
	} {
		b := setup(t, h)
		for _, call := range everyAction {
			requireNoKey(t, call(t.Context(), b.client))
		}
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []upstream.Config{
		{BaseURL: "ftp://example.com/stubs/handler_api.php", APIKey: "k"},
		{BaseURL: "http:///stubs/handler_api.php", APIKey: "k"},
		{BaseURL: "://nope", APIKey: "k"},
		{BaseURL: "https://example.com/stubs/handler_api.php?api_key=x", APIKey: "k"},
		{BaseURL: "https://user:pw@example.com/stubs/handler_api.php", APIKey: "k"},
		{BaseURL: "https://example.com/stubs/handler_api.php", APIKey: ""},
		{BaseURL: "https://example.com/stubs/handler_api.php", APIKey: "k", Timeout: -time.Second},
	} {
		_, err := upstream.New(cfg)
		require.Error(t, err, "%+v", cfg)
	}
	c, err := upstream.New(upstream.Config{BaseURL: "https://example.com/stubs/handler_api.php", APIKey: "k"})
	require.NoError(t, err)
	require.NotNil(t, c)
}

func TestBaseURLQueryIsKept(t *testing.T) {
	t.Parallel()
	b := setup(t, reply(http.StatusOK, "ACCESS_BALANCE:1"))
	c, err := upstream.New(upstream.Config{BaseURL: b.srv.URL + "/stubs/handler_api.php?lang=en", APIKey: testKey})
	require.NoError(t, err)
	_, err = c.GetBalance(t.Context())
	require.NoError(t, err)
	require.Equal(t, "en", b.rec.last().URL.Query().Get("lang"))
}

func TestOutcomeUnknownOnPlainErrors(t *testing.T) {
	t.Parallel()
	require.False(t, upstream.IsOutcomeUnknown(nil))
	require.False(t, upstream.IsOutcomeUnknown(errors.New("x")))
	require.False(t, upstream.IsOutcomeUnknown(upstream.ErrNoNumbers))
	require.True(t, upstream.IsOutcomeUnknown(upstream.ErrServer))
}
