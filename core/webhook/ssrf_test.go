package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core/webhook"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"127.0.0.1", "127.1.2.3", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "::", "100.64.0.1", "224.0.0.1", "255.255.255.255",
		"fc00::1", "fd00:ec2::254", "fe80::1", "ff02::1", "64:ff9b::7f00:1", "2002:7f00:1::1", "192.0.2.1",
	} {
		require.Error(t, webhook.CheckAddr(netip.MustParseAddr(s)), s)
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "102.89.32.10", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"} {
		require.NoError(t, webhook.CheckAddr(netip.MustParseAddr(s)), s)
	}
}

// loopbackServer counts connections, so a test can prove the guard refused
// before any TCP handshake.
func loopbackServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestGuardedDialerRefusesBeforeConnecting(t *testing.T) {
	t.Parallel()
	srv, conns := loopbackServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	d := webhook.Dialer(false)
	for _, host := range []string{"127.0.0.1", "localhost", "[::ffff:127.0.0.1]"} {
		for range 2 { // every connection is checked, so a rebinding name fails each time
			_, err := d.DialContext(context.Background(), "tcp", strings.Trim(host, "[]")+":"+port)
			if strings.HasPrefix(host, "[") {
				_, err = d.DialContext(context.Background(), "tcp", host+":"+port)
			}
			var blocked *webhook.ErrBlocked
			require.True(t, errors.As(err, &blocked), "%s: %v", host, err)
		}
	}
	client := webhook.NewClient(false, 2*time.Second)
	_, err := client.Post(srv.URL, "application/json", strings.NewReader(`{}`))
	require.ErrorContains(t, err, "webhook destination refused")
	require.Zero(t, conns.Load(), "no connection reached the loopback server")

	// The test-only switch lets deliveries reach it.
	resp, err := webhook.NewClient(true, 2*time.Second).Post(srv.URL, "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.EqualValues(t, 1, conns.Load())
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	resp, err := webhook.NewClient(true, 2*time.Second).Post(srv.URL, "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.False(t, followed.Load())
}

func TestSignMatchesTheStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	// The example in the Standard Webhooks specification.
	ts := time.Unix(1614265330, 0)
	sig, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, []byte(`{"test": 2432232314}`))
	require.NoError(t, err)
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)

	body := []byte(`{"event":"sms.received"}`)
	sig, err = webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", ts, body)
	require.NoError(t, err)
	require.NoError(t, webhook.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", "1614265330", "v1,bogus "+sig, body, ts, 5*time.Minute))
	require.Error(t, webhook.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_2", "1614265330", sig, body, ts, 5*time.Minute))
	require.Error(t, webhook.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", "1614265330", sig, body, ts.Add(10*time.Minute), 5*time.Minute))
}
