package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// cmdAdmin runs the operator commands. Each prints exactly one value on
// stdout (an id, a key, a balance) so scripts can capture it.
func cmdAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return usageError("usage: accgen admin user create | apikey create | topup | product create | stock import ...")
	}
	var sub string
	var rest []string
	if args[0] == "topup" {
		sub, rest = "topup", args[1:]
	} else {
		sub, rest = args[0]+" "+args[1], args[2:]
	}
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// check validates the arguments before anything connects; do runs the
	// command against the database.
	check := func() error { return nil }
	var do func(a *app) error
	switch sub {
	case "user create":
		telegramID := fs.Int64("telegram-id", 0, "Telegram user id (required)")
		username := fs.String("username", "", "Telegram username, without @")
		check = func() error {
			if *telegramID <= 0 {
				return usageError("admin user create: --telegram-id is required and must be positive")
			}
			return nil
		}
		do = func(a *app) error {
			u, _, err := a.users.Ensure(ctx, core.NewUser{TelegramID: *telegramID, Username: strings.TrimPrefix(*username, "@")})
			if err != nil {
				return clientMessage(err)
			}
			_, err = fmt.Fprintln(stdout, u.ID)
			return err
		}
	case "apikey create":
		userID := fs.Int64("user", 0, "user id (required)")
		name := fs.String("name", "", "a name to recognise the key by")
		check = func() error {
			if *userID <= 0 {
				return usageError("admin apikey create: --user is required")
			}
			return nil
		}
		do = func(a *app) error {
			key, _, err := a.keys.Issue(ctx, *userID, *name)
			if err != nil {
				return clientMessage(err)
			}
			_, err = fmt.Fprintln(stdout, key)
			return err
		}
	case "topup":
		userID := fs.Int64("user", 0, "user id (required)")
		amount := fs.String("amount", "", "NGN amount, e.g. 5000 or 1250.50 (required)")
		reference := fs.String("reference", "", "idempotency reference: the same one never credits twice")
		var amt decimal.Decimal
		check = func() error {
			if *userID <= 0 {
				return usageError("admin topup: --user is required")
			}
			var err error
			if amt, err = core.ParseAmount("--amount", *amount); err != nil {
				return usageError("admin topup: %s", core.ErrorMessage(err))
			}
			return nil
		}
		do = func(a *app) error {
			ref := strings.TrimSpace(*reference)
			if ref == "" {
				ref = "cli:" + randomHex(12)
			} else {
				ref = "admin:" + ref
			}
			tx, err := a.ledger.TopUp(ctx, *userID, amt, ref, "admin CLI top-up")
			if err != nil {
				return clientMessage(err)
			}
			if tx.Replayed {
				fmt.Fprintf(stderr, "reference %q was already applied; nothing credited\n", *reference)
			}
			_, err = fmt.Fprintln(stdout, core.FormatNGN(tx.Balance))
			return err
		}
	case "product create":
		check, do = adminProductCreate(ctx, fs, stdout)
	case "stock import":
		check, do = adminStockImport(ctx, fs, stdout, stderr)
	case "price set", "price clear":
		check, do = adminPrice(ctx, sub, fs, stdout)
	default:
		return usageError("unknown admin command %q", sub)
	}
	if err := fs.Parse(rest); err != nil {
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("admin %s: unexpected argument %q", sub, fs.Arg(0))
	}
	if err := check(); err != nil {
		return err
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
	return do(a)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
