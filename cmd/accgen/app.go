package main

import (
	"context"
	"fmt"
	"log/slog"

	"accgen/core"
	"accgen/core/secret"
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
	// inventory sells accounts; without ACCGEN_ENCRYPTION_KEY its catalog
	// works but importing and selling credentials fail.
	inventory *core.Inventory
}

// openApp connects to PostgreSQL and, when migrate is set, brings the schema
// up to date (safe with several instances starting at once).
func openApp(ctx context.Context, cfg Config, logger *slog.Logger, migrate bool) (*app, error) {
	crypt, err := credentialCrypter(cfg)
	if err != nil {
		return nil, err
	}
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
	ledger := core.NewLedger(db)
	return &app{
		cfg:       cfg,
		logger:    logger,
		db:        db,
		users:     core.NewUsers(db),
		keys:      core.NewKeys(db, db),
		ledger:    ledger,
		inventory: core.NewInventory(db, db, ledger, crypt),
	}, nil
}

// credentialCrypter is the keyring over ACCGEN_ENCRYPTION_KEY (sealing) and
// ACCGEN_ENCRYPTION_KEYS_PREVIOUS (opening only), or nil without a key. A
// nil *secret.Keyring is kept out of the interface on purpose.
func credentialCrypter(cfg Config) (core.Crypter, error) {
	if len(cfg.EncryptionKey) == 0 {
		return nil, nil
	}
	kr, err := secret.NewKeyring(cfg.EncryptionKey, cfg.EncryptionKeysPrevious...)
	if err != nil {
		return nil, usageError("ACCGEN_ENCRYPTION_KEY: %v", err)
	}
	return kr, nil
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
