package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"accgen/core/upstream/sim"
)

// simConfig reads the simulator's ACCGEN_SIM_* variables.
func simConfig(getenv func(string) string, logger *slog.Logger, autoSMSDefault time.Duration) (sim.Config, string, error) {
	e := envReader{getenv: getenv}
	addr := e.str("ACCGEN_SIM_ADDR", ":8090")
	cfg := sim.Config{
		APIKey:       e.str("ACCGEN_SIM_API_KEY", sim.DefaultAPIKey),
		AutoSMSAfter: e.optionalDuration("ACCGEN_SIM_AUTO_SMS_AFTER", autoSMSDefault),
		TTL:          e.duration("ACCGEN_SIM_TTL", sim.DefaultTTL),
		Logger:       logger,
		Seed:         1,
	}
	early := e.optionalDuration("ACCGEN_SIM_EARLY_CANCEL", sim.DefaultEarlyCancel)
	cfg.EarlyCancel = &early
	return cfg, addr, errors.Join(e.errs...)
}

// optionalDuration is a duration where 0 means "off".
func (e *envReader) optionalDuration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(e.getenv(name))
	if v == "" {
		return def
	}
	if v == "0" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.fail(name, "%q is not a duration such as 30s (0 turns it off)", v)
	}
	return d
}

// cmdSim runs the upstream simulator until ctx ends.
func cmdSim(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	base, err := loadConfig(getenv)
	if err != nil {
		return usageError("invalid configuration:\n%v", err)
	}
	logger := base.logger(stderr).With("component", "sim")
	cfg, addr, err := simConfig(getenv, logger, 0)
	if err != nil {
		return usageError("invalid configuration:\n%v", err)
	}
	s := sim.New(cfg)
	defer s.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	logger.Info("simulator listening", "addr", ln.Addr().String(), "protocol", "/stubs/handler_api.php", "control", "/sim/")
	return serveUntil(ctx, ln, s.Handler(), logger)
}

// startSim runs an in-process simulator on a loopback port for `serve
// --demo` and returns its base URL.
func startSim(ctx context.Context, getenv func(string) string, logger *slog.Logger) (string, func(), error) {
	cfg, _, err := simConfig(getenv, logger.With("component", "sim"), 20*time.Second)
	if err != nil {
		return "", nil, usageError("invalid configuration:\n%v", err)
	}
	s := sim.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close below
	stop := func() {
		_ = srv.Close()
		s.Close()
	}
	return "http://" + ln.Addr().String(), stop, nil
}
