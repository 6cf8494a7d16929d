package bot

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/coretest"
	"accgen/core/secret"
	"accgen/core/webhook"
	"accgen/locales"
	"accgen/storage/redis"
	"accgen/storage/redis/redistest"
)

// harness is a bot over a complete engine (real PostgreSQL, the upstream
// simulator on loopback, real Redis sessions) talking to a fake Bot API.
// Updates are fed one at a time and each is handled before the helper
// returns, so tests are deterministic.
type harness struct {
	t        *testing.T
	ctx      context.Context
	env      *coretest.Env
	tg       *fakeTG
	bot      *Bot
	deps     Deps
	cfg      Config
	inv      *core.Inventory
	webhooks *core.Webhooks
	updateID atomic.Int64
	msgID    atomic.Int64
}

type harnessOpts struct {
	admins   []int64
	sessions SessionStore // default: real Redis under a test prefix
	config   func(*Config)
}

// adminID is the Telegram id tests use for the operator.
const adminID = 9000001

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	env := coretest.New(t, coretest.Options{SMS: core.SMSConfig{TTL: 20 * time.Minute}})
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	kr, err := secret.NewKeyring(key)
	require.NoError(t, err)
	inv := core.NewInventory(env.DB, env.DB, env.Ledger, kr)
	webhooks := core.NewWebhooks(env.DB, nil)
	sessions := o.sessions
	if sessions == nil {
		sessions = redis.NewSessions(redistest.New(t))
	}
	h := &harness{t: t, ctx: context.Background(), env: env, tg: newFakeTG(t), inv: inv, webhooks: webhooks}
	h.deps = Deps{
		Users: env.Users, Keys: env.Keys, Ledger: env.Ledger, SMS: env.SMS, Inventory: inv,
		Webhooks: webhooks, WebhookTester: webhook.New(env.DB, webhooks, webhook.Config{AllowPrivate: true}),
		Tx: env.DB, Store: env.DB, Sessions: sessions, Locales: locales.MustLoad(),
	}
	h.cfg = Config{
		Token: testToken, APIURL: h.tg.URL(), Admins: o.admins, TopUpInstructions: "Pay to GTBank 0123456789",
		NumberTTL: 20 * time.Minute, Now: env.Clock.Now, Logger: testLogger(),
		// Interactive tests do not wait on Telegram's limits; the sender
		// and broadcast tests use the real ones.
		Sender: SenderConfig{GlobalRate: 10000, ChatRate: 10000, ChatBurst: 100},
	}
	if o.config != nil {
		o.config(&h.cfg)
	}
	h.bot = h.newBot()
	t.Cleanup(func() {
		require.Empty(t, h.tg.BadCallbackData(), "callback_data over 64 bytes")
		require.Empty(t, h.deps.Locales.Misses(), "messages missing from the catalog")
	})
	return h
}

// newBot builds a bot over the harness's engine and fake Telegram (a
// second call is a restart) and makes it the SMS event consumer.
func (h *harness) newBot() *Bot {
	b, err := New(h.cfg, h.deps)
	require.NoError(h.t, err)
	h.env.SMS.SetEvents(core.MultiSMSEvents{h.webhooks, b})
	return b
}

func testLogger() *slog.Logger {
	if os.Getenv("ACCGEN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// tgUser is a Telegram user of the tests.
type tgUser struct {
	ID       int64
	Name     string
	Username string
	Lang     string
}

func (u tgUser) model() *models.User {
	return &models.User{ID: u.ID, FirstName: u.Name, Username: u.Username, LanguageCode: u.Lang}
}

// process hands the bot an update and waits until it is handled.
func (h *harness) process(u *models.Update) {
	h.t.Helper()
	h.bot.ProcessUpdate(h.ctx, u)
	ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
	defer cancel()
	require.NoError(h.t, h.bot.WaitIdle(ctx))
}

// message builds a private text message from u.
func (h *harness) message(u tgUser, text string) *models.Update {
	m := &models.Message{ID: int(h.msgID.Add(1)), Date: int(time.Now().Unix()), From: u.model(),
		Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate}, Text: text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		m.Entities = []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: len(cmd)}}
	}
	return &models.Update{ID: h.updateID.Add(1), Message: m}
}

// send sends text (a command or an answer) as u.
func (h *harness) send(u tgUser, text string) { h.t.Helper(); h.process(h.message(u, text)) }

// click presses the newest button in u's chat whose data starts with
// prefix (the button must be on screen) and returns the data pressed.
func (h *harness) click(u tgUser, prefix string) string {
	h.t.Helper()
	msgID, data, ok := h.tg.FindButton(u.ID, prefix)
	require.True(h.t, ok, "no button %q on screen; screen is:\n%s", prefix, h.tg.Screen(u.ID))
	h.press(u, msgID, data)
	return data
}

// press sends a callback query for data on message msgID.
func (h *harness) press(u tgUser, msgID int, data string) {
	h.t.Helper()
	id := h.updateID.Add(1)
	h.process(&models.Update{ID: id, CallbackQuery: &models.CallbackQuery{
		ID: "cb" + strconv.FormatInt(id, 10), From: *u.model(), Data: data,
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
			ID: msgID, Date: int(time.Now().Unix()), Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate},
		}},
	}})
}

// user returns the engine's user for a Telegram user.
func (h *harness) user(u tgUser) core.User {
	h.t.Helper()
	usr, err := h.env.Users.ByTelegramID(h.ctx, u.ID)
	require.NoError(h.t, err)
	return usr
}

// fund credits u's wallet.
func (h *harness) fund(u tgUser, amount string) {
	h.t.Helper()
	usr, _, err := h.env.Users.Ensure(h.ctx, core.NewUser{TelegramID: u.ID, Username: u.Username})
	require.NoError(h.t, err)
	_, err = h.env.Ledger.TopUp(h.ctx, usr.ID, decimal.RequireFromString(amount), "test-fund-"+strconv.FormatInt(u.ID, 10)+"-"+amount, "")
	require.NoError(h.t, err)
}

// deliver runs the notification worker once.
func (h *harness) deliver() {
	h.t.Helper()
	_, err := h.bot.DeliverNotifications(h.ctx)
	require.NoError(h.t, err)
}

// text renders a message id in u's language for comparisons.
func (h *harness) text(lang, id string, kv ...any) string {
	return h.bot.printer(lang).t(id, kv...)
}

// answered counts answerCallbackQuery calls.
func (h *harness) answered() int { return len(h.tg.CallsOf("answerCallbackQuery")) }

// newDeadSessions is a session store whose Redis is not there.
func newDeadSessions() (*redis.Sessions, error) {
	c, err := redis.New("redis://127.0.0.1:1/0", "accgen-test-dead:")
	if err != nil {
		return nil, err
	}
	return redis.NewSessions(c), nil
}

// document sends a file as u, with a caption.
func (h *harness) document(u tgUser, caption, name, content string) {
	h.t.Helper()
	upd := h.message(u, "")
	fileID := "file" + strconv.FormatInt(upd.ID, 10)
	h.tg.AddFile(fileID, []byte(content))
	upd.Message.Caption = caption
	upd.Message.Document = &models.Document{FileID: fileID, FileUniqueID: fileID, FileName: name, FileSize: int64(len(content))}
	h.process(upd)
}

// lastSent is the newest message sent to u (not an edit).
func (h *harness) lastSent(u tgUser) string {
	h.t.Helper()
	sent := h.tg.SentTo(u.ID)
	require.NotEmpty(h.t, sent)
	return sent[len(sent)-1]
}
