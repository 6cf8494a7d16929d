package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"accgen/core"
	"accgen/core/api"
	"accgen/core/httpx"
	"accgen/core/metrics"
	"accgen/core/stub"
	"accgen/core/upstream"
	"accgen/core/webhook"
	"accgen/storage/redis"
)

// serveHooks let tests observe a running server.
type serveHooks struct {
	onListen func(addr net.Addr)
}

// authFailureLimit is how many failed authentications one address may make.
var authFailureLimit = core.RateLimit{Requests: 30, Period: time.Minute}

// Background work cadence (polling follows ACCGEN_POLL_INTERVAL).
const (
	catalogRefreshEvery = time.Minute
	sweepEvery          = 5 * time.Second
)

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, hooks serveHooks) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "run the upstream simulator in-process and print a funded demo API key")
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	cfg, logger, err := configAndLogger(getenv, stderr)
	if err != nil {
		return err
	}
	if err := cfg.requireEncryptionKey(); err != nil {
		return usageError("%v", err) // serve sells stored credentials
	}
	if cfg.UpstreamURL == "" && !*demo {
		return usageError("ACCGEN_UPSTREAM_URL: is required (or run `accgen serve --demo` with the built-in simulator)")
	}
	if cfg.PprofAddr != "" {
		stop, err := startPprof(cfg.PprofAddr, logger)
		if err != nil {
			return fmt.Errorf("ACCGEN_PPROF_ADDR: %w", err)
		}
		defer stop()
	}
	a, err := openApp(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer a.Close()

	upstreamURL, upstreamKey := cfg.UpstreamURL, cfg.UpstreamAPIKey
	var simBase string
	if *demo && upstreamURL == "" {
		base, stopSim, err := startSim(ctx, getenv, logger)
		if err != nil {
			return err
		}
		defer stopSim()
		simBase, upstreamURL, upstreamKey = base, base+"/stubs/handler_api.php", getenv("ACCGEN_SIM_API_KEY")
		if upstreamKey == "" {
			upstreamKey = "sim-key"
		}
	}
	rdb, err := redis.New(cfg.RedisURL, cfg.RedisPrefix)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if err := rdb.Ping(ctx); err != nil {
		logger.Warn("redis is unreachable; serving with in-process rate limits until it returns", "err", err)
	}
	m := newMetrics(a.db, rdb, logger)
	a.inventory.ObserveBatches(m.SharedTransaction)
	sms, catalog, err := startSMS(ctx, a, upstreamURL, upstreamKey, m, logger)
	if err != nil {
		return err
	}

	webhooks := core.NewWebhooks(a.db, nil)
	dispatcher := webhook.New(a.db, webhooks, webhook.Config{
		AllowPrivate: cfg.WebhookAllowPrivate, Logger: logger.With("component", "webhook"), OnAttempt: m.WebhookAttempted,
	})
	tgBot, err := startBot(cfg, a, sms, webhooks, dispatcher, rdb, m, logger)
	if err != nil {
		return err
	}
	sms.SetEvents(smsEvents(webhooks, tgBot))
	if cfg.WebhookAllowPrivate {
		logger.Warn("ACCGEN_WEBHOOK_ALLOW_PRIVATE is on: webhooks may reach private and loopback addresses")
	}
	// One limiter and one failed-authentication guard for both front ends: a
	// key has one allowance and an address one failure count.
	limiter := redis.NewRateLimiter(rdb, cfg.RateLimit, logger)
	authGuard := httpx.NewAuthGuard(redis.NewRateLimiter(rdb, authFailureLimit, logger))
	restAPI := api.NewHandler(api.Deps{
		Keys:          a.keys,
		Wallets:       a.ledger,
		SMS:           sms,
		Accounts:      a.inventory,
		Webhooks:      webhooks,
		WebhookTester: dispatcher,
		Limiter:       limiter,
		Logger:        logger,
		AuthGuard:     authGuard,
	})
	stubHandler := stub.NewHandler(stub.Deps{
		Keys: a.keys, Wallets: a.ledger, SMS: sms, Limiter: limiter, AuthGuard: authGuard,
		Logger: logger.With("component", "stub"),
	})
	web := surface{rest: restAPI, stub: stubHandler, metrics: m,
		deps: map[string]pinger{"postgres": a.db, "redis": rdb}}
	if tgBot != nil && cfg.TelegramWebhookURL != "" {
		web.telegram, web.telegramPath = tgBot.WebhookHandler(), tgBot.WebhookPath()
	}
	handler := routes(logger, web)

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	logger.Info("listening", "addr", ln.Addr().String())
	if *demo {
		if err := setupDemo(ctx, a, ln.Addr(), simBase, stdout); err != nil {
			ln.Close()
			return err
		}
	}
	if hooks.onListen != nil {
		hooks.onListen(ln.Addr())
	}

	var wg sync.WaitGroup
	wctx, stopWorkers := context.WithCancel(ctx)
	wg.Go(func() { _ = catalog.Run(wctx, catalogRefreshEvery) })
	wg.Go(func() { _ = sms.RunWorkers(wctx, a.db, cfg.PollInterval, sweepEvery) })
	wg.Go(func() { _ = dispatcher.Run(wctx) })
	if tgBot != nil {
		wg.Go(func() { _ = tgBot.Run(wctx) })
	}
	err = serveUntil(ctx, ln, handler, logger)
	stopWorkers()
	wg.Wait()
	logger.Info("stopped")
	return err
}

// startSMS builds the upstream client, loads the catalog once (a failure is
// logged: the background refresh keeps trying) and the SMS engine.
func startSMS(ctx context.Context, a *app, upstreamURL, upstreamKey string, m *metrics.Metrics, logger *slog.Logger) (*core.SMS, *core.Catalog, error) {
	client, err := upstream.New(upstream.Config{BaseURL: upstreamURL, APIKey: upstreamKey, Timeout: 15 * time.Second,
		HTTPClient: &http.Client{Transport: m.UpstreamTransport(nil)}, Logger: logger.With("component", "upstream")})
	if err != nil {
		return nil, nil, fmt.Errorf("ACCGEN_UPSTREAM_URL: %w", err)
	}
	provider := upstream.NewProvider(client)
	catalog := core.NewCatalog(provider, a.db, core.Pricing{
		FXRate: a.cfg.FXRate, MarkupPercent: a.cfg.MarkupPercent, Step: a.cfg.PriceStep,
	}, logger)
	lctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := catalog.Refresh(lctx); err != nil {
		logger.Warn("could not load the upstream catalog; retrying in the background", "err", err)
	}
	sms := core.NewSMS(a.db, a.db, a.ledger, catalog, provider, nil, core.SMSConfig{
		TTL: a.cfg.SMSTTL, KeepChargeAfterCode: !a.cfg.SMSRefundCompleted,
		PlacingTimeout: a.cfg.SMSPlacingTimeout, OrphanGrace: a.cfg.SMSOrphanGrace, BreakerCooldown: a.cfg.BreakerCooldown,
		OnPlaced: m.SMSPlaced, OnPoll: m.Polled, OnBatch: m.SharedTransaction,
	}, logger.With("component", "sms"))
	return sms, catalog, nil
}
