package stub_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/coretest"
)

// npmClientDir holds the committed package.json and package-lock.json that
// pin hero-sms, and flow.js; node_modules is installed on demand and
// git-ignored.
const npmClientDir = "testdata/npmclient"

// requireTool finds a program the test cannot do without. A missing one
// fails the test: CI must not pass by skipping the only check that a real
// third-party client works against us.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by this test (Node.js 20+ with npm, to run the hero-sms client): %v", name, err)
	}
	return path
}

// installNPMClient runs npm ci once per clean checkout.
func installNPMClient(t *testing.T, dir string) {
	t.Helper()
	npm := requireTool(t, "npm")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "hero-sms", "package.json")); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci in %s:\n%s", dir, out)
}

// event is one line flow.js prints.
type event struct {
	Event   string  `json:"event"`
	ID      string  `json:"id"`
	Phone   string  `json:"phone"`
	Code    string  `json:"code"`
	Balance float64 `json:"balance"`
}

// TestHeroSMSClientEndToEnd runs hero-sms (npm) against the endpoint over
// real HTTP, the engine over PostgreSQL and the simulator as upstream:
// reference data, buy → code → finish, buy → cancel → refund, and its typed
// errors. The code reaches the order through the engine's poller, called
// here while the client polls getStatus.
func TestHeroSMSClientEndToEnd(t *testing.T) {
	t.Parallel()
	node := requireTool(t, "node")
	dir, err := filepath.Abs(npmClientDir)
	require.NoError(t, err)
	installNPMClient(t, dir)

	env := coretest.New(t, coretest.Options{})
	u, p, key := env.Reseller(t, 1, "50000")
	scope := core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}
	srv := newLoopbackServer(t, newStub(env, allowAll{}))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "flow.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"ACCGEN_STUB_URL="+srv.URL+"/stubs/handler_api.php", "ACCGEN_API_KEY="+key,
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost") // axios honours proxy variables
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	go func() { // the engine's poller, as `accgen serve` runs it
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-pollCtx.Done():
				return
			case <-tick.C:
				_, _ = env.SMS.Poll(pollCtx)
			}
		}
	}()

	const code = "482913"
	seen := map[string]event{}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		var ev event
		require.NoError(t, json.Unmarshal(lines.Bytes(), &ev), lines.Text())
		seen[ev.Event] = ev
		if ev.Event == "number" {
			short, err := strconv.ParseInt(ev.ID, 10, 64)
			require.NoError(t, err)
			o, err := env.SMS.OrderByShortID(ctx, scope, short)
			require.NoError(t, err)
			require.Equal(t, o.Phone, ev.Phone, "the client got the order's number")
			require.NoError(t, env.Sim.InjectSMS(o.UpstreamID, "Your WhatsApp code is "+code+". Don't share it.", code))
		}
	}
	err = cmd.Wait()
	stopPolling()
	require.NoError(t, err, "flow.js failed:\n%s", stderr.String())
	for _, name := range []string{"balance", "number", "code", "finished", "number2", "cancelled", "done"} {
		require.Contains(t, seen, name, "flow.js reached %q", name)
	}
	require.Equal(t, code, seen["code"].Code)

	// The engine agrees with what the client saw.
	offer, ok := env.Catalog.Snapshot().Offer("wa", 187)
	require.True(t, ok)
	first := orderByShortID(t, env, scope, seen["number"].ID)
	require.Equal(t, core.SMSCompleted, first.Status)
	require.NotNil(t, first.FinishedAt)
	require.Equal(t, code, first.Code)
	require.Equal(t, core.SourceStub, first.Source)
	second := orderByShortID(t, env, scope, seen["number2"].ID)
	require.Equal(t, core.SMSCancelled, second.Status)
	require.True(t, env.Balance(t, u.ID).Equal(decimal.NewFromInt(50000).Sub(offer.Price)), "charged once, refunded once")
	env.RequireLedgerClean(t)
}

func orderByShortID(t *testing.T, env *coretest.Env, sc core.Scope, id string) core.SMSOrder {
	t.Helper()
	short, err := strconv.ParseInt(id, 10, 64)
	require.NoError(t, err)
	o, err := env.SMS.OrderByShortID(context.Background(), sc, short)
	require.NoError(t, err)
	return o
}
