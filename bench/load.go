package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
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
	cpu        string          // where the machine's cores went meanwhile
	waits      string          // what accgen's database sessions did meanwhile
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
	start, cpu0 := time.Now(), sampleCPU()
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
	elapsed, cpu := time.Since(start), cpuSplit(cpu0, sampleCPU())
	slices.Sort(lats)
	return loadResult{ok: good.Load(), failed: bad.Load(), elapsed: elapsed, latencies: lats, cpu: cpu}
}

// measure is runLoad against accgen serve; with -profile it also saves
// serve's CPU profile of the run as <name>.pprof.
func (e *env) measure(ctx context.Context, name string, mk request, ok check) (loadResult, error) {
	waits, err := startWaitSampler(ctx, e.dbURL)
	if err != nil {
		return loadResult{}, err
	}
	if e.pprof == "" {
		got := runLoad(ctx, e.o.conns, e.o.duration, mk, ok)
		got.waits = waits.report(got.ok)
		return got, nil
	}
	if err := os.MkdirAll(e.o.profile, 0o755); err != nil {
		return loadResult{}, err
	}
	secs := max(1, int(e.o.duration.Seconds())-1)
	profile := make(chan error, 1)
	go func() {
		profile <- fetchTo(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", e.pprof, secs),
			filepath.Join(e.o.profile, name+".pprof"))
	}()
	got := runLoad(ctx, e.o.conns, e.o.duration, mk, ok)
	got.waits = waits.report(got.ok)
	return got, <-profile
}

func fetchTo(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
