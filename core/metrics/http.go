package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Middleware counts and times requests by route; routeOf names a request's
// route with a bounded set of values (a mux pattern, a stub action).
func (m *Metrics) Middleware(routeOf func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := routeOf(r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		m.httpRequests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		m.httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// upstreamTransport instruments calls to the upstream provider by action.
type upstreamTransport struct {
	m    *Metrics
	base http.RoundTripper
}

// UpstreamTransport wraps base (nil: http.DefaultTransport) to count and
// time upstream calls by their action parameter.
func (m *Metrics) UpstreamTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &upstreamTransport{m: m, base: base}
}

func (t *upstreamTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	action := req.URL.Query().Get("action")
	if action == "" || len(action) > 40 {
		action = "other"
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	t.m.upstreamTime.WithLabelValues(action).Observe(time.Since(start).Seconds())
	result := "ok"
	switch {
	case err != nil:
		result = "error"
	case resp.StatusCode >= 300:
		result = "http_" + strconv.Itoa(resp.StatusCode)
	}
	t.m.upstreamCalls.WithLabelValues(action, result).Inc()
	return resp, err
}
