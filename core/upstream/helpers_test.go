package upstream_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
)

// testKey contains characters that URL-escape, so redaction of both
// spellings is exercised.
const testKey = "s3cr3t-K3Y/with+chars&more"

// recorder keeps the requests a fake provider saw.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) add(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req.Clone(req.Context()))
}

func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.reqs))
	for _, req := range r.reqs {
		out = append(out, req.URL.Query().Get("action"))
	}
	return out
}

func (r *recorder) last() *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

// bundle is a client wired to a scripted fake provider on loopback.
type bundle struct {
	client *upstream.Client
	srv    *httptest.Server
	rec    *recorder
	logs   *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// setup starts a fake provider running handler and a client for it.
func setup(t *testing.T, handler http.HandlerFunc) *bundle {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	c, err := upstream.New(upstream.Config{
		BaseURL: srv.URL + "/stubs/handler_api.php",
		APIKey:  testKey,
		Timeout: 2 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NotContains(t, logs.String(), "s3cr3t", "api key in logs") })
	return &bundle{client: c, srv: srv, rec: rec, logs: logs}
}

// reply answers every request with status and body.
func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if status != http.StatusOK {
			w.WriteHeader(status)
		}
		_, _ = w.Write([]byte(body))
	}
}

// byAction answers per action; unknown actions get BAD_ACTION.
func byAction(bodies map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[r.URL.Query().Get("action")]
		if !ok {
			body = "BAD_ACTION"
		}
		_, _ = w.Write([]byte(body))
	}
}

// requireNoKey fails if err's message holds the key in any spelling.
func requireNoKey(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	require.NotContains(t, msg, "s3cr3t")
	require.NotContains(t, msg, "K3Y")
}
