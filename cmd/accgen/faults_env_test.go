package main

// The fault suite's world: a PostgreSQL and a Redis it owns (started by
// scripts/services.sh on free ports in a temp dir), `accgen serve` as a
// child process it can SIGKILL and restart, and a webhook receiver that
// checks signatures and remembers what it got.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"accgen/core/webhook"
)

// faultServices are the throwaway PostgreSQL and Redis of one run.
type faultServices struct {
	dir       string // ACCGEN_SERVICES_DIR
	pgPort    string
	redisPort string
	script    string
}

// startFaultServices starts PostgreSQL and Redis on free ports under a
// fresh temp dir. The dir is world-readable so that PostgreSQL, which
// refuses to run as root, can run as an unprivileged user inside it.
func startFaultServices(pgPort, redisPort string) (*faultServices, error) {
	dir, err := os.MkdirTemp("", "accgen-faults-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	script, err := filepath.Abs("../../scripts/services.sh")
	if err != nil {
		return nil, err
	}
	s := &faultServices{dir: dir, pgPort: pgPort, redisPort: redisPort, script: script}
	if out, err := s.run("start"); err != nil {
		return s, fmt.Errorf("services.sh start: %v\n%s", err, out)
	}
	return s, nil
}

// run calls scripts/services.sh with this run's ports and dir (and never
// the test servers' URLs, which would make it skip starting ours).
func (s *faultServices) run(cmd string, env ...string) (string, error) {
	c := exec.Command(s.script, cmd)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACCGEN_") && !strings.HasPrefix(kv, "PG_") && !strings.HasPrefix(kv, "REDIS_") {
			c.Env = append(c.Env, kv)
		}
	}
	c.Env = append(c.Env, "PG_PORT="+s.pgPort, "REDIS_PORT="+s.redisPort, "ACCGEN_SERVICES_DIR="+s.dir)
	c.Env = append(c.Env, env...)
	out, err := c.CombinedOutput()
	return string(out), err
}

func (s *faultServices) dbURL() string {
	return "postgres://postgres@127.0.0.1:" + s.pgPort + "/accgen?sslmode=disable"
}

func (s *faultServices) redisURL() string { return "redis://127.0.0.1:" + s.redisPort + "/0" }

// restartPostgres is `pg_ctl restart -m fast` (down for downSeconds first
// when positive).
func (s *faultServices) restartPostgres(downSeconds int) error {
	out, err := s.run("restart-pg", fmt.Sprintf("PG_DOWN_SECONDS=%d", downSeconds))
	if err != nil {
		return fmt.Errorf("restart-pg: %v\n%s", err, out)
	}
	return nil
}

// killRedis SIGKILLs the Redis this run started; startRedis starts it again.
func (s *faultServices) killRedis() error {
	out, err := s.run("kill-redis")
	if err != nil {
		return fmt.Errorf("kill-redis: %v\n%s", err, out)
	}
	return nil
}

func (s *faultServices) startRedis() error {
	out, err := s.run("start")
	if err != nil {
		return fmt.Errorf("services.sh start: %v\n%s", err, out)
	}
	return nil
}

// stop stops both servers and removes their data.
func (s *faultServices) stop() {
	_, _ = s.run("stop")
	time.Sleep(200 * time.Millisecond)
	_ = os.RemoveAll(s.dir)
}

// serveChild is `accgen serve` as a child process on a fixed port, so
// clients keep their URL across restarts. Every incarnation's stderr is
// appended to one log.
type serveChild struct {
	bin  string
	env  []string
	base string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	log      lockedBuffer
	starts   int
	lastPID  int
	exitErrs []string // unexpected exits
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers and readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newServeChild(bin, port string, env []string) *serveChild {
	return &serveChild{bin: bin, env: append(env, "ACCGEN_HTTP_ADDR=127.0.0.1:"+port), base: "http://127.0.0.1:" + port}
}

// start runs a new incarnation and waits until it is ready; it returns how
// long that took.
func (c *serveChild) start(ready time.Duration) (time.Duration, error) {
	began := time.Now()
	cmd := exec.Command(c.bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACCGEN_") { // only what the suite sets
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, c.env...)
	fmt.Fprintf(&c.log, "=== incarnation %d\n", c.starts+1)
	cmd.Stderr = &c.log
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan struct{})
	c.mu.Lock()
	c.cmd, c.exited = cmd, exited
	c.starts++
	c.lastPID = cmd.Process.Pid
	c.mu.Unlock()
	go func() {
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			c.mu.Lock()
			c.exitErrs = append(c.exitErrs, fmt.Sprintf("pid %d exited on its own: %v", cmd.Process.Pid, err))
			c.mu.Unlock()
		}
		close(exited)
	}()
	deadline := time.Now().Add(ready)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return 0, fmt.Errorf("serve exited while starting")
		default:
		}
		if c.ready() {
			return time.Since(began), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("serve was not ready after %s", ready)
}

// ready reports whether /readyz answers 200 (PostgreSQL and Redis reachable).
func (c *serveChild) ready() bool {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(c.base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// alive reports whether /healthz answers at all.
func (c *serveChild) alive() bool {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(c.base + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// kill SIGKILLs the running incarnation and waits for it to be gone.
func (c *serveChild) kill() error {
	c.mu.Lock()
	cmd, exited := c.cmd, c.exited
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-exited
	return nil
}

func (c *serveChild) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastPID
}

func (c *serveChild) unexpectedExits() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.exitErrs...)
}

// hookReceiver is the resellers' webhook endpoint: /hook/<key index>. It
// verifies each delivery's signature with that key's secret and records
// every (order, SMS text) it was told about, and how often each webhook-id
// came (at-least-once delivery repeats some after a crash).
type hookReceiver struct {
	mu        sync.Mutex
	secrets   map[string]string // key index → whsec_…
	got       map[string]bool   // order id + "\x00" + full SMS text
	byID      map[string]int    // webhook-id → deliveries
	badSigned []string
}

func newHookReceiver() *hookReceiver {
	return &hookReceiver{secrets: map[string]string{}, got: map[string]bool{}, byID: map[string]int{}}
}

func (h *hookReceiver) setSecret(key, secret string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secrets[key] = secret
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/hook/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	id := r.Header.Get("webhook-id")
	if err := webhook.Verify(h.secrets[key], id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"),
		body, time.Now(), 5*time.Minute); err != nil {
		h.badSigned = append(h.badSigned, fmt.Sprintf("%s to key %s: %v", id, key, err))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p struct {
		Event   string `json:"event"`
		OrderID string `json:"order_id"`
		Text    string `json:"full_sms_text"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		h.badSigned = append(h.badSigned, fmt.Sprintf("%s: unreadable payload %q", id, body))
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	h.byID[id]++
	if p.Event == "sms.received" {
		h.got[p.OrderID+"\x00"+p.Text] = true
	}
	w.WriteHeader(http.StatusNoContent)
}

// has reports whether the SMS text for order was delivered.
func (h *hookReceiver) has(orderID, text string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[orderID+"\x00"+text]
}

// stats returns distinct webhook-ids, repeated deliveries and bad ones.
func (h *hookReceiver) stats() (ids, repeats int, bad []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.byID {
		repeats += n - 1
	}
	return len(h.byID), repeats, append([]string(nil), h.badSigned...)
}

// waitFor polls cond every 100 ms until it holds or d passes.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
