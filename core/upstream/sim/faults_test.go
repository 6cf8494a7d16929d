package sim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
	"accgen/core/upstream/sim"
)

func TestFaultTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	c, err := upstream.New(upstream.Config{BaseURL: b.srv.URL + "/stubs/handler_api.php",
		APIKey: sim.DefaultAPIKey, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, b.post(t, "/sim/faults", `{"mode":"timeout","rate":1.0}`, nil))

	start := time.Now()
	_, err = c.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	require.Less(t, time.Since(start), 2*time.Second)
	var te *upstream.TransportError
	require.ErrorAs(t, err, &te)
	require.True(t, te.Timeout())
	require.True(t, upstream.IsOutcomeUnknown(err), "the engine must check for an orphan activation")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Empty(t, b.sim.Activations(), "the held request sold nothing")

	require.NoError(t, b.sim.SetFaults(sim.Faults{Mode: sim.FaultNone}))
	_, err = c.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	require.NoError(t, err)
}

func TestFaultHTTP500(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	require.NoError(t, b.sim.SetFaults(sim.Faults{Mode: sim.FaultHTTP500, Rate: 1}))
	_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	require.ErrorIs(t, err, upstream.ErrServer)
	var te *upstream.TransportError
	require.ErrorAs(t, err, &te)
	require.Equal(t, http.StatusInternalServerError, te.StatusCode)
	require.True(t, upstream.IsOutcomeUnknown(err))

	_, err = b.client.GetStatus(t.Context(), "123456789")
	require.ErrorIs(t, err, upstream.ErrServer, "every protocol action is affected")
}

func TestFaultGarbage(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	require.NoError(t, b.sim.SetFaults(sim.Faults{Mode: sim.FaultGarbage}))
	_, err := b.client.GetBalance(t.Context())
	var pe *upstream.ProtocolError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "getBalance", pe.Action)
	require.Contains(t, pe.Snippet, "<!DOCTYPE html>")
	_, err = b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	require.ErrorAs(t, err, &pe)
	require.True(t, upstream.IsOutcomeUnknown(err), "an unreadable 200 may hide a sale")
}

func TestFaultNoNumbers(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	require.Equal(t, http.StatusOK, b.post(t, "/sim/faults", `{"mode":"no_numbers"}`, nil))
	_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	require.ErrorIs(t, err, upstream.ErrNoNumbers)
	require.False(t, upstream.IsOutcomeUnknown(err))
	_, err = b.client.GetBalance(t.Context())
	require.NoError(t, err, "only getNumber is affected")
}

// A lost answer: the number is sold, the client hears nothing and must
// find it among the active activations.
func TestFaultLostAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	c, err := upstream.New(upstream.Config{BaseURL: b.srv.URL + "/stubs/handler_api.php",
		APIKey: sim.DefaultAPIKey, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, b.post(t, "/sim/faults", `{"mode":"lost_answer"}`, nil))
	_, err = c.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	require.True(t, upstream.IsOutcomeUnknown(err), "%v", err)
	views := b.sim.Activations()
	require.Len(t, views, 1, "the number was sold all the same")
	require.Equal(t, "waiting", views[0].Status)

	require.NoError(t, b.sim.SetFaults(sim.Faults{Mode: sim.FaultNone}))
	active, err := c.GetActiveActivations(t.Context())
	require.NoError(t, err)
	require.Len(t, active, 1)
	require.Equal(t, views[0].ID, active[0].ID)
}

func TestFaultLatencyAndRate(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{Seed: 1})
	require.Equal(t, http.StatusOK, b.post(t, "/sim/faults", `{"mode":"none","latency_ms":80}`, nil))
	start := time.Now()
	_, err := b.client.GetBalance(t.Context())
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond)

	require.Equal(t, http.StatusOK, b.post(t, "/sim/faults", `{"mode":"no_numbers","rate":0.5}`, nil))
	refused := 0
	for range 200 {
		if _, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "ot", Country: 22}); err != nil {
			require.ErrorIs(t, err, upstream.ErrNoNumbers)
			refused++
		}
	}
	require.InDelta(t, 100, refused, 40, "about half refused")

	require.Equal(t, http.StatusOK, b.post(t, "/sim/faults", `{"mode":"http500","rate":0}`, nil))
	_, err = b.client.GetBalance(t.Context())
	require.NoError(t, err, "rate 0 over HTTP switches the fault off")
}

func TestFaultsDoNotTouchControlAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	require.NoError(t, b.sim.SetFaults(sim.Faults{Mode: sim.FaultTimeout}))
	var views []sim.ActivationView
	b.getJSON(t, "/sim/activations", &views)
	require.Empty(t, views)
	require.Equal(t, http.StatusOK, b.post(t, "/sim/faults", `{"mode":"none"}`, nil))
}

func TestSetFaultsValidates(t *testing.T) {
	t.Parallel()
	s := sim.New(sim.Config{})
	t.Cleanup(s.Close)
	require.Error(t, s.SetFaults(sim.Faults{Mode: "explode"}))
	require.Error(t, s.SetFaults(sim.Faults{Mode: sim.FaultGarbage, Rate: 1.5}))
	require.Error(t, s.SetFaults(sim.Faults{Mode: sim.FaultGarbage, Rate: -0.1}))
	require.Error(t, s.SetFaults(sim.Faults{Latency: -time.Second}))
	require.NoError(t, s.SetFaults(sim.Faults{}))
}
