package sim_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
	"accgen/core/upstream/sim"
)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is a simulator served on loopback plus a protocol client for it.
type bundle struct {
	sim    *sim.Sim
	srv    *httptest.Server
	client *upstream.Client
	clock  *clock
}

// setup starts a simulator; cfg.Now is replaced by a fake clock unless set.
func setup(t *testing.T, cfg sim.Config) *bundle {
	t.Helper()
	clk := newClock()
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	s := sim.New(cfg)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close) // runs first: releases requests held by the timeout fault
	c, err := upstream.New(upstream.Config{
		BaseURL: srv.URL + "/stubs/handler_api.php",
		APIKey:  cmp.Or(cfg.APIKey, sim.DefaultAPIKey),
		Timeout: 2 * time.Second,
	})
	require.NoError(t, err)
	return &bundle{sim: s, srv: srv, client: c, clock: clk}
}

// get calls the protocol endpoint with params (api_key added unless
// present) and returns the status and body.
func (b *bundle) get(t *testing.T, params url.Values) (int, string) {
	t.Helper()
	if !params.Has("api_key") {
		params.Set("api_key", sim.DefaultAPIKey)
	}
	resp, err := b.srv.Client().Get(b.srv.URL + "/stubs/handler_api.php?" + params.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// post sends a control-API request and decodes the JSON answer into out
// (when not nil); it returns the status.
func (b *bundle) post(t *testing.T, path, body string, out any) int {
	t.Helper()
	resp, err := b.srv.Client().Post(b.srv.URL+path, "application/json", bytes.NewBufferString(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

// getJSON GETs a control-API path into out.
func (b *bundle) getJSON(t *testing.T, path string, out any) {
	t.Helper()
	resp, err := b.srv.Client().Get(b.srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
}

// buy buys a WhatsApp number in the USA through the client.
func (b *bundle) buy(t *testing.T) upstream.Number {
	t.Helper()
	n, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	require.NoError(t, err)
	return n
}

// status is GetStatus that must succeed.
func (b *bundle) status(t *testing.T, id string) upstream.Status {
	t.Helper()
	st, err := b.client.GetStatus(t.Context(), id)
	require.NoError(t, err)
	return st
}
