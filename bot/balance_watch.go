package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// kindLowBalance warns the admins that the upstream account is running dry:
// when it is empty every purchase fails (and is refunded), so the shop sells
// nothing until an operator pays the provider.
const kindLowBalance = "low_balance"

type lowBalancePayload struct {
	Balance   decimal.Decimal `json:"balance"`
	Threshold decimal.Decimal `json:"threshold"`
}

// CheckUpstreamBalance queues a warning to every admin when the upstream
// balance is below the configured threshold; at most one per admin per hour
// (the dedupe key carries the hour), however many instances check.
func (b *Bot) CheckUpstreamBalance(ctx context.Context) (bool, error) {
	if !b.cfg.BalanceAlert.IsPositive() || len(b.cfg.Admins) == 0 {
		return false, nil
	}
	bal, err := b.d.SMS.ProviderBalance(ctx)
	if err != nil {
		return false, err
	}
	if !bal.LessThan(b.cfg.BalanceAlert) {
		return false, nil
	}
	hour := b.cfg.Now().UTC().Format("2006010215")
	for _, admin := range b.cfg.Admins {
		// An admin's private chat id is their user id.
		if err := b.enqueue(ctx, 0, admin, kindLowBalance, fmt.Sprintf("low-balance:%d:%s", admin, hour),
			lowBalancePayload{Balance: bal, Threshold: b.cfg.BalanceAlert}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// runBalanceWatch checks the upstream balance every BalanceCheckEvery.
func (b *Bot) runBalanceWatch(ctx context.Context) {
	if !b.cfg.BalanceAlert.IsPositive() {
		return
	}
	t := time.NewTicker(b.cfg.BalanceCheckEvery)
	defer t.Stop()
	for {
		if _, err := b.CheckUpstreamBalance(ctx); err != nil && ctx.Err() == nil {
			b.logger.Warn("upstream balance check failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func renderLowBalance(p printer, payload []byte) (screen, error) {
	var l lowBalancePayload
	if err := json.Unmarshal(payload, &l); err != nil {
		return screen{}, err
	}
	return screen{text: p.t("notify.low_balance", "Balance", l.Balance.String(), "Threshold", l.Threshold.String())}, nil
}
