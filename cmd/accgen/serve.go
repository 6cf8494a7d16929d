package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"accgen/core/api"
	"accgen/storage/redis"
)

// serveHooks let tests observe a running server.
type serveHooks struct {
	onListen func(addr net.Addr)
}

// shutdownTimeout bounds how long in-flight requests get to finish.
const shutdownTimeout = 15 * time.Second

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, hooks serveHooks) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "create a funded demo user and print its API key")
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	cfg, logger, err := configAndLogger(getenv, stderr)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer a.Close()

	rdb, err := redis.New(cfg.RedisURL, "accgen:")
	if err != nil {
		return err
	}
	defer rdb.Close()
	if err := rdb.Ping(ctx); err != nil {
		logger.Warn("redis is unreachable; serving with in-process rate limits until it returns", "err", err)
	}

	restAPI := api.NewHandler(api.Deps{
		Keys:    a.keys,
		Wallets: a.ledger,
		Limiter: redis.NewRateLimiter(rdb, cfg.RateLimit, logger),
		Logger:  logger,
	})
	handler := routes(logger, restAPI, map[string]pinger{"postgres": a.db, "redis": rdb})

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	logger.Info("listening", "addr", ln.Addr().String())
	if *demo {
		if err := setupDemo(ctx, a, ln.Addr(), stdout); err != nil {
			ln.Close()
			return err
		}
	}
	if hooks.onListen != nil {
		hooks.onListen(ln.Addr())
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		logger.Info("shutting down; finishing in-flight requests", "timeout", shutdownTimeout)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), shutdownTimeout)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	err = g.Wait()
	logger.Info("stopped")
	return err
}
