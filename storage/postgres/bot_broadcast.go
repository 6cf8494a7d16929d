package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

const broadcastColumns = `id, reference, admin_chat_id, COALESCE(progress_message_id, 0), text, created_at, finished_at`

func scanBroadcast(row pgx.Row) (core.Broadcast, error) {
	var b core.Broadcast
	err := row.Scan(&b.ID, &b.Reference, &b.AdminChatID, &b.ProgressMessageID, &b.Text, &b.CreatedAt, &b.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, core.Errorf(core.CodeNotFound, "Broadcast not found.")
	}
	return b, mapErr(err)
}

// CreateBroadcast records b and queues one message for every user who has
// not blocked the bot, in one transaction. A reference already used returns
// that broadcast with created false and queues nothing.
func (db *DB) CreateBroadcast(ctx context.Context, b core.Broadcast) (core.Broadcast, bool, error) {
	var (
		out     core.Broadcast
		created bool
	)
	err := db.InTx(ctx, func(ctx context.Context) error {
		q := db.q(ctx)
		var err error
		out, err = scanBroadcast(q.QueryRow(ctx, `INSERT INTO bot_broadcasts (reference, admin_chat_id, text)
			VALUES ($1, $2, $3) ON CONFLICT (reference) DO NOTHING RETURNING `+broadcastColumns,
			b.Reference, b.AdminChatID, b.Text))
		if core.ErrorCode(err) == core.CodeNotFound {
			out, err = scanBroadcast(q.QueryRow(ctx, `SELECT `+broadcastColumns+` FROM bot_broadcasts WHERE reference = $1`, b.Reference))
			return err
		}
		if err != nil {
			return err
		}
		created = true
		_, err = q.Exec(ctx, `INSERT INTO bot_outbox (user_id, chat_id, kind, broadcast_id)
			SELECT id, telegram_id, 'broadcast', $1 FROM users WHERE blocked_at IS NULL ORDER BY id`, out.ID)
		return mapErr(err)
	})
	return out, created, err
}

// BroadcastByID returns a broadcast (CodeNotFound if none).
func (db *DB) BroadcastByID(ctx context.Context, id int64) (core.Broadcast, error) {
	return scanBroadcast(db.q(ctx).QueryRow(ctx, `SELECT `+broadcastColumns+` FROM bot_broadcasts WHERE id = $1`, id))
}

// SetBroadcastProgressMessage remembers the admin's message that shows the
// progress, so a restarted worker keeps editing it.
func (db *DB) SetBroadcastProgressMessage(ctx context.Context, id int64, messageID int) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE bot_broadcasts SET progress_message_id = $2 WHERE id = $1`, id, messageID)
	return mapErr(err)
}

// BroadcastProgress counts a broadcast's messages by state.
func (db *DB) BroadcastProgress(ctx context.Context, id int64) (core.BroadcastProgress, error) {
	var p core.BroadcastProgress
	err := db.q(ctx).QueryRow(ctx, `SELECT count(*),
			count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state = 'blocked'),
			count(*) FILTER (WHERE state = 'failed'), count(*) FILTER (WHERE state = 'pending')
		FROM bot_outbox WHERE broadcast_id = $1`, id).Scan(&p.Total, &p.Sent, &p.Blocked, &p.Failed, &p.Pending)
	return p, mapErr(err)
}

// FinishBroadcast marks a broadcast finished when none of its messages is
// pending, and reports whether this call did it (so the final report is
// sent once even with several workers).
func (db *DB) FinishBroadcast(ctx context.Context, id int64) (bool, error) {
	tag, err := db.q(ctx).Exec(ctx, `UPDATE bot_broadcasts b SET finished_at = now()
		WHERE b.id = $1 AND b.finished_at IS NULL
		  AND NOT EXISTS (SELECT 1 FROM bot_outbox o WHERE o.broadcast_id = b.id AND o.state = 'pending')`, id)
	return err == nil && tag.RowsAffected() == 1, mapErr(err)
}

// UnfinishedBroadcasts lists broadcasts not marked finished, oldest first.
func (db *DB) UnfinishedBroadcasts(ctx context.Context) ([]core.Broadcast, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT `+broadcastColumns+` FROM bot_broadcasts WHERE finished_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.Broadcast, error) { return scanBroadcast(r) })
	return out, mapErr(err)
}
