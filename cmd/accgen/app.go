package main

import (
	"context"
	"fmt"
	"log/slog"

	"accgen/core"
	"accgen/storage/postgres"
)

// app is the engine's wiring: the store and the domain services over it.
// Transports are added by serve.
type app struct {
	cfg    Config
	logger *slog.Logger
	db     *postgres.DB
	users  *core.Users
	keys   *core.Keys
	ledger *core.Ledger
}

// openApp connects to PostgreSQL and, when migrate is set, brings the schema
// up to date (safe with several instances starting at once).
func openApp(ctx context.Context, cfg Config, logger *slog.Logger, migrate bool) (*app, error) {
	db, err := postgres.Open(ctx, cfg.DatabaseURL, logger)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return &app{
		cfg:    cfg,
		logger: logger,
		db:     db,
		users:  core.NewUsers(db),
		keys:   core.NewKeys(db, db),
		ledger: core.NewLedger(db),
	}, nil
}

func (a *app) Close() { a.db.Close() }

// configAndLogger loads the configuration for a command; configuration
// errors are usage errors (exit 2) that name every bad variable.
func configAndLogger(getenv func(string) string, stderr interface{ Write([]byte) (int, error) }) (Config, *slog.Logger, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return Config{}, nil, usageError("invalid configuration:\n%v", err)
	}
	return cfg, cfg.logger(stderr), nil
}

// clientMessage renders an engine error for an operator at a terminal.
func clientMessage(err error) error {
	if core.ErrorCode(err) == core.CodeInternal {
		return err
	}
	return fmt.Errorf("%s", core.ErrorMessage(err))
}
