package main

import (
	"context"
	"flag"
	"io"

	"accgen/storage/postgres"
)

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	create := fs.Bool("create-database", false, "create the database first when it does not exist")
	if err := fs.Parse(args); err != nil {
		return usageError("%v", err)
	}
	cfg, logger, err := configAndLogger(getenv, stderr)
	if err != nil {
		return err
	}
	if *create {
		created, err := postgres.CreateDatabase(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		if created {
			logger.Info("database created")
		}
	}
	a, err := openApp(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	a.Close()
	logger.Info("database is up to date")
	return nil
}
