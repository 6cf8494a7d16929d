package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

// The bot's durable outbox (bot_outbox): customer notifications and
// broadcast messages, claimed by workers with SKIP LOCKED and a lease.

// EnqueueNotification queues n and reports whether it did: a dedupe key
// already queued (the same event told twice) adds nothing. It takes part in
// the caller's transaction, which is the point: the message is queued if
// and only if what it announces commits.
func (db *DB) EnqueueNotification(ctx context.Context, n core.Notification) (bool, error) {
	payload := n.Payload
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	tag, err := db.q(ctx).Exec(ctx, `INSERT INTO bot_outbox (dedupe_key, user_id, chat_id, kind, payload)
		VALUES (NULLIF($1, ''), NULLIF($2, 0), $3, $4, $5)
		ON CONFLICT (dedupe_key) DO NOTHING`, n.DedupeKey, n.UserID, n.ChatID, n.Kind, payload)
	return err == nil && tag.RowsAffected() == 1, mapErr(err)
}

// claimColumns are read from the claimed rows joined with their users.
const claimColumns = `c.id, COALESCE(c.user_id, 0), c.chat_id, c.kind, c.payload, COALESCE(c.dedupe_key, ''),
	COALESCE(c.broadcast_id, 0), c.attempts, COALESCE(u.language, u.telegram_language, ''), COALESCE(u.blocked_at IS NOT NULL, false)`

func collectNotifications(rows pgx.Rows, err error) ([]core.Notification, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.Notification, error) {
		var n core.Notification
		err := r.Scan(&n.ID, &n.UserID, &n.ChatID, &n.Kind, &n.Payload, &n.DedupeKey, &n.BroadcastID,
			&n.Attempts, &n.Language, &n.Blocked)
		return n, err
	})
	return out, mapErr(err)
}

// ClaimNotifications leases up to limit due customer notifications (not
// broadcast messages), oldest first.
func (db *DB) ClaimNotifications(ctx context.Context, lease time.Duration, limit int) ([]core.Notification, error) {
	return db.claim(ctx, `broadcast_id IS NULL`, `next_attempt_at, id`, lease, limit)
}

// ClaimBroadcastMessages leases up to limit due broadcast messages, the
// oldest broadcast first.
func (db *DB) ClaimBroadcastMessages(ctx context.Context, lease time.Duration, limit int) ([]core.Notification, error) {
	return db.claim(ctx, `broadcast_id IS NOT NULL`, `broadcast_id, id`, lease, limit)
}

func (db *DB) claim(ctx context.Context, filter, order string, lease time.Duration, limit int) ([]core.Notification, error) {
	return collectNotifications(db.q(ctx).Query(ctx, `
		WITH claimed AS (
			UPDATE bot_outbox o SET attempts = o.attempts + 1, lease_until = now() + $1::interval
			WHERE o.id IN (
				SELECT id FROM bot_outbox
				WHERE state = 'pending' AND `+filter+` AND next_attempt_at <= now()
				  AND (lease_until IS NULL OR lease_until < now())
				ORDER BY `+order+` LIMIT $2 FOR UPDATE SKIP LOCKED)
			RETURNING o.*
		)
		SELECT `+claimColumns+` FROM claimed c LEFT JOIN users u ON u.id = c.user_id ORDER BY c.`+order, lease, limit))
}

// SettleNotification records a claimed message's final state (sent,
// blocked or failed).
func (db *DB) SettleNotification(ctx context.Context, id int64, state, errText string) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE bot_outbox SET state = $2, lease_until = NULL, last_error = NULLIF($3, ''),
		sent_at = CASE WHEN $2 = 'sent' THEN now() END WHERE id = $1`, id, state, errText)
	return mapErr(err)
}

// RetryNotification puts a claimed message back, due at at.
func (db *DB) RetryNotification(ctx context.Context, id int64, at time.Time, errText string) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE bot_outbox SET lease_until = NULL, next_attempt_at = $2, last_error = NULLIF($3, '')
		WHERE id = $1`, id, at, errText)
	return mapErr(err)
}

// ReleaseNotifications hands claimed messages that were never tried back at
// once (a worker stopping), without counting an attempt.
func (db *DB) ReleaseNotifications(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := db.q(ctx).Exec(ctx, `UPDATE bot_outbox SET lease_until = NULL, attempts = GREATEST(attempts - 1, 0)
		WHERE id = ANY($1) AND state = 'pending'`, ids)
	return mapErr(err)
}
