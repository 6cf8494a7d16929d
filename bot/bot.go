package bot

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/shopspring/decimal"

	"accgen/core"
	"accgen/locales"
)

// Config is the bot's configuration.
type Config struct {
	Token  string
	APIURL string // Bot API server (default https://api.telegram.org)
	// WebhookURL switches to webhook mode: Telegram POSTs updates there
	// (the main HTTP server mounts WebhookHandler at its path), with
	// WebhookSecret in a header. Empty means long polling.
	WebhookURL    string
	WebhookSecret string
	Admins        []int64 // Telegram user ids allowed the admin commands
	// TopUpInstructions is the operator's text on how to pay in (shown as
	// written on the balance screen).
	TopUpInstructions string
	NumberTTL         time.Duration // how long a number lives (shown before buying)
	Workers           int           // chats handled at once (default 8)
	HandlerTimeout    time.Duration // per update (default 30s)
	SessionTTL        time.Duration // how long a started prompt waits (default 30m)
	// CredentialsFileThreshold: credentials longer than this many bytes
	// are sent as a .txt document instead of a message (default 3000;
	// a message holds at most 4096 characters).
	CredentialsFileThreshold int
	Sender                   SenderConfig
	OutboxInterval           time.Duration // how often queued messages are looked for (default 1s)
	// BalanceAlert warns the admins when the upstream balance (in the
	// provider's currency) is below it, checked every BalanceCheckEvery
	// (default 5m); zero turns the warning off.
	BalanceAlert      decimal.Decimal
	BalanceCheckEvery time.Duration
	Location          *time.Location
	HTTPClient        *http.Client // Bot API and file downloads
	Logger            *slog.Logger
	Now               func() time.Time
	// OnUpdate, when set, hears of every update received: its kind
	// (message, callback_query, my_chat_member, other) and how handling
	// ended (ok, timeout, panic, dropped). core/metrics.BotUpdate fits.
	OnUpdate func(kind, result string)
}

// Store is what the bot keeps in PostgreSQL besides the engine's state
// (storage/postgres.DB implements it). Methods take part in the transaction
// carried by ctx.
type Store interface {
	// EnqueueNotification queues a message; a dedupe key already queued
	// adds nothing (reported false).
	EnqueueNotification(ctx context.Context, n core.Notification) (bool, error)
	ClaimNotifications(ctx context.Context, lease time.Duration, limit int) ([]core.Notification, error)
	ClaimBroadcastMessages(ctx context.Context, lease time.Duration, limit int) ([]core.Notification, error)
	SettleNotification(ctx context.Context, id int64, state, errText string) error
	RetryNotification(ctx context.Context, id int64, at time.Time, errText string) error
	ReleaseNotifications(ctx context.Context, ids []int64) error

	// CreateBroadcast queues a message per user not blocking the bot; a
	// reference used before returns that broadcast, created false.
	CreateBroadcast(ctx context.Context, b core.Broadcast) (core.Broadcast, bool, error)
	BroadcastByID(ctx context.Context, id int64) (core.Broadcast, error)
	SetBroadcastProgressMessage(ctx context.Context, id int64, messageID int) error
	BroadcastProgress(ctx context.Context, id int64) (core.BroadcastProgress, error)
	// FinishBroadcast reports whether this call marked it finished.
	FinishBroadcast(ctx context.Context, id int64) (bool, error)
	UnfinishedBroadcasts(ctx context.Context) ([]core.Broadcast, error)

	// FindOrder resolves an 8-digit SMS id or an order UUID (CodeNotFound).
	FindOrder(ctx context.Context, ref string) (core.OrderRef, error)
	UserSummary(ctx context.Context, userID int64) (core.UserSummary, error)
	SalesStats(ctx context.Context, since time.Time) (core.SalesStats, error)
}

// WebhookTester sends a reseller's endpoint a test event now
// (core/webhook.Dispatcher implements it).
type WebhookTester interface {
	Test(ctx context.Context, apiKeyID int64) (core.WebhookAttempt, error)
}

// Deps are the services the bot drives.
type Deps struct {
	Users         *core.Users
	Keys          *core.Keys
	Ledger        *core.Ledger
	SMS           *core.SMS
	Inventory     *core.Inventory
	Webhooks      *core.Webhooks
	WebhookTester WebhookTester
	Tx            core.Transactor
	Store         Store
	Sessions      SessionStore
	Locales       *locales.Catalog
	// Locker, when set, lets one instance at a time report a broadcast's
	// progress (storage/postgres.DB implements it). Several instances
	// need it: otherwise one could overwrite the final report with a
	// progress figure it read just before.
	Locker core.Locker
}

// Bot is the Telegram storefront.
type Bot struct {
	cfg    Config
	d      Deps
	api    *tgbot.Bot
	send   *Sender
	serial *serializer
	logger *slog.Logger
	admins map[int64]bool
	bcast  broadcasts
}

// New builds the bot; nothing talks to Telegram until Run.
func New(cfg Config, d Deps) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("bot: no token")
	}
	if cfg.WebhookURL != "" && cfg.WebhookSecret == "" {
		return nil, errors.New("bot: webhook mode needs a secret")
	}
	cfg.APIURL = cmp.Or(cfg.APIURL, "https://api.telegram.org")
	cfg.NumberTTL = cmp.Or(cfg.NumberTTL, 20*time.Minute)
	cfg.Workers = cmp.Or(cfg.Workers, 8)
	cfg.HandlerTimeout = cmp.Or(cfg.HandlerTimeout, 30*time.Second)
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, 30*time.Minute)
	cfg.CredentialsFileThreshold = cmp.Or(cfg.CredentialsFileThreshold, 3000)
	cfg.OutboxInterval = cmp.Or(cfg.OutboxInterval, time.Second)
	cfg.BalanceCheckEvery = cmp.Or(cfg.BalanceCheckEvery, 5*time.Minute)
	if cfg.Location == nil {
		cfg.Location = time.FixedZone("WAT", 3600) // Nigeria, no daylight saving
	}
	if cfg.HTTPClient == nil {
		// Longer than the 60 s long poll, so polling is not cut short.
		cfg.HTTPClient = &http.Client{Timeout: 75 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Bot{cfg: cfg, d: d, logger: cfg.Logger, admins: map[int64]bool{},
		bcast: broadcasts{byID: map[int64]core.Broadcast{}, reported: map[int64]time.Time{}}}
	for _, id := range cfg.Admins {
		b.admins[id] = true
	}
	b.serial = newSerializer(cfg.Workers, 50, cfg.HandlerTimeout, cfg.Logger)
	b.serial.onPanic = b.apologize
	if cfg.OnUpdate != nil {
		b.serial.onDone = func(upd *models.Update, result string) { cfg.OnUpdate(updateKind(upd), result) }
	}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(cfg.APIURL),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(time.Minute, cfg.HTTPClient),
		// One dispatcher goroutine hands updates to the serialiser in
		// Telegram's order; the serialiser provides the concurrency.
		tgbot.WithWorkers(1),
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithMiddlewares(recoverMiddleware(cfg.Logger), b.serial.middleware),
		tgbot.WithDefaultHandler(b.dispatch),
		tgbot.WithAllowedUpdates(tgbot.AllowedUpdates{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery, models.AllowedUpdateMyChatMember}),
		tgbot.WithErrorsHandler(func(err error) { cfg.Logger.Warn("telegram", "err", err) }),
	)
	if err != nil {
		return nil, err
	}
	b.api = api
	sc := cfg.Sender
	sc.Logger = cmp.Or(sc.Logger, cfg.Logger)
	sc.OnBlocked = b.markBlocked
	b.send = NewSender(api, sc)
	return b, nil
}

// Run receives updates (long polling, or the webhook) and delivers queued
// messages until ctx ends, then lets in-flight handlers finish.
func (b *Bot) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	// Menus are set in the background: an unreachable Telegram must not
	// hold up receiving updates.
	wg.Go(func() { b.setCommands(ctx) })
	wg.Go(func() { b.RunOutbox(ctx) })
	wg.Go(func() { b.runBalanceWatch(ctx) })
	if b.cfg.WebhookURL != "" {
		wg.Go(func() { b.registerWebhook(ctx) })
		b.api.StartWebhook(ctx)
	} else {
		if err := b.send.Do(ctx, func(ctx context.Context, api *tgbot.Bot) error {
			_, err := api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
			return err
		}); err != nil && ctx.Err() == nil {
			b.logger.Warn("could not clear a previous webhook; polling anyway", "err", err)
		}
		b.api.Start(ctx)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.HandlerTimeout)
	defer cancel()
	if err := b.serial.wait(wctx); err != nil {
		b.logger.Warn("stopped with handlers still running", "err", err)
	}
	wg.Wait()
	return nil
}

// ProcessUpdate hands one update to the bot, as polling and the webhook
// do; it returns before the update is handled (see WaitIdle).
func (b *Bot) ProcessUpdate(ctx context.Context, upd *models.Update) {
	b.api.ProcessUpdate(ctx, upd)
}

// WaitIdle waits until every update handed over so far has been handled.
func (b *Bot) WaitIdle(ctx context.Context) error { return b.serial.wait(ctx) }

// WebhookPath is where the webhook handler must be mounted: the path of
// WebhookURL ("" in polling mode).
func (b *Bot) WebhookPath() string {
	if b.cfg.WebhookURL == "" {
		return ""
	}
	u, err := url.Parse(b.cfg.WebhookURL)
	if err != nil || u.Path == "" || u.Path == "/" {
		return "/telegram/webhook"
	}
	return u.Path
}

// lang picks the language to speak to u in: theirs if they chose one, else
// Telegram's, else the default.
func lang(u core.User) string {
	if locales.Supported(u.Language) {
		return u.Language
	}
	if l := locales.Match(u.TelegramLanguage); l != "" {
		return l
	}
	return locales.Default
}

// printer returns a printer for a language code.
func (b *Bot) printer(code string) printer { return printer{b.d.Locales.Printer(code)} }

// markBlocked records a 403 from Telegram on the user's record.
func (b *Bot) markBlocked(ctx context.Context, chatID int64) {
	if err := b.d.Users.SetBlocked(ctx, chatID, true); err != nil {
		b.logger.WarnContext(ctx, "could not mark a user blocked", "chat", chatID, "err", err)
	}
}

// isAdmin reports whether a Telegram user may run admin commands.
func (b *Bot) isAdmin(telegramID int64) bool { return b.admins[telegramID] }
