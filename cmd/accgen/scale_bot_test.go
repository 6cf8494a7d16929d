package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot/models"

	"accgen/bot/bottest"
)

// The Telegram side of the multi-instance test: the bot of every instance
// runs in webhook mode against one fake Bot API, and the test plays
// Telegram, POSTing each update to whichever instance it picks.

const (
	scaleWebhookURL    = "https://shop.example/telegram/webhook"
	scaleWebhookSecret = "scale-test-webhook-secret"
	scaleAdminID       = 5_000_001
	scaleBuyerBase     = 6_000_000 // buyers' Telegram ids start above this
)

// telegramEnv is what puts every instance's bot in webhook mode against api.
func telegramEnv(api *bottest.Server) []string {
	return []string{
		"ACCGEN_TELEGRAM_TOKEN=" + bottest.Token,
		"ACCGEN_TELEGRAM_API_URL=" + api.URL(),
		"ACCGEN_TELEGRAM_WEBHOOK_URL=" + scaleWebhookURL,
		"ACCGEN_TELEGRAM_WEBHOOK_SECRET=" + scaleWebhookSecret,
		"ACCGEN_ADMIN_TELEGRAM_IDS=" + strconv.Itoa(scaleAdminID),
		"ACCGEN_TOPUP_INSTRUCTIONS=Pay to GTBank 0123456789",
	}
}

// telegramFront plays Telegram in webhook mode: it POSTs updates, with the
// secret header, to the instances' /telegram/webhook, and counts what each
// instance was sent.
type telegramFront struct {
	api   *bottest.Server
	bases []string
	ids   atomic.Int64 // update ids
	msgs  atomic.Int64 // user message ids

	mu     sync.Mutex
	posted map[string]map[string]int // base → update kind → count
}

func newTelegramFront(api *bottest.Server, bases []string) *telegramFront {
	return &telegramFront{api: api, bases: bases, posted: map[string]map[string]int{}}
}

// post delivers one update to an instance, as Telegram does.
func (f *telegramFront) post(base string, upd *models.Update) error {
	body, err := json.Marshal(upd)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, base+telegramWebhookPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", scaleWebhookSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook %s answered %d", base, resp.StatusCode)
	}
	kind := "message"
	if upd.CallbackQuery != nil {
		kind = "callback_query"
	}
	f.mu.Lock()
	if f.posted[base] == nil {
		f.posted[base] = map[string]int{}
	}
	f.posted[base][kind]++
	f.mu.Unlock()
	return nil
}

// count is how many updates of a kind were posted to base ("" for all
// instances).
func (f *telegramFront) count(base, kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for b, kinds := range f.posted {
		if base == "" || b == base {
			n += kinds[kind]
		}
	}
	return n
}

func tgFrom(chat int64) models.User {
	return models.User{ID: chat, FirstName: "Buyer" + strconv.FormatInt(chat%1000, 10), LanguageCode: "en"}
}

// send posts a private text message (a command or typed text) from chat.
func (f *telegramFront) send(base string, chat int64, text string) error {
	from := tgFrom(chat)
	m := &models.Message{ID: int(f.msgs.Add(1)), Date: int(time.Now().Unix()), From: &from,
		Chat: models.Chat{ID: chat, Type: models.ChatTypePrivate}, Text: text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		m.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: len(cmd)}}
	}
	return f.post(base, &models.Update{ID: f.ids.Add(1), Message: m})
}

// press posts a button press on one of chat's messages.
func (f *telegramFront) press(base string, chat int64, msgID int, data string) error {
	id := f.ids.Add(1)
	return f.post(base, &models.Update{ID: id, CallbackQuery: &models.CallbackQuery{
		ID: "cb" + strconv.FormatInt(id, 10), From: tgFrom(chat), Data: data,
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
			ID: msgID, Date: int(time.Now().Unix()), Chat: models.Chat{ID: chat, Type: models.ChatTypePrivate},
		}},
	}})
}

// awaitTelegram polls cond until it holds or a deadline passes.
func awaitTelegram(ctx context.Context, what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s", what)
		case <-time.After(15 * time.Millisecond):
		}
	}
	return nil
}

// button is the data of the first button on message msgID of chat whose
// data starts with prefix.
func (f *telegramFront) button(chat int64, msgID int, prefix string) (string, bool) {
	m := f.api.Message(chat, msgID)
	if m == nil {
		return "", false
	}
	for _, row := range m.Keyboard {
		for _, b := range row {
			if strings.HasPrefix(b.CallbackData, prefix) {
				return b.CallbackData, true
			}
		}
	}
	return "", false
}

// buyNumber walks one customer through buying a WhatsApp number for
// country 187 (/start, /buy, the typed name, the country pages, confirm,
// pay), like a person would: each update waits for the bot's answer
// to the previous one, and consecutive updates go to different instances
// (first, first+1, ...), so the typed search is answered by an instance
// that did not start it, from the session in Redis. It returns the order's
// short id.
func (f *telegramFront) buyNumber(ctx context.Context, chat int64, first int) (string, error) {
	step := first
	base := func() string { step++; return f.bases[(step-1)%len(f.bases)] }
	sent := func(n int) func() bool { return func() bool { return len(f.api.SentTo(chat)) >= n } }
	has := func(msgID int, prefix string) func() bool {
		return func() bool { _, ok := f.button(chat, msgID, prefix); return ok }
	}

	// /start: the menu (message 1).
	if err := f.send(base(), chat, "/start"); err != nil {
		return "", err
	}
	if err := awaitTelegram(ctx, fmt.Sprintf("chat %d: the menu", chat), sent(1)); err != nil {
		return "", err
	}
	// /buy: the service list (message 2), and a session waiting for a
	// typed service name.
	if err := f.send(base(), chat, "/buy"); err != nil {
		return "", err
	}
	if err := awaitTelegram(ctx, fmt.Sprintf("chat %d: the service list", chat), sent(2)); err != nil {
		return "", err
	}
	// The typed name, on the next instance: only the session tells it that
	// this text is a search (without it the answer is the menu).
	if err := f.send(base(), chat, "WhatsApp"); err != nil {
		return "", err
	}
	if err := awaitTelegram(ctx, fmt.Sprintf("chat %d: the search answer", chat), sent(3)); err != nil {
		return "", err
	}
	countries, ok := f.button(chat, 3, "sc:wa:")
	if !ok {
		return "", fmt.Errorf("chat %d: the typed search was not answered with results (session lost between instances?); got:\n%s",
			chat, f.api.Message(chat, 3).Text)
	}
	// Countries (paged until country 187 shows), confirm, pay: each press
	// edits message 3.
	for page := 0; ; page++ {
		if err := f.press(base(), chat, 3, countries); err != nil {
			return "", err
		}
		shown := func() bool {
			_, ok := f.button(chat, 3, "sb:wa:187")
			_, next := f.button(chat, 3, "sc:wa:"+strconv.Itoa(page+1))
			return ok || next
		}
		if err := awaitTelegram(ctx, fmt.Sprintf("chat %d: page %d of the country list", chat, page), shown); err != nil {
			return "", fmt.Errorf("%w; message 3 is %+v", err, f.api.Message(chat, 3))
		}
		if _, ok := f.button(chat, 3, "sb:wa:187"); ok {
			break
		}
		countries, _ = f.button(chat, 3, "sc:wa:"+strconv.Itoa(page+1))
	}
	ask, _ := f.button(chat, 3, "sb:wa:187")
	if err := f.press(base(), chat, 3, ask); err != nil {
		return "", err
	}
	if err := awaitTelegram(ctx, fmt.Sprintf("chat %d: the confirm screen", chat), has(3, "sy:wa:187:")); err != nil {
		return "", err
	}
	pay, _ := f.button(chat, 3, "sy:wa:187:")
	if err := f.press(base(), chat, 3, pay); err != nil {
		return "", err
	}
	if err := awaitTelegram(ctx, fmt.Sprintf("chat %d: the number screen", chat), has(3, "nx:")); err != nil {
		return "", err
	}
	cancel, _ := f.button(chat, 3, "nx:")
	return strings.TrimPrefix(cancel, "nx:"), nil
}

// sentContaining counts the messages sent (not edits) to chat whose text
// contains s.
func sentContaining(api *bottest.Server, chat int64, s string) int {
	n := 0
	for _, text := range api.SentTo(chat) {
		if strings.Contains(text, s) {
			n++
		}
	}
	return n
}
