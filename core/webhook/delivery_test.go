package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/api"
	"accgen/core/coretest"
	"accgen/core/httpx"
	"accgen/core/webhook"
	"accgen/storage/redis"
	"accgen/storage/redis/redistest"
)

// receiver is a reseller's webhook endpoint on loopback.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []received
	fail     int // answer 500 to this many requests first
	got      chan received
}

type received struct {
	at      time.Time
	id, ts  string
	sig     string
	body    []byte
	status  int
	headers http.Header
}

func newReceiver(t *testing.T, fail int) *receiver {
	t.Helper()
	rc := &receiver{fail: fail, got: make(chan received, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := http.StatusOK
		if rc.fail > 0 {
			rc.fail--
			status = http.StatusInternalServerError
		}
		rec := received{at: time.Now(), id: r.Header.Get("webhook-id"), ts: r.Header.Get("webhook-timestamp"),
			sig: r.Header.Get("webhook-signature"), body: body, status: status, headers: r.Header.Clone()}
		rc.requests = append(rc.requests, rec)
		rc.mu.Unlock()
		w.WriteHeader(status)
		if status == http.StatusOK {
			rc.got <- rec
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.requests...)
}

type bundle struct {
	env        *coretest.Env
	webhooks   *core.Webhooks
	dispatcher *webhook.Dispatcher
	apiURL     string
}

func setup(t *testing.T, cfg webhook.Config) bundle {
	t.Helper()
	env := coretest.New(t, coretest.Options{})
	wh := core.NewWebhooks(env.DB, nil)
	env.SMS.SetEvents(core.MultiSMSEvents{wh})
	cfg.AllowPrivate = true // the receivers live on loopback
	d := webhook.New(env.DB, wh, cfg)
	h := api.NewHandler(api.Deps{Keys: env.Keys, Wallets: env.Ledger, SMS: env.SMS, Webhooks: wh, WebhookTester: d,
		Limiter: redis.NewRateLimiter(redistest.New(t), core.RateLimit{Requests: 1000, Period: time.Second}, env.Logger), Logger: env.Logger})
	srv := httptest.NewServer(httpx.WithRequestID(h))
	t.Cleanup(srv.Close)
	return bundle{env: env, webhooks: wh, dispatcher: d, apiURL: srv.URL}
}

func apiCall(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-API-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var env map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	return resp.StatusCode, env
}

func data(env map[string]any) map[string]any { m, _ := env["data"].(map[string]any); return m }

func runInBackground(t *testing.T, fns ...func(ctx context.Context)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(func() { fn(ctx) })
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// An order through REST, an SMS injected upstream, and the reseller's
// receiver gets the seed's payload, signed, within seconds.
func TestSMSReceivedReachesTheResellerSigned(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{PollEvery: 50 * time.Millisecond})
	rc := newReceiver(t, 0)
	_, _, key := b.env.Reseller(t, 1, "50000")

	status, env := apiCall(t, "PUT", b.apiURL+"/api/v1/user/webhook", key, `{"url":"`+rc.srv.URL+`/hooks/sms"}`)
	require.Equal(t, 200, status, env)
	secret := data(env)["secret"].(string)
	require.True(t, strings.HasPrefix(secret, "whsec_"))

	status, env = apiCall(t, "POST", b.apiURL+"/api/v1/sms/orders", key, `{"service_id":"wa","country_id":187}`)
	require.Equal(t, 201, status, env)
	order := data(env)

	runInBackground(t,
		func(ctx context.Context) { _ = b.env.SMS.RunWorkers(ctx, b.env.DB, 100*time.Millisecond, time.Hour) },
		func(ctx context.Context) { _ = b.dispatcher.Run(ctx) },
	)
	var upstreamID string
	require.NoError(t, b.env.DB.Pool().QueryRow(context.Background(), `SELECT upstream_id FROM sms_orders WHERE id = $1`, order["id"]).Scan(&upstreamID))
	injected := time.Now()
	require.NoError(t, b.env.Sim.InjectSMS(upstreamID, "Your verification code is 123456. Do not share it.", "123456"))

	var got received
	select {
	case got = <-rc.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook within 10s")
	}
	delay := got.at.Sub(injected)
	t.Logf("sms.received: injected upstream → received by the reseller in %v (poll every 100ms, dispatch every 50ms)", delay)
	require.Less(t, delay, 5*time.Second)

	var payload map[string]any
	dec := json.NewDecoder(bytes.NewReader(got.body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&payload))
	require.Len(t, payload, 6, "exactly the seed's fields: %s", got.body)
	require.Equal(t, "sms.received", payload["event"])
	require.Equal(t, order["id"], payload["order_id"])
	require.Equal(t, order["phone_number"], payload["phone_number"])
	require.Equal(t, "123456", payload["sms_code"])
	require.Equal(t, "Your verification code is 123456. Do not share it.", payload["full_sms_text"])
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, payload["received_at"])
	require.Equal(t, "application/json", got.headers.Get("Content-Type"))
	require.NoError(t, webhook.Verify(secret, got.id, got.ts, got.sig, got.body, time.Now(), 5*time.Minute))
	require.True(t, strings.HasPrefix(got.id, "msg_"))

	// The attempt is recorded just after the receiver answered.
	require.Eventually(t, func() bool {
		status, env = apiCall(t, "GET", b.apiURL+"/api/v1/user/webhook/deliveries", key, "")
		list := data(env)["deliveries"].([]any)
		return status == 200 && len(list) == 1 && list[0].(map[string]any)["state"] == "delivered"
	}, 5*time.Second, 20*time.Millisecond)
}

// A receiver that fails three times and then succeeds gets exactly one
// successful delivery after four attempts, all with the same webhook-id.
func TestDeliveryIsRetriedWithTheSameID(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{PollEvery: 20 * time.Millisecond, Schedule: []time.Duration{30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond, 30 * time.Millisecond}})
	rc := newReceiver(t, 3)
	_, p, key := b.env.Reseller(t, 1, "50000")
	_, err := b.webhooks.SetEndpoint(context.Background(), p.KeyID, rc.srv.URL, false)
	require.NoError(t, err)
	o, _, err := b.env.SMS.Place(context.Background(), core.PlaceSMSParams{Scope: core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, Source: core.SourceAPI, ServiceID: "tg", CountryID: 16})
	require.NoError(t, err)
	require.NoError(t, b.env.SMS.RecordSMS(context.Background(), o.ID, 1, "555111", "Telegram code 555111"))

	runInBackground(t, func(ctx context.Context) { _ = b.dispatcher.Run(ctx) })
	select {
	case <-rc.got:
	case <-time.After(10 * time.Second):
		t.Fatal("never delivered")
	}
	time.Sleep(200 * time.Millisecond) // nothing more may arrive
	reqs := rc.all()
	require.Len(t, reqs, 4)
	for _, r := range reqs {
		require.Equal(t, reqs[0].id, r.id)
	}
	require.Equal(t, []int{500, 500, 500, 200}, []int{reqs[0].status, reqs[1].status, reqs[2].status, reqs[3].status})

	status, env := apiCall(t, "GET", b.apiURL+"/api/v1/user/webhook/deliveries/"+reqs[0].id, key, "")
	require.Equal(t, 200, status, env)
	d := data(env)
	require.Equal(t, "delivered", d["state"])
	require.EqualValues(t, 4, d["attempts"])
	log := d["attempt_log"].([]any)
	require.Len(t, log, 4)
	require.EqualValues(t, 500, log[0].(map[string]any)["status_code"])
	require.Equal(t, "HTTP 500", log[0].(map[string]any)["error"])
	require.EqualValues(t, 200, log[3].(map[string]any)["status_code"])
	require.Nil(t, log[3].(map[string]any)["error"])
}

// A delivery survives the process: enqueued with no worker running, or
// claimed by a worker that died, it is delivered by the next one.
func TestDeliverySurvivesACrash(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{})
	rc := newReceiver(t, 0)
	_, p, _ := b.env.Reseller(t, 1, "50000")
	ctx := context.Background()
	_, err := b.webhooks.SetEndpoint(ctx, p.KeyID, rc.srv.URL, false)
	require.NoError(t, err)
	sc := core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}
	o1, _, err := b.env.SMS.Place(ctx, core.PlaceSMSParams{Scope: sc, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
	require.NoError(t, err)
	o2, _, err := b.env.SMS.Place(ctx, core.PlaceSMSParams{Scope: sc, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
	require.NoError(t, err)

	// The SMS is recorded (and its delivery enqueued in the same transaction);
	// then the first worker claims it and dies before sending.
	require.NoError(t, b.env.SMS.RecordSMS(ctx, o1.ID, 1, "111111", "code 111111"))
	claimed, err := b.env.DB.ClaimWebhookDeliveries(ctx, 300*time.Millisecond, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	// Another SMS is recorded while no worker runs at all.
	require.NoError(t, b.env.SMS.RecordSMS(ctx, o2.ID, 1, "222222", "code 222222"))

	// After the restart, a new worker delivers both (the first once its
	// lease has lapsed).
	restarted := webhook.New(b.env.DB, b.webhooks, webhook.Config{AllowPrivate: true, PollEvery: 20 * time.Millisecond})
	runInBackground(t, func(ctx context.Context) { _ = restarted.Run(ctx) })
	codes := map[string]bool{}
	for range 2 {
		select {
		case r := <-rc.got:
			var payload map[string]string
			require.NoError(t, json.Unmarshal(r.body, &payload))
			codes[payload["sms_code"]] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("only %v delivered", codes)
		}
	}
	require.Equal(t, map[string]bool{"111111": true, "222222": true}, codes)
}

// After every retry fails the endpoint is disabled; setting the URL again
// enables it.
func TestEndpointDisabledAfterSustainedFailure(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{PollEvery: 20 * time.Millisecond, Schedule: []time.Duration{20 * time.Millisecond}})
	rc := newReceiver(t, 1000)
	_, p, key := b.env.Reseller(t, 1, "50000")
	ctx := context.Background()
	_, err := b.webhooks.SetEndpoint(ctx, p.KeyID, rc.srv.URL, false)
	require.NoError(t, err)
	o, _, err := b.env.SMS.Place(ctx, core.PlaceSMSParams{Scope: core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
	require.NoError(t, err)
	require.NoError(t, b.env.SMS.RecordSMS(ctx, o.ID, 1, "1", "code 1"))
	runInBackground(t, func(ctx context.Context) { _ = b.dispatcher.Run(ctx) })

	require.Eventually(t, func() bool {
		e, err := b.webhooks.Endpoint(ctx, p.KeyID)
		return err == nil && !e.Enabled
	}, 10*time.Second, 20*time.Millisecond)
	require.Len(t, rc.all(), 2, "the first attempt and one retry")
	status, env := apiCall(t, "GET", b.apiURL+"/api/v1/user/webhook", key, "")
	require.Equal(t, 200, status)
	require.Equal(t, false, data(env)["enabled"])
	require.Contains(t, data(env)["disabled_reason"], "every retry")

	status, env = apiCall(t, "PUT", b.apiURL+"/api/v1/user/webhook", key, `{"url":"`+rc.srv.URL+`"}`)
	require.Equal(t, 200, status)
	require.Equal(t, true, data(env)["enabled"])
}

func TestWebhookEndpointRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, webhook.Config{})
	rc := newReceiver(t, 0)
	_, _, key := b.env.Reseller(t, 1, "")
	_, _, otherKey := b.env.Reseller(t, 2, "")
	url := b.apiURL + "/api/v1/user/webhook"

	status, env := apiCall(t, "GET", url, key, "")
	require.Equal(t, 404, status)
	require.Equal(t, "NOT_FOUND", env["error"].(map[string]any)["code"])

	for body, msg := range map[string]string{
		`{}`:                                    "url: is required",
		`{"url":"ftp://example.com/x"}`:         "https://",
		`{"url":"https://user:pw@example.com"}`: "user name or password",
		`{"url":"not a url"}`:                   "spaces",
		`{"url":"https:///path"}`:               "host",
		`{"url":"https://example.com/` + strings.Repeat("a", 2100) + `"}`: "at most 2048",
		`{"url":"https://example.com","x":1}`:                             "unknown field",
	} {
		status, env = apiCall(t, "PUT", url, key, body)
		require.Equal(t, 400, status, body)
		require.Contains(t, env["error"].(map[string]any)["message"], msg, body)
	}

	status, env = apiCall(t, "PUT", url, key, `{"url":"`+rc.srv.URL+`"}`)
	require.Equal(t, 200, status)
	secret := data(env)["secret"]
	status, env = apiCall(t, "PUT", url, key, `{"url":"`+rc.srv.URL+`/v2"}`)
	require.Equal(t, 200, status)
	require.Equal(t, secret, data(env)["secret"], "changing the URL keeps the secret")
	status, env = apiCall(t, "PUT", url, key, `{"url":"`+rc.srv.URL+`/v2","rotate_secret":true}`)
	require.Equal(t, 200, status)
	require.NotEqual(t, secret, data(env)["secret"], "rotation makes a new secret")

	status, env = apiCall(t, "POST", url+"/test", key, "")
	require.Equal(t, 200, status, env)
	require.Equal(t, true, data(env)["delivered"])
	require.Len(t, rc.all(), 1)
	require.Contains(t, string(rc.all()[0].body), `"event":"webhook.test"`)

	status, _ = apiCall(t, "GET", url, otherKey, "")
	require.Equal(t, 404, status, "another key has its own endpoint")
	status, _ = apiCall(t, "POST", url+"/test", otherKey, "")
	require.Equal(t, 404, status)

	status, env = apiCall(t, "DELETE", url, key, "")
	require.Equal(t, 200, status)
	require.Equal(t, true, data(env)["deleted"])
	status, _ = apiCall(t, "DELETE", url, key, "")
	require.Equal(t, 404, status)
}

// With the guard on, a test delivery to a loopback URL is refused before
// connecting, and the owner sees why.
func TestTestDeliveryToPrivateAddressIsRefused(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	wh := core.NewWebhooks(env.DB, nil)
	guarded := webhook.New(env.DB, wh, webhook.Config{})
	rc := newReceiver(t, 0)
	_, p, _ := env.Reseller(t, 1, "")
	_, err := wh.SetEndpoint(context.Background(), p.KeyID, rc.srv.URL, false)
	require.NoError(t, err)
	a, err := guarded.Test(context.Background(), p.KeyID)
	require.NoError(t, err)
	require.Contains(t, a.Error, "webhook destination refused")
	require.Empty(t, rc.all())
}
