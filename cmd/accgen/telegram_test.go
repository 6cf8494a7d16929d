package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/storage/postgres/pgtest"
)

// With ACCGEN_TELEGRAM_TOKEN and ACCGEN_TELEGRAM_WEBHOOK_URL, serve runs the
// bot in webhook mode on its own HTTP server: it registers the webhook with
// Telegram and refuses updates without the secret.
func TestServeMountsTelegramWebhook(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		calls []string // "method chat_id"
		hook  string
	)
	tg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		_ = r.ParseMultipartForm(1 << 20)
		mu.Lock()
		calls = append(calls, method+" "+r.FormValue("chat_id"))
		if method == "setWebhook" {
			hook = r.FormValue("url") + " " + r.FormValue("secret_token")
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if method == "sendMessage" {
			_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":1,"date":1700000000,"chat":{"id":77,"type":"private"}}}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true,"result":true}`)
	}))
	defer tg.Close()
	getenv := env(pgtest.NewURL(t),
		"ACCGEN_TELEGRAM_TOKEN", "12345:TEST",
		"ACCGEN_TELEGRAM_API_URL", tg.URL,
		"ACCGEN_TELEGRAM_WEBHOOK_URL", "https://shop.example/tg/hook",
		"ACCGEN_TELEGRAM_WEBHOOK_SECRET", "sekret",
		"ACCGEN_ADMIN_TELEGRAM_IDS", "42",
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- cmdServe(ctx, []string{"--demo"}, getenv, io.Discard, io.Discard, serveHooks{onListen: func(a net.Addr) { addrs <- a }})
	}()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	post := func(secret string) int {
		body := `{"update_id":1,"message":{"message_id":1,"date":1700000000,"chat":{"id":77,"type":"private"},
			"from":{"id":77,"is_bot":false,"first_name":"Ann"},"text":"/start","entities":[{"type":"bot_command","offset":0,"length":6}]}}`
		req, err := http.NewRequest(http.MethodPost, base+"/tg/hook", bytes.NewBufferString(body))
		require.NoError(t, err)
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, post("wrong"))
	require.Equal(t, http.StatusUnauthorized, post(""))
	sent := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range calls {
			if c == "sendMessage 77" {
				return true
			}
		}
		return false
	}
	time.Sleep(100 * time.Millisecond)
	require.False(t, sent(), "an update with a bad secret was served")
	require.Equal(t, http.StatusOK, post("sekret"))
	require.Eventually(t, sent, 10*time.Second, 20*time.Millisecond, "the bot answered /start")
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return hook == "https://shop.example/tg/hook sekret" && slices.Contains(calls, "setMyCommands ")
	}, 10*time.Second, 20*time.Millisecond, "setWebhook registered the URL and secret; the command menus were installed")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
