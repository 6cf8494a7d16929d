package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// demoTelegramID is the demo user's (fake) Telegram id.
const demoTelegramID = 1000001

// setupDemo makes a funded demo user (once) and a fresh API key, and prints
// how to try the API.
func setupDemo(ctx context.Context, a *app, addr net.Addr, simBase string, stdout io.Writer) error {
	u, _, err := a.users.Ensure(ctx, core.NewUser{TelegramID: demoTelegramID, Username: "demo"})
	if err != nil {
		return fmt.Errorf("demo user: %w", err)
	}
	if _, err := a.ledger.TopUp(ctx, u.ID, decimal.NewFromInt(50000), "demo:initial-topup", "demo funds"); err != nil {
		return fmt.Errorf("demo top-up: %w", err)
	}
	key, _, err := a.keys.Issue(ctx, u.ID, "demo")
	if err != nil {
		return fmt.Errorf("demo key: %w", err)
	}
	base := "http://" + localURLHost(addr)
	fmt.Fprintf(stdout, "\nacc-gen demo is running on %s\n", base)
	fmt.Fprintf(stdout, "Demo API key (user %d, funded with ₦50,000): %s\n", u.ID, key)
	fmt.Fprintf(stdout, "Try:\n  curl -H 'X-API-Key: %s' %s/api/v1/user/balance\n", key, base)
	fmt.Fprintf(stdout, "  curl -H 'X-API-Key: %s' -H 'Content-Type: application/json' -d '{\"service_id\":\"wa\",\"country_id\":187}' %s/api/v1/sms/orders\n", key, base)
	if simBase != "" {
		fmt.Fprintf(stdout, "The simulated upstream is at %s (it texts each new number a code after ACCGEN_SIM_AUTO_SMS_AFTER, 20s by default;\n"+
			"  send one yourself: curl -d '{\"activation_id\":\"<id>\",\"text\":\"Your code is 123456\"}' %s/sim/sms)\n", simBase, simBase)
	}
	fmt.Fprintln(stdout)
	return nil
}

// localURLHost turns a listen address such as [::]:8080 into 127.0.0.1:8080.
func localURLHost(addr net.Addr) string {
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", port)
}
