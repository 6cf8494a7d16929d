package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what one load run measured.
type loadResult struct {
	ok, failed int64
	elapsed    time.Duration
	latencies  []time.Duration // of successful requests
}

func (r loadResult) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r loadResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * p)
	return r.latencies[i]
}

// request builds one request for worker w (a fresh one each time).
type request func(w int) (*http.Request, error)

// check says whether a response counts as a success.
type check func(status int, body []byte) bool

// runLoad keeps conns workers busy sending requests for d, each on its own
// keep-alive connection.
func runLoad(ctx context.Context, conns int, d time.Duration, mk request, ok check) loadResult {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		good, bad atomic.Int64
		mu        sync.Mutex
		lats      []time.Duration
		wg        sync.WaitGroup
	)
	start := time.Now()
	for w := range conns {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				req, err := mk(w)
				if err != nil {
					bad.Add(1)
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(req.WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil {
						bad.Add(1)
					}
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if ok(resp.StatusCode, body) {
					good.Add(1)
					local = append(local, time.Since(t0))
				} else {
					bad.Add(1)
				}
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lats)
	return loadResult{ok: good.Load(), failed: bad.Load(), elapsed: time.Since(start), latencies: lats}
}
