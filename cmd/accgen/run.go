package main

import (
	"context"
	"fmt"
	"io"
)

const usage = `usage: accgen <command> [flags]

commands:
  serve [--demo]                 run the HTTP API, the stub endpoint, the bot and the workers
  sim                            run the upstream SMS-Activate simulator (ACCGEN_SIM_* variables)
  migrate [--create-database]    apply database migrations and exit
  keygen                         print a new random ACCGEN_ENCRYPTION_KEY
  admin user create --telegram-id N [--username U]
  admin apikey create --user ID [--name NAME]
  admin topup --user ID --amount 5000 [--reference R]
  admin product create --name N --category C --price P [--description D]
  admin stock import --product ID --file F
  admin price set --service wa [--country 187] --price 1500
  admin price clear --service wa [--country 187]
  ledger verify                  check every ledger invariant; exit 1 on any violation
  healthcheck                    exit 0 when the local server's /healthz answers (for containers)

configuration comes from ACCGEN_* environment variables (see README.md).
`

// run executes one accgen command. OS dependencies are parameters so tests
// can drive the binary's logic in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, getenv, stdout, stderr, serveHooks{})
	case "sim":
		return cmdSim(ctx, getenv, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stderr)
	case "keygen":
		return cmdKeygen(stdout)
	case "admin":
		return cmdAdmin(ctx, rest, getenv, stdout, stderr)
	case "ledger":
		return cmdLedger(ctx, rest, getenv, stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError("unknown command %q", cmd)
	}
}
