package main

import (
	"context"
	"flag"
	"io"
)

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
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
	a.Close()
	logger.Info("database is up to date")
	return nil
}
