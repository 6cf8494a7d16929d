package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

var _ core.WebhookStore = (*DB)(nil)

const endpointColumns = `api_key_id, url, secret, enabled, COALESCE(disabled_reason, ''), created_at, updated_at`

func scanEndpoint(row pgx.Row) (core.WebhookEndpoint, error) {
	var e core.WebhookEndpoint
	err := row.Scan(&e.APIKeyID, &e.URL, &e.Secret, &e.Enabled, &e.DisabledReason, &e.CreatedAt, &e.UpdatedAt)
	return e, err
}

// SaveWebhookEndpoint implements core.WebhookStore.
func (db *DB) SaveWebhookEndpoint(ctx context.Context, e core.WebhookEndpoint) (core.WebhookEndpoint, error) {
	out, err := scanEndpoint(db.q(ctx).QueryRow(ctx, `
		INSERT INTO webhook_endpoints (api_key_id, url, secret) VALUES ($1, $2, $3)
		ON CONFLICT (api_key_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret,
			enabled = true, disabled_reason = NULL, updated_at = now()
		RETURNING `+endpointColumns, e.APIKeyID, e.URL, e.Secret))
	return out, mapErr(err)
}

// WebhookEndpointByKey implements core.WebhookStore.
func (db *DB) WebhookEndpointByKey(ctx context.Context, apiKeyID int64) (core.WebhookEndpoint, error) {
	e, err := scanEndpoint(db.q(ctx).QueryRow(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE api_key_id = $1`, apiKeyID))
	return e, mapErr(err)
}

// DeleteWebhookEndpoint implements core.WebhookStore: the endpoint goes, and
// its undelivered events are marked failed.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, apiKeyID int64) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		tag, err := db.q(ctx).Exec(ctx, `DELETE FROM webhook_endpoints WHERE api_key_id = $1`, apiKeyID)
		if err != nil {
			return mapErr(err)
		}
		if tag.RowsAffected() == 0 {
			return core.Errorf(core.CodeNotFound, "No webhook URL is set for this API key.")
		}
		_, err = db.q(ctx).Exec(ctx, `UPDATE webhook_deliveries SET state = 'failed', last_error = 'webhook URL removed'
			WHERE api_key_id = $1 AND state = 'pending'`, apiKeyID)
		return mapErr(err)
	})
}

// EnqueueWebhook implements core.WebhookStore.
func (db *DB) EnqueueWebhook(ctx context.Context, d core.WebhookDelivery) (bool, error) {
	tag, err := db.q(ctx).Exec(ctx, `
		INSERT INTO webhook_deliveries (id, api_key_id, event, order_id, payload, next_attempt_at)
		SELECT $1, $2, $3, NULLIF($4, '')::uuid, $5, $6 FROM webhook_endpoints e
		WHERE e.api_key_id = $2 AND e.enabled
		ON CONFLICT (id) DO NOTHING`, d.ID, d.APIKeyID, d.Event, d.OrderID, d.Payload, d.NextAttemptAt)
	return err == nil && tag.RowsAffected() == 1, mapErr(err)
}

const deliveryColumns = `d.id, d.api_key_id, d.event, COALESCE(d.order_id::text, ''), d.payload, d.state, d.attempts,
	d.next_attempt_at, COALESCE(d.last_status, 0), COALESCE(d.last_error, ''), d.created_at, d.delivered_at`

func scanDelivery(row pgx.Row, extra ...any) (core.WebhookDelivery, error) {
	var d core.WebhookDelivery
	err := row.Scan(append([]any{&d.ID, &d.APIKeyID, &d.Event, &d.OrderID, &d.Payload, &d.State, &d.Attempts,
		&d.NextAttemptAt, &d.LastStatus, &d.LastError, &d.CreatedAt, &d.DeliveredAt}, extra...)...)
	return d, err
}

func collectClaimed(rows pgx.Rows, err error) ([]core.WebhookDelivery, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.WebhookDelivery, error) {
		var url, secret string
		d, err := scanDelivery(r, &url, &secret)
		d.URL, d.Secret = url, secret
		return d, err
	})
	return out, mapErr(err)
}

// ClaimWebhookDeliveries implements core.WebhookStore. SKIP LOCKED lets
// several workers (and instances) claim disjoint batches; the lease hides a
// claimed row until its attempt is recorded or the worker is presumed dead.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, lease time.Duration, limit int) ([]core.WebhookDelivery, error) {
	return collectClaimed(db.q(ctx).Query(ctx, `
		WITH due AS (
			SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.api_key_id = d.api_key_id AND e.enabled
			WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now())
			ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED
		)
		UPDATE webhook_deliveries d SET attempts = d.attempts + 1, lease_until = now() + $1::interval
		FROM due, webhook_endpoints e
		WHERE d.id = due.id AND e.api_key_id = d.api_key_id
		RETURNING `+deliveryColumns+`, e.url, e.secret`, lease, limit))
}

// ClaimWebhookDelivery implements core.WebhookStore.
func (db *DB) ClaimWebhookDelivery(ctx context.Context, id string, lease time.Duration) (core.WebhookDelivery, error) {
	out, err := collectClaimed(db.q(ctx).Query(ctx, `
		UPDATE webhook_deliveries d SET attempts = d.attempts + 1, lease_until = now() + $2::interval
		FROM webhook_endpoints e
		WHERE d.id = $1 AND e.api_key_id = d.api_key_id AND d.state = 'pending'
		RETURNING `+deliveryColumns+`, e.url, e.secret`, id, lease))
	if err == nil && len(out) == 0 {
		err = core.Errorf(core.CodeNotFound, "Delivery not found.")
	}
	if err != nil {
		return core.WebhookDelivery{}, err
	}
	return out[0], nil
}

// RecordWebhookAttempt implements core.WebhookStore.
func (db *DB) RecordWebhookAttempt(ctx context.Context, a core.WebhookAttempt, o core.WebhookOutcome) error {
	return db.InTx(ctx, func(ctx context.Context) error {
		q := db.q(ctx)
		_, err := q.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, url, status_code, latency_ms, error, at)
			VALUES ($1, $2, $3, NULLIF($4, 0), $5, NULLIF($6, ''), $7)`,
			a.DeliveryID, a.Attempt, a.URL, a.StatusCode, a.Latency.Milliseconds(), a.Error, a.At)
		if err != nil {
			return mapErr(err)
		}
		state := core.DeliveryFailed
		switch {
		case o.Delivered:
			state = core.DeliveryDelivered
		case o.RetryAt != nil:
			state = core.DeliveryPending
		}
		var keyID int64
		err = q.QueryRow(ctx, `UPDATE webhook_deliveries SET state = $2, lease_until = NULL,
				next_attempt_at = COALESCE($3, next_attempt_at), last_status = NULLIF($4, 0), last_error = NULLIF($5, ''),
				delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
			WHERE id = $1 RETURNING api_key_id`, a.DeliveryID, state, o.RetryAt, a.StatusCode, a.Error).Scan(&keyID)
		if err != nil || o.DisableEndpoint == "" {
			return mapErr(err)
		}
		_, err = q.Exec(ctx, `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now()
			WHERE api_key_id = $1`, keyID, o.DisableEndpoint)
		return mapErr(err)
	})
}

// ListWebhookDeliveries implements core.WebhookStore.
func (db *DB) ListWebhookDeliveries(ctx context.Context, apiKeyID int64, limit, offset int) ([]core.WebhookDelivery, int, error) {
	var total int
	if err := db.q(ctx).QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE api_key_id = $1`, apiKeyID).Scan(&total); err != nil {
		return nil, 0, mapErr(err)
	}
	rows, err := db.q(ctx).Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.api_key_id = $1
		ORDER BY d.seq DESC LIMIT $2 OFFSET $3`, apiKeyID, limit, offset)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.WebhookDelivery, error) { return scanDelivery(r) })
	return out, total, mapErr(err)
}

// WebhookDeliveryByID implements core.WebhookStore.
func (db *DB) WebhookDeliveryByID(ctx context.Context, id string) (core.WebhookDelivery, error) {
	d, err := scanDelivery(db.q(ctx).QueryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, core.Errorf(core.CodeNotFound, "Delivery not found.")
	}
	return d, mapErr(err)
}

// WebhookAttempts implements core.WebhookStore.
func (db *DB) WebhookAttempts(ctx context.Context, deliveryID string) ([]core.WebhookAttempt, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT delivery_id, attempt, url, COALESCE(status_code, 0), latency_ms, COALESCE(error, ''), at
		FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`, deliveryID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.WebhookAttempt, error) {
		var a core.WebhookAttempt
		var ms int64
		err := r.Scan(&a.DeliveryID, &a.Attempt, &a.URL, &a.StatusCode, &ms, &a.Error, &a.At)
		a.Latency = time.Duration(ms) * time.Millisecond
		return a, err
	})
	return out, mapErr(err)
}
