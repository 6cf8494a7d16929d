package sim_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
	"accgen/core/upstream/sim"
)

func TestControlSMS(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	n := b.buy(t)
	var e map[string]string
	for _, tc := range []struct {
		body string
		want int
	}{
		{`not json`, http.StatusBadRequest},
		{`{"activation_id":"1","text":"x 1234","extra":1}`, http.StatusBadRequest},
		{`{"activation_id":"1","text":"1234"} {}`, http.StatusBadRequest},
		{`{"text":"1234"}`, http.StatusBadRequest},
		{`{"activation_id":"` + n.ActivationID + `","text":"no digits here"}`, http.StatusBadRequest},
		{`{"activation_id":"` + n.ActivationID + `","text":"call +15550001111 now"}`, http.StatusBadRequest},
		{`{"activation_id":"999","text":"1234"}`, http.StatusNotFound},
		{`{"activation_id":"abc","text":"1234"}`, http.StatusNotFound},
	} {
		e = nil
		require.Equal(t, tc.want, b.post(t, "/sim/sms", tc.body, &e), tc.body)
		require.NotEmpty(t, e["error"], tc.body)
	}

	require.Equal(t, http.StatusOK, b.post(t, "/sim/sms",
		`{"activation_id":"`+n.ActivationID+`","text":"G-55667 is your Google code","code":""}`, nil))
	require.Equal(t, "55667", b.status(t, n.ActivationID).Code, "first 4-8 digit run")
	require.Equal(t, http.StatusConflict, b.post(t, "/sim/sms",
		`{"activation_id":"`+n.ActivationID+`","code":"1111"}`, nil), "received, not waiting")
}

func TestControlStock(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	for _, body := range []string{
		`{"service":"wa","country":187}`,
		`{"service":"wa","count":1}`,
		`{"country":187,"count":1}`,
		`{"service":"wa","country":187,"count":-1}`,
		`{"service":"wa","country":187,"count":1,"cost":0}`,
		`{"service":"wa","country":187,"count":1,"cost":"abc"}`,
		`{"service":"wa","country":187,"count":1,"price":1}`,
	} {
		require.Equal(t, http.StatusBadRequest, b.post(t, "/sim/stock", body, nil), body)
	}
	require.Equal(t, http.StatusOK, b.post(t, "/sim/stock", `{"service":"xx","country":500,"count":3,"cost":0.5}`, nil))
	n, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "xx", Country: 500})
	require.NoError(t, err, "invented pairs can be sold")
	require.True(t, decimal.RequireFromString("0.5").Equal(n.Cost))
}

func TestControlFaultsValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	for _, body := range []string{
		`{"mode":"explode"}`, `{"mode":"timeout","rate":2}`, `{"mode":"none","latency_ms":-5}`,
		`{"mode":"none","latency":5}`, `[]`,
	} {
		var e map[string]string
		require.Equal(t, http.StatusBadRequest, b.post(t, "/sim/faults", body, &e), body)
		require.NotEmpty(t, e["error"])
	}
}

func TestControlActivationsAndStats(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	n := b.buy(t)
	require.NoError(t, b.sim.InjectSMS(n.ActivationID, "code: 2468", ""))

	var views []map[string]any
	b.getJSON(t, "/sim/activations", &views)
	require.Len(t, views, 1)
	v := views[0]
	require.Equal(t, n.ActivationID, v["id"])
	require.Equal(t, n.Phone, v["phone"])
	require.Equal(t, "wa", v["service"])
	require.InDelta(t, 187, v["country"], 0)
	require.Equal(t, "received", v["status"])
	sms := v["sms"].([]any)
	require.Len(t, sms, 1)
	require.Equal(t, "2468", sms[0].(map[string]any)["code"])
	require.Equal(t, "code: 2468", sms[0].(map[string]any)["text"])
	require.NotEmpty(t, sms[0].(map[string]any)["at"])

	b.sim.ResetCounts()
	for range 12 {
		b.status(t, n.ActivationID)
	}
	_, err := b.client.GetActiveActivations(t.Context())
	require.NoError(t, err)
	_, _ = b.get(t, map[string][]string{"action": {"getOperators"}})

	require.Equal(t, map[string]int64{"getStatus": 12, "getActiveActivations": 1, "other": 1}, b.sim.RequestCounts())
	var stats struct {
		Requests map[string]int64 `json:"requests"`
	}
	b.getJSON(t, "/sim/stats", &stats)
	require.Equal(t, int64(12), stats.Requests["getStatus"])
	b.sim.ResetCounts()
	require.Empty(t, b.sim.RequestCounts())
}

func TestAutoSMS(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{AutoSMSAfter: 30 * time.Millisecond, Now: time.Now})
	n := b.buy(t)
	var code string
	require.Eventually(t, func() bool {
		st := b.status(t, n.ActivationID)
		code = st.Code
		return st.State == upstream.StatusReceived
	}, 2*time.Second, 10*time.Millisecond)
	require.Regexp(t, `^[1-9]\d{5}$`, code)
	v2, err := b.client.GetStatusV2(t.Context(), n.ActivationID)
	require.NoError(t, err)
	require.Equal(t, "Your verification code is "+code, v2.Text)

	// After setStatus 3 another code follows.
	_, err = b.client.SetStatus(t.Context(), n.ActivationID, upstream.SetStatusRetry)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return b.status(t, n.ActivationID).State == upstream.StatusReceived
	}, 2*time.Second, 10*time.Millisecond)
	require.Len(t, b.sim.Activations()[0].SMS, 2)
}

func TestCloseStopsAutoSMS(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{AutoSMSAfter: 50 * time.Millisecond, Now: time.Now})
	n := b.buy(t)
	b.sim.Close()
	b.sim.Close() // idempotent
	time.Sleep(120 * time.Millisecond)
	require.Equal(t, upstream.StatusWaiting, b.status(t, n.ActivationID).State, "no delivery after Close")
}

func TestConcurrentBuys(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{EarlyCancel: new(time.Duration(0))})
	const workers, each = 16, 10
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				n, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "tg", Country: 16})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- n.ActivationID
				if _, err := b.client.GetStatus(t.Context(), n.ActivationID); err != nil {
					t.Error(err)
				}
				if _, err := b.client.SetStatus(t.Context(), n.ActivationID, upstream.SetStatusCancel); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		require.False(t, seen[id], "duplicate id %s", id)
		seen[id] = true
	}
	require.Len(t, seen, workers*each)
	balance, err := b.client.GetBalance(t.Context())
	require.NoError(t, err)
	require.True(t, decimal.New(1000, 0).Equal(balance), "every cancel refunded: %s", balance)
}
