package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// In webhook mode the bot registers its URL and secret with Telegram at
// start, and its handler refuses any call without the secret (401) while
// serving those that have it.
func TestWebhookModeRejectsWrongSecret(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{config: func(c *Config) {
		c.WebhookURL, c.WebhookSecret = "https://shop.example/tg/hook", "s3cret-token"
	}})
	require.Equal(t, "/tg/hook", h.bot.WebhookPath())
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { _ = h.bot.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	require.Eventually(t, func() bool { return len(h.tg.CallsOf("setWebhook")) == 1 }, 5*time.Second, 10*time.Millisecond)
	reg := h.tg.CallsOf("setWebhook")[0]
	require.Equal(t, "https://shop.example/tg/hook", reg.Fields["url"])
	require.Equal(t, "s3cret-token", reg.Fields["secret_token"])

	srv := httptest.NewServer(h.bot.WebhookHandler())
	defer srv.Close()
	post := func(chat int64, secret string) int {
		body, err := json.Marshal(h.message(tgUser{ID: chat, Name: "Web"}, "/start"))
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		require.NoError(t, err)
		if secret != "" {
			req.Header.Set(webhookSecretHeader, secret)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, post(4001, "wrong"))
	require.Equal(t, http.StatusUnauthorized, post(4002, ""))
	require.Equal(t, http.StatusUnauthorized, post(4003, "s3cret-token-but-longer"))
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	require.Equal(t, http.StatusOK, post(4004, "s3cret-token"))
	require.Eventually(t, func() bool { return len(h.tg.SentTo(4004)) == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.WaitIdle(h.ctx))
	for _, chat := range []int64{4001, 4002, 4003} {
		require.Empty(t, h.tg.SentTo(chat), "an update with a bad secret was handled")
	}
}

// Long polling (the default) clears any webhook and serves updates from
// getUpdates.
func TestLongPollingServesUpdates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.tg.Queue(*h.message(tgUser{ID: 4100, Name: "Poll"}, "/start"))
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { _ = h.bot.Run(ctx); close(done) }()
	require.Eventually(t, func() bool { return len(h.tg.SentTo(4100)) == 1 }, 10*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	require.NotEmpty(t, h.tg.CallsOf("deleteWebhook"), "polling clears a webhook left from webhook mode")
	require.Contains(t, h.tg.Screen(4100), "Poll")
}

// panicSessions panics when a session is saved, to crash a handler.
type panicSessions struct{}

func (panicSessions) LoadSession(context.Context, int64) ([]byte, error) { return nil, nil }
func (panicSessions) SaveSession(context.Context, int64, []byte, time.Duration) error {
	panic("boom")
}
func (panicSessions) DeleteSession(context.Context, int64) error { return nil }

// A panicking handler is recovered: the button is answered once, with an
// apology, and the chat keeps working. OnUpdate hears how each update ended.
func TestPanicIsRecoveredAndAnswered(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		results []string
	)
	h := newHarness(t, harnessOpts{sessions: panicSessions{}, config: func(c *Config) {
		c.OnUpdate = func(kind, result string) {
			mu.Lock()
			results = append(results, kind+"/"+result)
			mu.Unlock()
		}
	}})
	u := tgUser{ID: 4200, Name: "Pat"}
	h.send(u, "/start")
	before := h.answered()
	h.click(u, "sv:0") // the service list saves a session: boom
	require.Equal(t, before+1, h.answered(), "answered exactly once")
	last := h.tg.CallsOf("answerCallbackQuery")[before]
	require.Equal(t, plain(h.text("en", "error.internal")), last.Fields["text"])
	require.Equal(t, "true", last.Fields["show_alert"])
	h.send(u, "/start")
	require.Contains(t, h.tg.Screen(u.ID), "Pat", "the chat still works")
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"message/ok", "callback_query/panic", "message/ok"}, results)
}
