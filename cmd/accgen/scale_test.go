package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/bot/bottest"
	"accgen/core"
	"accgen/core/upstream/sim"
	"accgen/locales"
	"accgen/storage/postgres/pgtest"
)

// hookLog is a webhook receiver that counts deliveries per webhook-id.
type hookLog struct {
	mu    sync.Mutex
	byID  map[string]int
	order map[string]int
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct {
		OrderID string `json:"order_id"`
	}
	_ = json.NewDecoder(r.Body).Decode(&p)
	h.mu.Lock()
	h.byID[r.Header.Get("webhook-id")]++
	h.order[p.OrderID]++
	h.mu.Unlock()
}

func (h *hookLog) counts() (ids, orders int, dup bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.byID {
		dup = dup || n > 1
	}
	for _, n := range h.order {
		dup = dup || n > 1
	}
	return len(h.byID), len(h.order), dup
}

// metricSum adds up one series over several /metrics scrapes.
func metricSum(t *testing.T, bases []string, series string) float64 {
	t.Helper()
	total := 0.0
	for _, b := range bases {
		resp, err := http.Get(b + "/metrics")
		require.NoError(t, err)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
				v, err := strconv.ParseFloat(rest, 64)
				require.NoError(t, err)
				total += v
			}
		}
		resp.Body.Close()
	}
	return total
}

// Three instances on one database and Redis behave as one shop: started at
// once on an empty database they migrate once; 300 REST orders spread
// across them get their codes, each webhook is delivered exactly once; 60
// customers buy numbers through the bot in webhook mode, each update of a
// purchase posted to a different instance than the one before (the typed
// search works only through the session in Redis), and each gets their code
// in exactly one Telegram message; one admin /broadcast reaches every user
// exactly once and is reported finished once; the ledger verifies, and the
// metrics add up to what happened.
func TestThreeInstancesActAsOneShop(t *testing.T) {
	t.Parallel()
	began := time.Now()
	phase := func(what string) { t.Logf("%5.1fs %s", time.Since(began).Seconds(), what) }
	ctx := context.Background()
	dbURL := pgtest.NewEmptyURL(t)
	early := time.Duration(0)
	s := sim.New(sim.Config{EarlyCancel: &early, Seed: 5})
	s.SetBalance(decimal.NewFromInt(1_000_000))
	s.SetStock("wa", 187, 100_000, nil)
	upstreamSrv := httptest.NewServer(s.Handler())
	defer upstreamSrv.Close()
	defer s.Close()
	hooks := &hookLog{byID: map[string]int{}, order: map[string]int{}}
	receiver := httptest.NewServer(hooks)
	defer receiver.Close()
	tg := bottest.New(t)

	getenv := env(dbURL)
	childEnv := append([]string{
		"ACCGEN_DATABASE_URL=" + dbURL,
		"ACCGEN_REDIS_URL=" + getenv("ACCGEN_REDIS_URL"),
		"ACCGEN_REDIS_PREFIX=" + getenv("ACCGEN_REDIS_PREFIX"),
		"ACCGEN_UPSTREAM_URL=" + upstreamSrv.URL + "/stubs/handler_api.php",
		"ACCGEN_UPSTREAM_API_KEY=" + sim.DefaultAPIKey,
		"ACCGEN_ENCRYPTION_KEY=" + getenv("ACCGEN_ENCRYPTION_KEY"),
		"ACCGEN_POLL_INTERVAL=500ms",
		"ACCGEN_RATE_LIMIT=100000/s",
		"ACCGEN_WEBHOOK_ALLOW_PRIVATE=true",
		"ACCGEN_LOG_LEVEL=warn",
	}, telegramEnv(tg)...)
	var (
		wg    sync.WaitGroup
		procs = make([]*process, 3)
	)
	for i := range procs {
		wg.Go(func() { procs[i] = startServe(t, childEnv) })
	}
	wg.Wait()
	bases := make([]string, len(procs))
	for i, p := range procs {
		bases[i] = p.base
	}
	phase("3 instances ready")

	uid, err := accgen(t, getenv, "admin", "user", "create", "--telegram-id", "99")
	require.NoError(t, err)
	key, err := accgen(t, getenv, "admin", "apikey", "create", "--user", uid)
	require.NoError(t, err)
	_, err = accgen(t, getenv, "admin", "topup", "--user", uid, "--amount", "100000000", "--reference", "scale")
	require.NoError(t, err)
	call := func(base, method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("X-API-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var env map[string]any
		require.NoError(t, json.Unmarshal(raw, &env), string(raw))
		return resp.StatusCode, env
	}
	status, env := call(bases[0], "PUT", "/api/v1/user/webhook", `{"url":"`+receiver.URL+`"}`)
	require.Equal(t, 200, status, env)

	// The bot's customers, funded in the ledger directly (a CLI run each
	// would cost more than the purchases).
	const buyers = 60
	cfg, err := loadConfig(getenv)
	require.NoError(t, err)
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	defer a.Close()
	chats := make([]int64, buyers)
	for i := range chats {
		chats[i] = scaleBuyerBase + int64(i)
		u, _, err := a.users.Ensure(ctx, core.NewUser{TelegramID: chats[i]})
		require.NoError(t, err)
		_, err = a.ledger.TopUp(ctx, u.ID, decimal.NewFromInt(1_000_000), fmt.Sprintf("scale-bot-%d", chats[i]), "")
		require.NoError(t, err)
	}

	// REST orders and bot purchases at once.
	front := newTelegramFront(tg, bases)
	shortIDs := make([]string, buyers)
	var (
		botWG   sync.WaitGroup
		errMu   sync.Mutex
		botErrs []error
	)
	for i, chat := range chats {
		botWG.Go(func() {
			id, err := front.buyNumber(ctx, chat, i)
			if err != nil {
				errMu.Lock()
				botErrs = append(botErrs, err)
				errMu.Unlock()
			}
			shortIDs[i] = id
		})
	}
	const n = 300
	ids := make([]string, n)
	sem := make(chan struct{}, 12)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			status, env := call(bases[i%3], "POST", "/api/v1/sms/orders", `{"service_id":"wa","country_id":187}`)
			require.Equal(t, 201, status, env)
			ids[i] = env["data"].(map[string]any)["id"].(string)
		})
	}
	wg.Wait()
	botWG.Wait()
	require.NoError(t, errors.Join(botErrs...))
	phase(fmt.Sprintf("%d REST orders and %d bot purchases placed", n, buyers))

	// One broadcast, sent to one instance; every instance's outbox worker
	// takes part in delivering it.
	const broadcastText = "Scale test: one shop, three engines"
	require.NoError(t, front.send(bases[1], scaleAdminID, "/broadcast "+broadcastText))

	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	for i, id := range ids {
		var upstreamID string
		require.NoError(t, conn.QueryRow(ctx, `SELECT upstream_id FROM sms_orders WHERE id = $1`, id).Scan(&upstreamID))
		require.NoError(t, s.InjectSMS(upstreamID, fmt.Sprintf("Your code is %06d", i), ""))
	}
	botCodes := map[int64]string{} // chat → its code
	rows, err := conn.Query(ctx, `SELECT upstream_id, short_id, telegram_chat_id FROM sms_orders WHERE source = 'bot' ORDER BY telegram_chat_id`)
	require.NoError(t, err)
	placed := map[int64]string{}
	for rows.Next() {
		var (
			upstreamID string
			short      int64
			chat       int64
		)
		require.NoError(t, rows.Scan(&upstreamID, &short, &chat))
		placed[chat] = strconv.FormatInt(short, 10)
		botCodes[chat] = fmt.Sprintf("%06d", 700_000+len(botCodes))
		require.NoError(t, s.InjectSMS(upstreamID, "Your code is "+botCodes[chat], ""))
	}
	require.NoError(t, rows.Err())
	require.Len(t, placed, buyers, "one order per bot customer")
	for i, chat := range chats {
		require.Equal(t, placed[chat], shortIDs[i], "the number screen shows the customer's order")
	}

	require.Eventually(t, func() bool {
		ids, orders, _ := hooks.counts()
		return ids == n && orders == n
	}, 60*time.Second, 100*time.Millisecond, "every code reaches the reseller's webhook")
	phase("every REST code reached the webhook")
	require.Eventually(t, func() bool {
		for chat, code := range botCodes {
			if sentContaining(tg, chat, "<code>"+code+"</code>") == 0 {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "every bot customer is sent their code")
	phase("every bot code reached its buyer")

	var recipients []int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT array_agg(chat_id ORDER BY chat_id) FROM bot_outbox WHERE broadcast_id IS NOT NULL`).Scan(&recipients))
	require.ElementsMatch(t, append([]int64{99, scaleAdminID}, chats...), recipients, "the broadcast goes to every user")
	done := locales.MustLoad().Printer("en").T("admin.broadcast_done",
		map[string]any{"Sent": len(recipients), "Blocked": 0, "Failed": 0, "Total": len(recipients)})
	require.Eventually(t, func() bool {
		for _, chat := range recipients {
			if sentContaining(tg, chat, broadcastText) == 0 {
				return false
			}
		}
		return tg.Screen(scaleAdminID) == done
	}, 30*time.Second, 100*time.Millisecond, "the broadcast reaches everyone and is reported finished")
	phase("the broadcast reached every user")

	time.Sleep(2 * time.Second) // a duplicate would show up by now
	gotIDs, gotOrders, dup := hooks.counts()
	require.Equal(t, n, gotIDs)
	require.Equal(t, n, gotOrders)
	require.False(t, dup, "no webhook was delivered twice")

	// Telegram: each code went to its buyer in exactly one message, and
	// nowhere else; REST codes never went to Telegram.
	codeOwner := map[string]int64{}
	for chat, code := range botCodes {
		codeOwner[code] = chat
	}
	codeRe := regexp.MustCompile(`<code>(\d{6})</code>`)
	sends := 0
	for _, c := range tg.CallsOf("sendMessage") {
		for _, m := range codeRe.FindAllStringSubmatch(c.Fields["text"], -1) {
			owner, ok := codeOwner[m[1]]
			require.True(t, ok, "a code that is not a bot customer's went to Telegram: %s", c.Fields["text"])
			require.Equal(t, owner, c.Chat(), "code %s went to the wrong chat", m[1])
			sends++
		}
	}
	require.Equal(t, buyers, sends, "each bot code was sent exactly once")
	for _, chat := range recipients {
		require.Equal(t, 1, sentContaining(tg, chat, broadcastText), "chat %d got the broadcast once", chat)
	}
	doneReports := 0
	for _, c := range tg.ChatCalls(scaleAdminID, "") {
		if c.Fields["text"] == done {
			doneReports++
		}
	}
	require.Equal(t, 1, doneReports, "the broadcast is reported finished once")
	started := locales.MustLoad().Printer("en").T("admin.broadcast_progress",
		map[string]any{"Sent": 0, "Blocked": 0, "Failed": 0, "Total": len(recipients)})
	adminSent := tg.SentTo(scaleAdminID)
	require.ElementsMatch(t, []string{started, broadcastText}, adminSent, "the admin gets one progress message (and the broadcast)")
	progressID := slices.Index(adminSent, started) + 1 // the fake numbers a chat's messages from 1
	require.Equal(t, done, tg.Message(scaleAdminID, progressID).Text, "the progress message itself ends with the totals")
	var unsent, finished int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state <> 'sent'), (SELECT count(*) FROM bot_broadcasts WHERE finished_at IS NOT NULL) FROM bot_outbox`).Scan(&unsent, &finished))
	require.Zero(t, unsent, "every queued Telegram message was sent")
	require.Equal(t, 1, finished)
	hooksSet := tg.CallsOf("setWebhook")
	require.Len(t, hooksSet, len(procs), "each instance registers the (same) webhook")
	for _, c := range hooksSet {
		require.Equal(t, scaleWebhookURL, c.Fields["url"])
		require.Equal(t, scaleWebhookSecret, c.Fields["secret_token"])
	}

	var completed int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM sms_orders WHERE status = 'completed'`).Scan(&completed))
	require.Equal(t, n+buyers, completed)
	var migrations int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&migrations))
	report, err := accgen(t, getenv, "ledger", "verify")
	require.NoError(t, err, report)

	require.Equal(t, float64(n+buyers), metricSum(t, bases, `accgen_sms_orders_placed_total{outcome="issued"}`))
	require.Equal(t, float64(n+buyers), metricSum(t, bases, `accgen_sms_codes_received_total`))
	require.Equal(t, float64(n), metricSum(t, bases, `accgen_webhook_attempts_total{outcome="delivered"}`))
	require.Equal(t, float64(3*(n+buyers)), metricSum(t, bases, `accgen_sms_orders{status="completed"}`), "each instance reports the shared database")
	messages, callbacks := front.count("", "message"), front.count("", "callback_query")
	require.Equal(t, 3*buyers+1, messages)
	require.GreaterOrEqual(t, callbacks, 3*buyers)
	for _, base := range bases {
		require.Equal(t, float64(front.count(base, "message")), metricSum(t, []string{base}, `accgen_bot_updates_total{kind="message",result="ok"}`), base)
		require.Equal(t, float64(front.count(base, "callback_query")), metricSum(t, []string{base}, `accgen_bot_updates_total{kind="callback_query",result="ok"}`), base)
		require.Equal(t, float64(front.count(base, "message")+front.count(base, "callback_query")),
			metricSum(t, []string{base}, `accgen_http_requests_total{route="/telegram/webhook",status="200"}`), base)
		require.GreaterOrEqual(t, front.count(base, "message")+front.count(base, "callback_query"), 2*buyers, "every instance answered its share")
	}
	phase("checked")
	t.Logf("3 instances, %d REST orders: %d codes delivered once each by webhook; %d bot purchases over %d webhook updates "+
		"(%d messages, %d button presses), %d codes sent once each on Telegram; broadcast to %d users once each; %d migrations applied once",
		n, gotOrders, buyers, messages+callbacks, messages, callbacks, sends, len(recipients), migrations)
}
