package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core/upstream/sim"
	"accgen/storage/postgres/pgtest"
)

// buildBinary compiles accgen once per test binary.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "accgen-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "accgen")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is `accgen serve` running as a child process.
type process struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
}

func startServe(t *testing.T, env []string) *process {
	t.Helper()
	bin, err := buildBinary()
	require.NoError(t, err)
	port := freePort(t)
	cmd := exec.Command(bin, "serve")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// os.Environ is a fresh slice: appending to env itself could write into
	// a caller's spare capacity, shared by instances started at once.
	cmd.Env = append(append(os.Environ(), env...), "ACCGEN_HTTP_ADDR=127.0.0.1:"+port)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, base: "http://127.0.0.1:" + port, stderr: &stderr}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("serve stderr:\n%s", stderr.String())
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 30*time.Second, 50*time.Millisecond, "serve did not become ready")
	return p
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// SIGKILL the engine while a batch of orders is charged but waiting for
// upstream's answer; after a restart the sweeper leaves no order in an
// intermediate state, refunds every one of them, cancels the numbers upstream
// sold in the meantime, and the ledger verifies.
func TestCrashBetweenChargeAndUpstreamAnswer(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	early := time.Duration(0)
	s := sim.New(sim.Config{EarlyCancel: &early, Seed: 3})
	s.SetBalance(decimal.NewFromInt(100000))
	upstreamSrv := httptest.NewServer(s.Handler())
	defer upstreamSrv.Close()
	defer s.Close()

	getenv := env(dbURL)
	uid, err := accgen(t, getenv, "admin", "user", "create", "--telegram-id", "77")
	require.NoError(t, err)
	key, err := accgen(t, getenv, "admin", "apikey", "create", "--user", uid)
	require.NoError(t, err)
	_, err = accgen(t, getenv, "admin", "topup", "--user", uid, "--amount", "500000", "--reference", "crash-test")
	require.NoError(t, err)

	childEnv := []string{
		"ACCGEN_DATABASE_URL=" + dbURL,
		"ACCGEN_REDIS_URL=" + getenv("ACCGEN_REDIS_URL"),
		"ACCGEN_REDIS_PREFIX=" + getenv("ACCGEN_REDIS_PREFIX"),
		"ACCGEN_UPSTREAM_URL=" + upstreamSrv.URL + "/stubs/handler_api.php",
		"ACCGEN_UPSTREAM_API_KEY=" + sim.DefaultAPIKey,
		"ACCGEN_SMS_PLACING_TIMEOUT=1s",
		"ACCGEN_SMS_ORPHAN_GRACE=1s",
		"ACCGEN_LOG_LEVEL=warn",
		"ACCGEN_ENCRYPTION_KEY=" + getenv("ACCGEN_ENCRYPTION_KEY"),
	}
	first := startServe(t, childEnv)

	// Upstream now takes 3 s to answer: orders are charged, then wait.
	require.NoError(t, s.SetFaults(sim.Faults{Mode: sim.FaultNone, Latency: 3 * time.Second}))
	const n = 12
	for range n {
		go func() {
			req, _ := http.NewRequest("POST", first.base+"/api/v1/sms/orders", strings.NewReader(`{"service_id":"wa","country_id":187}`))
			req.Header.Set("X-API-Key", key)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	countStatus := func(status string) int {
		var c int
		require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM sms_orders WHERE status = $1`, status).Scan(&c))
		return c
	}
	require.Eventually(t, func() bool { return countStatus("placing") == n }, 10*time.Second, 20*time.Millisecond)
	var balance decimal.Decimal
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT balance FROM ledger_accounts WHERE user_id = $1`, uid).Scan(&balance))
	require.True(t, balance.LessThan(decimal.NewFromInt(500000)), "the orders were charged before the crash")

	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()
	time.Sleep(3500 * time.Millisecond) // upstream finishes the purchases nobody will record
	require.NoError(t, s.SetFaults(sim.Faults{Mode: sim.FaultNone}))

	startServe(t, childEnv)
	require.Eventually(t, func() bool { return countStatus("placing") == 0 }, 30*time.Second, 100*time.Millisecond,
		"the sweeper resolves interrupted placements")
	require.Equal(t, n, countStatus("failed"))
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT balance FROM ledger_accounts WHERE user_id = $1`, uid).Scan(&balance))
	require.True(t, balance.Equal(decimal.NewFromInt(500000)), "every interrupted order was refunded: %s", balance)

	live := func() int {
		c := 0
		for _, a := range s.Activations() {
			if a.Status != "cancelled" && a.Status != "finished" {
				c++
			}
		}
		return c
	}
	require.Eventually(t, func() bool { return live() == 0 }, 30*time.Second, 100*time.Millisecond,
		"numbers bought for the lost orders are cancelled upstream")

	report, err := accgen(t, getenv, "ledger", "verify")
	require.NoError(t, err, report)
	t.Logf("after the crash: %d orders failed and refunded; upstream holds %d activations, none live", n, len(s.Activations()))
}
