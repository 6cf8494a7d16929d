package main

// The fault suite's checks, run with the load paused after every fault.
// Each returns the violations it found; none is the only passing result.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"accgen/core/upstream/sim"
)

// faultChecker holds what the checks look at.
type faultChecker struct {
	db     *pgxpool.Pool
	sim    *sim.Sim
	hooks  *hookReceiver
	child  *serveChild
	load   *faultLoad
	admin  func(args ...string) (string, error)
	window sweepWindow
	logged int // how much of serve's log earlier checks read
}

// sweepWindow is how long the engine may take to settle after a fault.
type sweepWindow struct {
	placing  time.Duration // ACCGEN_SMS_PLACING_TIMEOUT + a sweep + a purchase's upstream timeout
	orphans  time.Duration // ACCGEN_SMS_ORPHAN_GRACE + two sweeps
	webhooks time.Duration // a crashed dispatcher's lease (1 min) + a retry
}

// checkResult is what one round of checks found.
type checkResult struct {
	violations []string
	took       time.Duration
	notes      []string
}

func (r *checkResult) fail(format string, args ...any) {
	r.violations = append(r.violations, fmt.Sprintf(format, args...))
}

// run makes every check, waiting for the engine's sweepers where the
// invariant is "eventually".
func (c *faultChecker) run(ctx context.Context) checkResult {
	began := time.Now()
	var r checkResult
	if !waitFor(ctx, 60*time.Second, c.child.ready) {
		r.fail("the server is not ready (PostgreSQL or Redis unreachable) a minute after the fault")
		r.took = time.Since(began)
		return r
	}
	c.checkPlacing(ctx, &r)
	c.checkLedger(&r)
	c.checkOrders(ctx, &r)
	c.checkAcks(ctx, &r)
	c.checkUpstream(ctx, &r)
	c.checkWebhooks(ctx, &r)
	c.checkProcess(&r)
	r.took = time.Since(began)
	return r
}

// count runs a count query, retrying while the database comes back.
func (c *faultChecker) count(ctx context.Context, sql string, args ...any) (int, error) {
	var n int
	var err error
	for range 50 {
		if err = c.db.QueryRow(ctx, sql, args...).Scan(&n); err == nil {
			return n, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return 0, err
}

// checkPlacing: no order is left charged but without a number once the
// sweeper's window has passed.
func (c *faultChecker) checkPlacing(ctx context.Context, r *checkResult) {
	var placing int
	ok := waitFor(ctx, c.window.placing, func() bool {
		n, err := c.count(ctx, `SELECT count(*) FROM sms_orders WHERE status = 'placing'`)
		placing = n
		return err == nil && n == 0
	})
	if !ok {
		r.fail("%d SMS order(s) still placing %s after the fault", placing, c.window.placing)
	}
}

// checkLedger runs `accgen ledger verify`.
func (c *faultChecker) checkLedger(r *checkResult) {
	var out string
	var err error
	for range 10 {
		if out, err = c.admin("ledger", "verify"); err == nil || exitCode(err) == 1 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "  - ") {
				r.fail("ledger verify: %s", strings.TrimPrefix(line, "  - "))
			}
		}
		if exitCode(err) != 1 {
			r.fail("ledger verify did not run: %v", err)
		}
	}
}

// checkOrders: every SMS order is charged once and either holds its number
// (pending, completed) or was refunded exactly once; every account order has
// its items.
func (c *faultChecker) checkOrders(ctx context.Context, r *checkResult) {
	rows, err := c.db.Query(ctx, `
		SELECT o.id, o.status,
		       (SELECT count(*) FROM ledger_transactions t WHERE t.reference = o.charge_reference) AS charges,
		       (SELECT count(*) FROM ledger_transactions t WHERE t.reference = 'refund:' || o.charge_reference) AS refunds,
		       o.upstream_id IS NOT NULL AS has_number
		FROM sms_orders o`)
	if err != nil {
		r.fail("query SMS orders: %v", err)
		return
	}
	bad := 0
	for rows.Next() {
		var id, status string
		var charges, refunds int
		var hasNumber bool
		if err := rows.Scan(&id, &status, &charges, &refunds, &hasNumber); err != nil {
			r.fail("scan: %v", err)
			break
		}
		var problem string
		switch {
		case charges != 1:
			problem = fmt.Sprintf("charged %d times", charges)
		case status == "pending" || status == "completed":
			if refunds != 0 || !hasNumber {
				problem = fmt.Sprintf("refunds %d, number %v", refunds, hasNumber)
			}
		case status == "cancelled" || status == "expired" || status == "failed":
			if refunds != 1 {
				problem = fmt.Sprintf("refunded %d times", refunds)
			}
		default:
			problem = "in an intermediate state"
		}
		if problem != "" {
			if bad++; bad <= 10 {
				r.fail("SMS order %s (%s): %s", id, status, problem)
			}
		}
	}
	rows.Close()
	n, err := c.count(ctx, `SELECT count(*) FROM account_orders o WHERE o.quantity <> (SELECT count(*) FROM stock_items s WHERE s.order_id = o.id)`)
	if err != nil || n > 0 {
		r.fail("%d account order(s) without their items (%v)", n, err)
	}
}

// checkAcks: whatever a client was told happened, happened: acknowledged
// orders exist (and are cancelled when the cancel was acknowledged),
// acknowledged purchases exist, acknowledged top-ups were credited once.
func (c *faultChecker) checkAcks(ctx context.Context, r *checkResult) {
	a := c.load.acks
	a.mu.Lock()
	orders := append([]*ackOrder(nil), a.orders...)
	cancelled := make(map[int64]bool, len(a.cancelled))
	for k, v := range a.cancelled {
		cancelled[k] = v
	}
	purchases := make(map[string]int, len(a.purchases))
	for k, v := range a.purchases {
		purchases[k] = v
	}
	topups := make(map[string]string, len(a.topups))
	for k, v := range a.topups {
		topups[k] = v
	}
	clientViolations := a.violations
	a.violations = nil
	a.mu.Unlock()
	for _, v := range clientViolations {
		r.fail("client saw: %s", v)
	}

	status := map[int64]string{}
	ids := map[int64]string{}
	rows, err := c.db.Query(ctx, `SELECT short_id, id::text, status FROM sms_orders`)
	if err != nil {
		r.fail("query orders: %v", err)
		return
	}
	for rows.Next() {
		var short int64
		var id, st string
		if err := rows.Scan(&short, &id, &st); err == nil {
			status[short], ids[short] = st, id
		}
	}
	rows.Close()
	lost, wrong := 0, 0
	for _, o := range orders {
		st, ok := status[o.shortID]
		switch {
		case !ok:
			if lost++; lost <= 5 {
				r.fail("order %d acknowledged over %s is not in the database", o.shortID, o.via)
			}
		case o.id != "" && ids[o.shortID] != o.id:
			r.fail("order %d acknowledged as %s is %s in the database", o.shortID, o.id, ids[o.shortID])
		case cancelled[o.shortID] && st != "cancelled":
			if wrong++; wrong <= 5 {
				r.fail("order %d: its cancel was acknowledged but it is %s", o.shortID, st)
			}
		}
	}

	for id, qty := range purchases {
		n, err := c.count(ctx, `SELECT count(*) FROM stock_items WHERE order_id = $1 AND status = 'sold'`, id)
		if err != nil || n != qty {
			r.fail("account order %s acknowledged with %d item(s) has %d sold (%v)", id, qty, n, err)
		}
	}
	for ref, amount := range topups {
		n, err := c.count(ctx, `SELECT count(*) FROM ledger_transactions WHERE reference = $1 AND amount = $2::numeric`, "admin:"+ref, amount)
		if err != nil || n != 1 {
			r.fail("top-up %s of %s acknowledged but credited %d time(s) (%v)", ref, amount, n, err)
		}
	}
	n, err := c.count(ctx, `SELECT count(*) FROM (SELECT reference FROM ledger_transactions GROUP BY reference HAVING count(*) > 1) x`)
	if err != nil || n > 0 {
		r.fail("%d ledger reference(s) used more than once (%v)", n, err)
	}
}

// checkUpstream: every number upstream still holds for us without a code
// (the cancellable ones: one with a code is charged and closes at its own
// expiry) belongs to an order waiting for that code, or to one whose
// upstream cancel is scheduled; nothing bought for a lost order stays held
// past the orphan grace.
func (c *faultChecker) checkUpstream(ctx context.Context, r *checkResult) {
	var stray []string
	ok := waitFor(ctx, c.window.orphans, func() bool {
		var live []string
		for _, a := range c.sim.Activations() {
			if a.Status == "waiting" {
				live = append(live, a.ID)
			}
		}
		if len(live) == 0 {
			stray = nil
			return true
		}
		rows, err := c.db.Query(ctx, `
			SELECT x.id FROM unnest($1::text[]) AS x(id)
			WHERE NOT EXISTS (SELECT 1 FROM sms_orders o WHERE o.upstream_id = x.id
			                  AND (o.status IN ('pending', 'completed') OR o.upstream_cancel_due IS NOT NULL))`, live)
		if err != nil {
			return false
		}
		stray = stray[:0]
		for rows.Next() {
			var id string
			if rows.Scan(&id) == nil {
				stray = append(stray, id)
			}
		}
		rows.Close()
		return len(stray) == 0
	})
	if !ok {
		var detail []string
		for _, id := range first(stray, 5) {
			var st, created string
			err := c.db.QueryRow(ctx, `SELECT status || coalesce(' due ' || upstream_cancel_due::text, ''), created_at::text FROM sms_orders WHERE upstream_id = $1`, id).Scan(&st, &created)
			if err != nil {
				st = "no order (" + err.Error() + ")"
			}
			var orphan string
			_ = c.db.QueryRow(ctx, `SELECT format('orphan first seen %s, cancelled %s, %s attempts, last error %s', first_seen_at, cancelled_at, attempts, last_error) FROM upstream_orphans WHERE upstream_id = $1`, id).Scan(&orphan)
			detail = append(detail, fmt.Sprintf("%s: order %s %s; %s", id, st, created, orphan))
		}
		r.fail("%d upstream activation(s) waiting with no order holding them %s after the fault: %s", len(stray), c.window.orphans, strings.Join(detail, " | "))
	}
}

// checkWebhooks: every SMS recorded for a reseller's order reached its
// webhook (signed with the key's secret), none was given up on.
func (c *faultChecker) checkWebhooks(ctx context.Context, r *checkResult) {
	type msg struct{ order, text string }
	var missing []msg
	ok := waitFor(ctx, c.window.webhooks, func() bool {
		rows, err := c.db.Query(ctx, `
			SELECT m.order_id::text, m.text FROM sms_messages m JOIN sms_orders o ON o.id = m.order_id
			WHERE o.api_key_id IS NOT NULL`)
		if err != nil {
			return false
		}
		missing = missing[:0]
		for rows.Next() {
			var m msg
			if rows.Scan(&m.order, &m.text) == nil && !c.hooks.has(m.order, m.text) {
				missing = append(missing, m)
			}
		}
		rows.Close()
		return len(missing) == 0
	})
	if !ok {
		r.fail("%d recorded SMS never reached the webhook within %s (first: %v)", len(missing), c.window.webhooks, first(missing, 3))
	}
	if n, err := c.count(ctx, `SELECT count(*) FROM webhook_deliveries WHERE state = 'failed'`); err != nil || n > 0 {
		r.fail("%d webhook deliveries given up (%v)", n, err)
	}
	if _, _, bad := c.hooks.stats(); len(bad) > 0 {
		r.fail("webhooks with a bad signature or payload: %v", first(bad, 3))
	}
}

// checkProcess: the engine neither panicked nor exited on its own.
func (c *faultChecker) checkProcess(r *checkResult) {
	for _, e := range c.child.unexpectedExits() {
		r.fail("serve: %s", e)
	}
	all := c.child.log.String()
	log := all[min(c.logged, len(all)):]
	c.logged = len(all)
	for _, marker := range []string{"panic", "fatal error:", "WARNING: DATA RACE"} {
		if strings.Contains(log, marker) {
			r.fail("serve's log shows %q", marker)
		}
	}
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
