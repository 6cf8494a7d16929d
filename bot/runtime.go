package bot

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// webhookSecretHeader carries the secret Telegram was given in setWebhook.
const webhookSecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// WebhookHandler receives updates from Telegram in webhook mode. The
// library's own handler never writes a status and answers a bad secret with
// an implicit 200, so this one checks the secret first (in constant time;
// wrong or missing is 401), bounds the body, and answers 200 once the
// update is queued.
func (b *Bot) WebhookHandler() http.Handler {
	inner := b.api.WebhookHandler()
	secret := []byte(b.cfg.WebhookSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get(webhookSecretHeader))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		inner(w, r)
		w.WriteHeader(http.StatusOK)
	})
}

// registerWebhook points Telegram at WebhookURL, retrying until it works or
// ctx ends (Telegram may be unreachable at start).
func (b *Bot) registerWebhook(ctx context.Context) {
	delay := time.Second
	for {
		err := b.send.Do(ctx, func(ctx context.Context, api *tgbot.Bot) error {
			_, err := api.SetWebhook(ctx, &tgbot.SetWebhookParams{
				URL: b.cfg.WebhookURL, SecretToken: b.cfg.WebhookSecret,
				AllowedUpdates: []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery, models.AllowedUpdateMyChatMember},
			})
			return err
		})
		if err == nil {
			b.logger.Info("telegram webhook registered", "path", b.WebhookPath())
			return
		}
		if ctx.Err() != nil {
			return
		}
		b.logger.Warn("setWebhook failed; retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Minute)
	}
}

// customerCommands and adminCommands make up the command menus.
var (
	customerCommands = []string{"start", "buy", "accounts", "balance", "orders", "api", "language", "help"}
	adminCommands    = []string{"topup", "deduct", "user", "refund", "products", "addproduct", "setprice", "stats", "broadcast"}
)

// setCommands installs the command menu: the customer commands for
// everyone (in each language Telegram can select by a two-letter code), and
// the admin commands too in each admin's chat only, so customers never see
// them. Failures are logged: the bot works without a menu.
func (b *Bot) setCommands(ctx context.Context) {
	set := func(names []string, lang string, scope models.BotCommandScope, code string) {
		p := b.printer(lang)
		cmds := make([]models.BotCommand, len(names))
		for i, n := range names {
			cmds[i] = models.BotCommand{Command: n, Description: p.t("cmd." + n)}
		}
		err := b.send.Do(ctx, func(ctx context.Context, api *tgbot.Bot) error {
			_, err := api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, Scope: scope, LanguageCode: code})
			return err
		})
		if err != nil && ctx.Err() == nil {
			b.logger.Warn("setMyCommands failed", "lang", lang, "err", err)
		}
	}
	set(customerCommands, "en", &models.BotCommandScopeDefault{}, "")
	for _, l := range []string{"yo", "ha", "ig"} { // "pcm" has no two-letter code
		set(customerCommands, l, &models.BotCommandScopeDefault{}, l)
	}
	all := append(append([]string{}, customerCommands...), adminCommands...)
	for id := range b.admins {
		set(all, "en", &models.BotCommandScopeChat{ChatID: id}, "")
	}
}

// apologize tells the user their request failed after a handler panicked.
func (b *Bot) apologize(ctx context.Context, upd *models.Update) {
	chat := updateChat(upd)
	var from *models.User
	switch {
	case upd.Message != nil:
		from = upd.Message.From
	case upd.CallbackQuery != nil:
		from = &upd.CallbackQuery.From
	}
	code := "en"
	if from != nil {
		code = lang(userFromTelegram(from))
	}
	text := b.printer(code).t("error.internal")
	if upd.CallbackQuery != nil {
		_ = b.send.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: upd.CallbackQuery.ID, Text: text, ShowAlert: true})
		return
	}
	if chat != 0 {
		_, _ = b.send.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chat, Text: text, ParseMode: models.ParseModeHTML})
	}
}
