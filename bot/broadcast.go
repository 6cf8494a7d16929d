package bot

import (
	"context"
	"strconv"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"accgen/core"
	"accgen/locales"
)

// Broadcast: /broadcast <text> queues one message per user who has not
// blocked the bot (one transaction, idempotent per admin message). The
// broadcast loop sends them through the Sender (≤ 25/s overall, 1/s per
// chat, 429 honoured, 403 marks the user blocked) and edits a progress
// message in the admin's chat; everything lives in PostgreSQL, so a restart
// carries on.

const (
	broadcastBatch       = 25
	progressEvery        = 2 * time.Second
	maxBroadcastTextRune = 3500
)

// broadcasts caches broadcast rows for their text (which never changes) and
// when each progress message was last edited.
type broadcasts struct {
	mu       sync.Mutex
	byID     map[int64]core.Broadcast
	reported map[int64]time.Time
}

func (r *req) cmdBroadcast(args string) {
	if args == "" {
		r.reply(r.p.t("admin.usage_broadcast"))
		return
	}
	if len([]rune(args)) > maxBroadcastTextRune {
		r.reply(r.p.t("admin.broadcast_too_long", "Max", maxBroadcastTextRune))
		return
	}
	ref := "tg-broadcast:" + strconv.FormatInt(r.chatID, 10) + ":" + strconv.Itoa(r.upd.Message.ID)
	bc, created, err := r.b.d.Store.CreateBroadcast(r.ctx, core.Broadcast{Reference: ref, AdminChatID: r.chatID, Text: args})
	if err != nil {
		r.fail(err)
		return
	}
	if !created {
		r.reply(r.p.t("admin.broadcast_exists"))
		return
	}
	prog, err := r.b.d.Store.BroadcastProgress(r.ctx, bc.ID)
	if err != nil {
		r.fail(err)
		return
	}
	id := r.send(screen{text: progressText(r.p, prog)})
	if id != 0 {
		if err := r.b.d.Store.SetBroadcastProgressMessage(r.ctx, bc.ID, id); err != nil {
			r.b.logger.WarnContext(r.ctx, "could not record the progress message", "err", err)
		}
	}
}

func progressText(p printer, prog core.BroadcastProgress) string {
	key := "admin.broadcast_progress"
	if prog.Done() {
		key = "admin.broadcast_done"
	}
	return p.t(key, "Sent", prog.Sent, "Blocked", prog.Blocked, "Failed", prog.Failed, "Total", prog.Total)
}

// DeliverBroadcasts sends one batch of broadcast messages, reports
// progress, and returns how many it settled.
func (b *Bot) DeliverBroadcasts(ctx context.Context) (int, error) {
	batch, err := b.d.Store.ClaimBroadcastMessages(ctx, outboxLease, broadcastBatch)
	if err != nil {
		return 0, err
	}
	if len(batch) == 0 {
		return 0, b.finishBroadcasts(ctx)
	}
	touched := map[int64]bool{}
	done := 0
	for i, n := range batch {
		if ctx.Err() != nil {
			b.release(ctx, batch[i:])
			break
		}
		touched[n.BroadcastID] = true
		b.settle(ctx, n, b.sendBroadcast(ctx, n))
		done++
	}
	for id := range touched {
		b.reportProgress(context.WithoutCancel(ctx), id)
	}
	return done, ctx.Err()
}

func (b *Bot) sendBroadcast(ctx context.Context, n core.Notification) error {
	if n.Blocked {
		return ErrBlocked
	}
	bc, err := b.broadcast(ctx, n.BroadcastID)
	if err != nil {
		return err
	}
	_, err = b.send.SendMessage(ctx, &tgbot.SendMessageParams{
		ChatID: n.ChatID, Text: esc(bc.Text), ParseMode: models.ParseModeHTML, LinkPreviewOptions: noPreview(),
	})
	return err
}

func (b *Bot) broadcast(ctx context.Context, id int64) (core.Broadcast, error) {
	b.bcast.mu.Lock()
	bc, ok := b.bcast.byID[id]
	b.bcast.mu.Unlock()
	if ok {
		return bc, nil
	}
	bc, err := b.d.Store.BroadcastByID(ctx, id)
	if err != nil {
		return bc, err
	}
	b.bcast.mu.Lock()
	b.bcast.byID[id] = bc
	b.bcast.mu.Unlock()
	return bc, nil
}

// reportProgress edits the admin's progress message, at most every couple
// of seconds, and finishes the broadcast (once) when nothing is pending.
// With a Locker, one instance at a time reads and reports, so the final
// report is the last edit; an instance that finds the lock taken skips,
// and the final report it may have owed is made by the next pass that
// finds the queue empty (finishBroadcasts).
func (b *Bot) reportProgress(ctx context.Context, id int64) {
	if b.d.Locker != nil {
		unlock, ok, err := b.d.Locker.TryLock(ctx, "bot-broadcast-progress:"+strconv.FormatInt(id, 10))
		if err != nil || !ok {
			return
		}
		defer unlock()
	}
	prog, err := b.d.Store.BroadcastProgress(ctx, id)
	if err != nil {
		b.logger.WarnContext(ctx, "broadcast progress", "broadcast", id, "err", err)
		return
	}
	if prog.Done() {
		finished, err := b.d.Store.FinishBroadcast(ctx, id)
		if err != nil || !finished {
			return // another worker reports it
		}
	} else {
		b.bcast.mu.Lock()
		last := b.bcast.reported[id]
		due := time.Since(last) >= progressEvery
		if due {
			b.bcast.reported[id] = time.Now()
		}
		b.bcast.mu.Unlock()
		if !due {
			return
		}
	}
	// Read afresh, not from the cache: the progress message id is recorded
	// after the broadcast is created, possibly after this worker (in this
	// instance or another) cached the row.
	bc, err := b.d.Store.BroadcastByID(ctx, id)
	if err != nil {
		b.logger.WarnContext(ctx, "broadcast progress", "broadcast", id, "err", err)
		return
	}
	if bc.ProgressMessageID == 0 && !prog.Done() {
		return // the admin's command has not posted its progress message yet
	}
	p := b.printer(locales.Default)
	if admin, err := b.d.Users.ByTelegramID(ctx, bc.AdminChatID); err == nil {
		p = b.printer(lang(admin))
	}
	text := progressText(p, prog)
	if bc.ProgressMessageID == 0 {
		_, err = b.send.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: bc.AdminChatID, Text: text, ParseMode: models.ParseModeHTML})
	} else {
		err = b.send.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: bc.AdminChatID, MessageID: bc.ProgressMessageID, Text: text, ParseMode: models.ParseModeHTML})
	}
	if err != nil {
		b.logger.WarnContext(ctx, "could not report broadcast progress", "broadcast", id, "err", err)
	}
}

// finishBroadcasts closes broadcasts whose last messages were settled by a
// worker that stopped before reporting.
func (b *Bot) finishBroadcasts(ctx context.Context) error {
	open, err := b.d.Store.UnfinishedBroadcasts(ctx)
	if err != nil {
		return err
	}
	for _, bc := range open {
		b.reportProgress(ctx, bc.ID)
	}
	return nil
}
