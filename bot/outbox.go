package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"accgen/core"
	"accgen/locales"
)

// The outbox worker: delivers queued notifications, and broadcast messages
// on a separate loop so a long broadcast never delays a code. Rows are
// claimed with a lease; a stopping worker hands back what it did not try,
// and a crashed one's lease runs out, so a restart resumes where it
// stopped. A message whose send was cut off by a crash may be sent twice;
// one is never lost.

const (
	outboxLease         = time.Minute
	notificationBatch   = 20
	maxDeliveryAttempts = 10
)

// RunOutbox delivers queued messages until ctx ends.
func (b *Bot) RunOutbox(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { b.outboxLoop(ctx, "notifications", b.DeliverNotifications) })
	wg.Go(func() { b.outboxLoop(ctx, "broadcasts", b.DeliverBroadcasts) })
	wg.Wait()
}

func (b *Bot) outboxLoop(ctx context.Context, name string, pass func(context.Context) (int, error)) {
	t := time.NewTicker(b.cfg.OutboxInterval)
	defer t.Stop()
	for {
		n, err := pass(ctx)
		if err != nil && ctx.Err() == nil {
			b.logger.WarnContext(ctx, "outbox pass failed", "loop", name, "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if n > 0 && err == nil {
			continue // a full batch may mean more is waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DeliverNotifications sends one batch of due notifications and returns how
// many it settled.
func (b *Bot) DeliverNotifications(ctx context.Context) (int, error) {
	batch, err := b.d.Store.ClaimNotifications(ctx, outboxLease, notificationBatch)
	if err != nil {
		return 0, err
	}
	for i, n := range batch {
		if ctx.Err() != nil {
			b.release(ctx, batch[i:])
			return i, ctx.Err()
		}
		b.settle(ctx, n, b.sendNotification(ctx, n))
	}
	return len(batch), nil
}

func (b *Bot) sendNotification(ctx context.Context, n core.Notification) error {
	if n.Blocked {
		return ErrBlocked
	}
	s, err := renderNotification(b.printer(notificationLang(n.Language)), n)
	if err != nil {
		return errUndeliverable{err}
	}
	_, err = b.send.SendMessage(ctx, &tgbot.SendMessageParams{
		ChatID: n.ChatID, Text: s.text, ParseMode: models.ParseModeHTML, LinkPreviewOptions: noPreview(), ReplyMarkup: s.kb.markup(),
	})
	return err
}

// notificationLang picks a supported language from what the store knows
// (the chosen language, else Telegram's code).
func notificationLang(code string) string {
	if locales.Supported(code) {
		return code
	}
	if l := locales.Match(code); l != "" {
		return l
	}
	return locales.Default
}

// errUndeliverable marks a message that can never be sent (retrying is
// pointless).
type errUndeliverable struct{ err error }

func (e errUndeliverable) Error() string { return e.err.Error() }

// settle records the outcome of trying to send n.
func (b *Bot) settle(ctx context.Context, n core.Notification, err error) {
	sctx := context.WithoutCancel(ctx)
	var undeliverable errUndeliverable
	state, retryAt := "", time.Time{}
	switch {
	case err == nil:
		state = core.NotificationSent
	case errors.Is(err, ErrBlocked):
		state = core.NotificationBlocked
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		// Stopped while waiting for a rate-limit token: nothing was sent.
		b.release(sctx, []core.Notification{n})
		return
	case errors.As(err, &undeliverable) || errors.Is(err, tgbot.ErrorBadRequest) || n.Attempts >= maxDeliveryAttempts:
		state = core.NotificationFailed
	default:
		retryAt = time.Now().Add(min(time.Duration(1<<min(n.Attempts, 10))*5*time.Second, 10*time.Minute))
	}
	var serr error
	errText := ""
	if err != nil {
		errText = clip(err.Error(), 300)
	}
	if state != "" {
		serr = b.d.Store.SettleNotification(sctx, n.ID, state, errText)
	} else {
		serr = b.d.Store.RetryNotification(sctx, n.ID, retryAt, errText)
	}
	if serr != nil {
		b.logger.WarnContext(ctx, "could not record a delivery", "notification", n.ID, "err", serr)
	}
	if state == core.NotificationFailed {
		b.logger.WarnContext(ctx, "notification given up", "notification", n.ID, "kind", n.Kind, "err", err)
	}
}

// release hands claimed messages that were not tried back to the queue.
func (b *Bot) release(ctx context.Context, ns []core.Notification) {
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	if err := b.d.Store.ReleaseNotifications(context.WithoutCancel(ctx), ids); err != nil {
		b.logger.WarnContext(ctx, "could not release claimed messages; their lease will run out", "err", err)
	}
}
