package main

import (
	"context"
	"fmt"
	"io"

	"accgen/storage/postgres"
)

// cmdLedger runs `ledger verify`: every invariant of the journal, a readable
// report, and exit status 1 when anything is wrong.
func cmdLedger(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 || args[0] != "verify" {
		return usageError("usage: accgen ledger verify")
	}
	cfg, logger, err := configAndLogger(getenv, stderr)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer a.Close()
	violations, err := a.db.VerifyLedger(ctx)
	if err != nil {
		return err
	}
	failed := map[string]int{}
	for _, v := range violations {
		failed[v.Check]++
	}
	for _, name := range postgres.InvariantNames() {
		status := "ok"
		if n := failed[name]; n > 0 {
			status = fmt.Sprintf("FAILED (%d)", n)
		}
		fmt.Fprintf(stdout, "%-50s %s\n", name, status)
	}
	for _, v := range violations {
		fmt.Fprintf(stdout, "  - %s: %s\n", v.Check, v.Detail)
	}
	if len(violations) > 0 {
		fmt.Fprintf(stdout, "ledger verify: %d violation(s)\n", len(violations))
		return exitError{code: 1}
	}
	fmt.Fprintln(stdout, "ledger verify: all invariants hold")
	return nil
}
