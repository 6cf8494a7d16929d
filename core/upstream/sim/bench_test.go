package sim_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"accgen/core/upstream"
	"accgen/core/upstream/sim"
)

// BenchmarkPollStatus measures getStatus over loopback with many parallel
// clients, the load a poller without a batch call puts on a provider.
func BenchmarkPollStatus(b *testing.B) {
	s := sim.New(sim.Config{})
	b.Cleanup(s.Close)
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(srv.Close)
	transport := &http.Transport{MaxIdleConnsPerHost: 256}
	b.Cleanup(transport.CloseIdleConnections)
	c, err := upstream.New(upstream.Config{BaseURL: srv.URL + "/stubs/handler_api.php",
		APIKey: sim.DefaultAPIKey, HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		b.Fatal(err)
	}
	n, err := c.GetNumber(b.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.GetStatus(b.Context(), n.ActivationID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
