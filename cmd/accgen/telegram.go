package main

import (
	"log/slog"

	"accgen/bot"
	"accgen/core"
	"accgen/core/metrics"
	"accgen/locales"
	"accgen/storage/redis"
)

// startBot builds the Telegram storefront when ACCGEN_TELEGRAM_TOKEN is set
// (nil otherwise). It receives updates by long polling, or through the main
// HTTP server when ACCGEN_TELEGRAM_WEBHOOK_URL is set (routes mounts
// WebhookHandler at WebhookPath).
func startBot(cfg Config, a *app, sms *core.SMS, webhooks *core.Webhooks, tester bot.WebhookTester, rdb *redis.Client, m *metrics.Metrics, logger *slog.Logger) (*bot.Bot, error) {
	if cfg.TelegramToken == "" {
		return nil, nil
	}
	catalog, err := locales.Load()
	if err != nil {
		return nil, err
	}
	return bot.New(bot.Config{
		Token:             cfg.TelegramToken,
		APIURL:            cfg.TelegramAPIURL,
		WebhookURL:        cfg.TelegramWebhookURL,
		WebhookSecret:     cfg.TelegramWebhookSecret,
		Admins:            cfg.AdminTelegramIDs,
		TopUpInstructions: cfg.TopUpInstructions,
		BalanceAlert:      cfg.UpstreamBalanceAlert,
		NumberTTL:         cfg.SMSTTL,
		Logger:            logger.With("component", "bot"),
		OnUpdate:          m.BotUpdate,
	}, bot.Deps{
		Users: a.users, Keys: a.keys, Ledger: a.ledger, SMS: sms, Inventory: a.inventory,
		Webhooks: webhooks, WebhookTester: tester, Tx: a.db, Store: a.db,
		Sessions: redis.NewSessions(rdb), Locales: catalog, Locker: a.db,
	})
}

// smsEvents is who hears about each SMS: webhooks, and the bot when it runs.
func smsEvents(webhooks *core.Webhooks, b *bot.Bot) core.SMSEvents {
	if b == nil {
		return core.MultiSMSEvents{webhooks}
	}
	return core.MultiSMSEvents{webhooks, b}
}
