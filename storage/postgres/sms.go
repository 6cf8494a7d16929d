package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"accgen/core"
)

var _ core.SMSStore = (*DB)(nil)

const smsColumns = `o.id::text, o.short_id, o.user_id, COALESCE(o.api_key_id, 0), o.source, o.service_id, o.service_name,
	o.country_id, o.country_name, o.price_ngn, COALESCE(o.upstream_cost, 0), o.status, o.charge_reference,
	COALESCE(o.upstream_id, ''), COALESCE(o.phone, ''), COALESCE(o.sms_code, ''), COALESCE(o.sms_text, ''),
	o.awaiting_another, COALESCE(o.failure_reason, ''), o.created_at, o.expires_at, o.received_at, o.finished_at,
	o.closed_at, COALESCE(o.telegram_chat_id, 0), COALESCE(o.idempotency_key, ''), COALESCE(o.request_fingerprint, '')`

func scanSMS(row pgx.Row, extra ...any) (core.SMSOrder, error) {
	var o core.SMSOrder
	dest := []any{&o.ID, &o.ShortID, &o.UserID, &o.APIKeyID, &o.Source, &o.ServiceID, &o.ServiceName,
		&o.CountryID, &o.CountryName, &o.Price, &o.UpstreamCost, &o.Status, &o.ChargeReference,
		&o.UpstreamID, &o.Phone, &o.Code, &o.Text, &o.AwaitingAnother, &o.FailureReason, &o.CreatedAt,
		&o.ExpiresAt, &o.ReceivedAt, &o.FinishedAt, &o.ClosedAt, &o.TelegramChatID, &o.IdempotencyKey, &o.Fingerprint}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return o, err
	}
	return o, nil
}

func (db *DB) collectSMS(rows pgx.Rows, err error) ([]core.SMSOrder, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	orders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.SMSOrder, error) { return scanSMS(r) })
	return orders, mapErr(err)
}

// CreateSMSOrders implements core.SMSStore: BEGIN, the orders and their
// charges travel in one round trip and COMMIT follows (see pipeline.go), in
// wallet order so that two batches take their wallets in the same order.
func (db *DB) CreateSMSOrders(ctx context.Context, orders []core.NewSMSOrder) error {
	orders = slices.Clone(orders)
	slices.SortStableFunc(orders, func(a, b core.NewSMSOrder) int { return cmp.Compare(a.Order.UserID, b.Order.UserID) })
	b := &pgx.Batch{}
	statements := make([]postingStatement, len(orders))
	for i, n := range orders {
		st, err := db.postingStatement(ctx, n.Charge)
		if err != nil {
			return err
		}
		statements[i] = st
		o := n.Order
		b.Queue(`
			INSERT INTO sms_orders (id, short_id, user_id, api_key_id, source, service_id, service_name,
				country_id, country_name, price_ngn, status, charge_reference, idempotency_key,
				request_fingerprint, telegram_chat_id, created_at)
			VALUES ($1, $2, $3, NULLIF($4, 0), $5, $6, $7, $8, $9, $10, $11, $12, NULLIF($13, ''),
				NULLIF($14, ''), NULLIF($15, 0), $16)`,
			o.ID, o.ShortID, o.UserID, o.APIKeyID, o.Source, o.ServiceID, o.ServiceName,
			o.CountryID, o.CountryName, o.Price, o.Status, o.ChargeReference, o.IdempotencyKey,
			o.Fingerprint, o.TelegramChatID, o.CreatedAt)
		b.Queue(st.sql, st.args...)
	}
	return db.pipeline(ctx, b, func(br pgx.BatchResults) error {
		for i, n := range orders {
			o := n.Order
			_, err := br.Exec()
			switch constraintName(err) {
			case "sms_orders_short_id_key":
				return core.ErrShortIDTaken
			case "sms_orders_pkey":
				// The id's random part makes a collision with another order
				// impossible: this order was written before (a batch whose
				// outcome was not known). It is charged; never place it twice.
				return core.Internal(fmt.Errorf("sms order %s was already recorded", o.ID))
			case "sms_orders_idempotency_key":
				return core.ErrIdempotencyKeyTaken
			case "sms_orders_user_id_fkey":
				return core.Errorf(core.CodeNotFound, "User %d does not exist.", o.UserID)
			case "sms_orders_api_key_id_fkey":
				return core.Errorf(core.CodeNotFound, "API key %d does not exist.", o.APIKeyID)
			}
			if err != nil {
				return mapErr(fmt.Errorf("insert sms order: %w", err))
			}
			_, recorded, err := statements[i].scan(br.QueryRow())
			if err == nil && !recorded {
				err = core.Internal(fmt.Errorf("charge reference %q of a new order was already used", n.Charge.Reference))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) smsOne(ctx context.Context, where string, arg any) (core.SMSOrder, error) {
	o, err := scanSMS(db.q(ctx).QueryRow(ctx, `SELECT `+smsColumns+` FROM sms_orders o WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, core.Errorf(core.CodeNotFound, "Order not found.")
	}
	return o, mapErr(err)
}

// SMSOrderByID implements core.SMSStore; a malformed id is simply not found.
func (db *DB) SMSOrderByID(ctx context.Context, id string) (core.SMSOrder, error) {
	if !core.IsUUID(id) {
		return core.SMSOrder{}, core.Errorf(core.CodeNotFound, "Order not found.")
	}
	return db.smsOne(ctx, `o.id = $1`, id)
}

// SMSOrderByShortID implements core.SMSStore.
func (db *DB) SMSOrderByShortID(ctx context.Context, shortID int64) (core.SMSOrder, error) {
	return db.smsOne(ctx, `o.short_id = $1`, shortID)
}

// SMSOrderByIdempotencyKey implements core.SMSStore. apiKeyID 0 looks among
// bot orders (no API key), whose keys embed the chat and are unique there.
func (db *DB) SMSOrderByIdempotencyKey(ctx context.Context, apiKeyID int64, key string) (core.SMSOrder, error) {
	scope := `o.api_key_id = $1`
	if apiKeyID == 0 {
		scope = `o.api_key_id IS NULL AND $1 = 0`
	}
	o, err := scanSMS(db.q(ctx).QueryRow(ctx, `SELECT `+smsColumns+` FROM sms_orders o
		WHERE `+scope+` AND o.idempotency_key = $2`, apiKeyID, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, core.Errorf(core.CodeNotFound, "Order not found.")
	}
	return o, mapErr(err)
}

// ListSMSOrders implements core.SMSStore.
func (db *DB) ListSMSOrders(ctx context.Context, f core.SMSOrderFilter) ([]core.SMSOrder, int, error) {
	const scope = `o.user_id = $1 AND ($2 = 0 OR o.api_key_id = $2)`
	var total int
	if err := db.q(ctx).QueryRow(ctx, `SELECT count(*) FROM sms_orders o WHERE `+scope, f.UserID, f.APIKeyID).Scan(&total); err != nil {
		return nil, 0, mapErr(err)
	}
	orders, err := db.collectSMS(db.q(ctx).Query(ctx, `SELECT `+smsColumns+` FROM sms_orders o WHERE `+scope+`
		ORDER BY o.seq DESC LIMIT $3 OFFSET $4`, f.UserID, f.APIKeyID, f.Limit, f.Offset))
	return orders, total, err
}

// SMSMessages implements core.SMSStore.
func (db *DB) SMSMessages(ctx context.Context, orderID string) ([]core.SMSMessage, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT seq, code, text, received_at FROM sms_messages WHERE order_id = $1 ORDER BY seq`, orderID)
	if err != nil {
		return nil, mapErr(err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.SMSMessage, error) {
		var m core.SMSMessage
		return m, r.Scan(&m.Seq, &m.Code, &m.Text, &m.ReceivedAt)
	})
	return msgs, mapErr(err)
}

// transition runs a guarded UPDATE … RETURNING the order; no row means the
// order is not in a state the change may leave: CodeConflict (or NotFound).
func (db *DB) transition(ctx context.Context, id, set, guard string, args ...any) (core.SMSOrder, error) {
	q := `UPDATE sms_orders o SET ` + set + ` WHERE o.id = $1 AND (` + guard + `) RETURNING ` + smsColumns
	o, err := scanSMS(db.q(ctx).QueryRow(ctx, q, append([]any{id}, args...)...))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, ferr := db.SMSOrderByID(ctx, id); ferr != nil {
			return o, ferr
		}
		return o, core.Errorf(core.CodeConflict, "The order is not in a state that allows this.")
	}
	return o, mapErr(err)
}

// IssueSMSNumbers implements core.SMSStore: one primary-key UPDATE per
// number, pipelined in one transaction. (A single UPDATE … FROM
// unnest(…) let the planner join through the live-orders index and read
// every live order once per batch.)
func (db *DB) IssueSMSNumbers(ctx context.Context, numbers []core.IssuedNumber) ([]core.SMSOrder, error) {
	b := &pgx.Batch{}
	for _, n := range numbers {
		b.Queue(`UPDATE sms_orders o SET status = 'pending', upstream_id = $2, phone = $3,
				upstream_cost = NULLIF($4::numeric, 0), expires_at = $5
			WHERE o.id = $1 AND o.status = 'placing'
			RETURNING `+smsColumns, n.OrderID, n.Number.ActivationID, n.Number.Phone, n.Number.Cost, n.ExpiresAt)
	}
	var issued []core.SMSOrder
	err := db.pipeline(ctx, b, func(br pgx.BatchResults) error {
		issued = nil
		for range numbers {
			o, err := scanSMS(br.QueryRow())
			if errors.Is(err, pgx.ErrNoRows) {
				continue // no longer placing
			}
			if err != nil {
				return mapErr(fmt.Errorf("issue sms number: %w", err))
			}
			issued = append(issued, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return issued, nil
}

// FailSMSOrder implements core.SMSStore.
func (db *DB) FailSMSOrder(ctx context.Context, id, reason string) (core.SMSOrder, error) {
	return db.transition(ctx, id, `status = 'failed', failure_reason = $2, closed_at = now()`,
		`o.status = 'placing'`, reason)
}

// RecordSMS implements core.SMSStore.
func (db *DB) RecordSMS(ctx context.Context, id string, seq int, code, text string, at time.Time) (core.SMSOrder, error) {
	var o core.SMSOrder
	err := db.InTx(ctx, func(ctx context.Context) error {
		var err error
		o, err = db.transition(ctx, id,
			`status = 'completed', sms_code = $2, sms_text = $3, received_at = $4, awaiting_another = false`,
			`o.status = 'pending' AND (SELECT count(*) FROM sms_messages m WHERE m.order_id = o.id) = $5 - 1`,
			code, text, at, seq)
		if err != nil {
			return err
		}
		_, err = db.q(ctx).Exec(ctx, `INSERT INTO sms_messages (order_id, seq, code, text, received_at) VALUES ($1, $2, $3, $4, $5)`,
			id, seq, code, text, at)
		if constraintName(err) == "sms_messages_order_id_seq_key" {
			return core.Errorf(core.CodeConflict, "SMS %d of order %s is already recorded.", seq, id)
		}
		return mapErr(err)
	})
	return o, err
}

// CancelSMSOrder implements core.SMSStore.
func (db *DB) CancelSMSOrder(ctx context.Context, id string, allowCompleted bool) (core.SMSOrder, error) {
	return db.transition(ctx, id,
		`status = 'cancelled', closed_at = now(), upstream_cancel_due = now(), awaiting_another = false`,
		`o.status = 'pending' OR ($2 AND o.status = 'completed' AND o.finished_at IS NULL)`, allowCompleted)
}

// RequestAnotherSMS implements core.SMSStore.
func (db *DB) RequestAnotherSMS(ctx context.Context, id string, now time.Time) (core.SMSOrder, error) {
	return db.transition(ctx, id, `status = 'pending', awaiting_another = true`,
		`o.status = 'completed' AND o.finished_at IS NULL AND o.expires_at > $2`, now)
}

// FinishSMSOrder implements core.SMSStore.
func (db *DB) FinishSMSOrder(ctx context.Context, id string) (core.SMSOrder, error) {
	return db.transition(ctx, id, `finished_at = now()`, `o.status = 'completed' AND o.finished_at IS NULL`)
}

// SetSMSOrderExpiry implements core.SMSStore.
func (db *DB) SetSMSOrderExpiry(ctx context.Context, id string, at time.Time) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE sms_orders SET expires_at = LEAST(expires_at, $2) WHERE id = $1 AND status = 'pending'`, id, at)
	return mapErr(err)
}

// ExpireSMSOrders implements core.SMSStore. Rows are claimed with SKIP LOCKED
// so a concurrent cancel or SMS keeps its row, and the loser's guard fails.
func (db *DB) ExpireSMSOrders(ctx context.Context, now time.Time, limit int) ([]core.SMSOrder, error) {
	q := db.q(ctx)
	// Waiting for another SMS past expiry: the first code was delivered, so
	// the order simply stays completed.
	if _, err := q.Exec(ctx, `
		UPDATE sms_orders SET status = 'completed', awaiting_another = false
		WHERE id IN (SELECT id FROM sms_orders WHERE status = 'pending' AND awaiting_another AND expires_at <= $1
		             ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit); err != nil {
		return nil, mapErr(err)
	}
	return db.collectSMS(q.Query(ctx, `
		UPDATE sms_orders o SET status = 'expired', closed_at = now(), upstream_cancel_due = now()
		WHERE o.id IN (SELECT id FROM sms_orders WHERE status = 'pending' AND NOT awaiting_another AND expires_at <= $1
		               ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING `+smsColumns, now, limit))
}

// StalePlacingSMSOrders implements core.SMSStore.
func (db *DB) StalePlacingSMSOrders(ctx context.Context, before time.Time, limit int) ([]core.SMSOrder, error) {
	return db.collectSMS(db.q(ctx).Query(ctx, `SELECT `+smsColumns+` FROM sms_orders o
		WHERE o.status = 'placing' AND o.created_at < $1 ORDER BY o.created_at LIMIT $2`, before, limit))
}

// LiveSMSActivations implements core.SMSStore.
func (db *DB) LiveSMSActivations(ctx context.Context, limit int) ([]core.LiveActivation, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT o.id::text, o.upstream_id FROM sms_orders o
		WHERE o.status = 'pending' ORDER BY o.expires_at LIMIT $1`, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	live, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.LiveActivation, error) {
		var l core.LiveActivation
		return l, r.Scan(&l.OrderID, &l.UpstreamID)
	})
	return live, mapErr(err)
}

// PendingSMSOrders implements core.SMSStore.
func (db *DB) PendingSMSOrders(ctx context.Context, ids []string) ([]core.SMSOrder, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT `+smsColumns+`,
		(SELECT count(*) FROM sms_messages m WHERE m.order_id = o.id)
		FROM sms_orders o WHERE o.id = ANY($1::text[]::uuid[]) AND o.status = 'pending' ORDER BY o.expires_at`, ids)
	if err != nil {
		return nil, mapErr(err)
	}
	orders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.SMSOrder, error) {
		var n int
		o, err := scanSMS(r, &n)
		o.MessageCount = n
		return o, err
	})
	return orders, mapErr(err)
}

// DueUpstreamCancels implements core.SMSStore.
func (db *DB) DueUpstreamCancels(ctx context.Context, now time.Time, limit int) ([]core.SMSOrder, error) {
	return db.collectSMS(db.q(ctx).Query(ctx, `SELECT `+smsColumns+` FROM sms_orders o
		WHERE o.upstream_cancel_due <= $1 ORDER BY o.upstream_cancel_due LIMIT $2`, now, limit))
}

// SetUpstreamCancelDue implements core.SMSStore.
func (db *DB) SetUpstreamCancelDue(ctx context.Context, id string, due *time.Time) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE sms_orders SET upstream_cancel_due = $2 WHERE id = $1`, id, due)
	return mapErr(err)
}

// UnownedActivations implements core.SMSStore.
func (db *DB) UnownedActivations(ctx context.Context, ids []string) ([]string, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT u FROM unnest($1::text[]) AS u
		WHERE NOT EXISTS (SELECT 1 FROM sms_orders o WHERE o.upstream_id = u)`, ids)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, mapErr(err)
}

// NoteOrphan implements core.SMSStore.
func (db *DB) NoteOrphan(ctx context.Context, upstreamID string, now time.Time) (time.Time, bool, error) {
	var first time.Time
	var cancelled bool
	err := db.q(ctx).QueryRow(ctx, `
		INSERT INTO upstream_orphans (upstream_id, first_seen_at) VALUES ($1, $2)
		ON CONFLICT (upstream_id) DO UPDATE SET upstream_id = EXCLUDED.upstream_id
		RETURNING first_seen_at, cancelled_at IS NOT NULL`, upstreamID, now).Scan(&first, &cancelled)
	return first, cancelled, mapErr(err)
}

// ResolveOrphan implements core.SMSStore.
func (db *DB) ResolveOrphan(ctx context.Context, upstreamID string, cancelled bool, errText string) error {
	_, err := db.q(ctx).Exec(ctx, `UPDATE upstream_orphans SET attempts = attempts + 1,
		cancelled_at = CASE WHEN $2 THEN now() END, last_error = NULLIF($3, '') WHERE upstream_id = $1`,
		upstreamID, cancelled, errText)
	return mapErr(err)
}

var _ core.PriceOverrideStore = (*DB)(nil)

// ListPriceOverrides implements core.PriceOverrideStore.
func (db *DB) ListPriceOverrides(ctx context.Context) ([]core.PriceOverride, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT service_id, country_id, price_ngn FROM sms_price_overrides ORDER BY service_id, country_id NULLS FIRST`)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (core.PriceOverride, error) {
		var o core.PriceOverride
		return o, r.Scan(&o.ServiceID, &o.CountryID, &o.Price)
	})
	return out, mapErr(err)
}

// SetPriceOverride implements core.PriceOverrideStore.
func (db *DB) SetPriceOverride(ctx context.Context, o core.PriceOverride) error {
	_, err := db.q(ctx).Exec(ctx, `
		INSERT INTO sms_price_overrides (service_id, country_id, price_ngn) VALUES ($1, $2, $3)
		ON CONFLICT (service_id, COALESCE(country_id, -1)) DO UPDATE SET price_ngn = EXCLUDED.price_ngn, updated_at = now()`,
		o.ServiceID, o.CountryID, o.Price)
	return mapErr(err)
}

// DeletePriceOverride implements core.PriceOverrideStore.
func (db *DB) DeletePriceOverride(ctx context.Context, serviceID string, countryID *int) error {
	tag, err := db.q(ctx).Exec(ctx, `DELETE FROM sms_price_overrides WHERE service_id = $1 AND country_id IS NOT DISTINCT FROM $2`, serviceID, countryID)
	if err == nil && tag.RowsAffected() == 0 {
		return core.Errorf(core.CodeNotFound, "No price override for %s%s.", serviceID, countryLabel(countryID))
	}
	return mapErr(err)
}

func countryLabel(c *int) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf(" in country %d", *c)
}
