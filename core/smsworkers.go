package core

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Locker gives one instance at a time a named job (polling, sweeping), so
// several engine instances poll each order once.
type Locker interface {
	// TryLock returns ok false when another instance holds name.
	TryLock(ctx context.Context, name string) (release func(), ok bool, err error)
}

// PollStats describes one poll tick.
type PollStats struct {
	Live      int // orders waiting for an SMS
	Requests  int // upstream requests made
	Delivered int // new SMS recorded
}

// statusConcurrency bounds concurrent getStatus calls when a provider has no
// batch call (or an order is missing from the batch).
const statusConcurrency = 8

// Poll asks upstream once for the state of every live order and records new
// codes. With a batch call (getActiveActivations) a tick costs one request,
// plus one getStatus per order missing from the batch.
func (s *SMS) Poll(ctx context.Context) (PollStats, error) {
	// Read the live list before asking upstream: every order in it was
	// bought before the question, so upstream's answer covers it.
	live, err := s.store.LiveSMSActivations(ctx, 10000)
	if err != nil || len(live) == 0 {
		return PollStats{}, err
	}
	st := PollStats{Live: len(live), Requests: 1}
	acts, err := s.provider.ActiveActivations(ctx)
	if err == nil {
		s.lastActivations.Store(&activationList{at: s.cfg.Now(), acts: acts})
	}
	byID := make(map[string]ProviderActivation, len(acts))
	var read []string // orders upstream shows a code for, or has lost
	switch {
	case ProviderErrorKindOf(err) == ProviderUnsupported:
		for _, l := range live {
			read = append(read, l.OrderID)
		}
	case err != nil:
		return st, err
	default:
		for _, a := range acts {
			byID[a.ID] = a
		}
		for _, l := range live {
			if a, ok := byID[l.UpstreamID]; !ok || len(a.Codes) > 0 {
				read = append(read, l.OrderID)
			}
		}
	}
	if len(read) == 0 {
		return st, nil
	}
	// Only those orders are read in full, in one query: a tick over
	// thousands of waiting orders stays one light query.
	orders, err := s.store.PendingSMSOrders(ctx, read)
	if err != nil {
		return st, err
	}
	var missing []SMSOrder
	for _, o := range orders {
		if a, ok := byID[o.UpstreamID]; ok {
			st.Delivered += s.apply(ctx, o, a)
		} else {
			missing = append(missing, o)
		}
	}
	st.Requests += len(missing)
	st.Delivered += s.pollEach(ctx, missing)
	return st, nil
}

// pollEach asks for each order's status with bounded concurrency.
func (s *SMS) pollEach(ctx context.Context, orders []SMSOrder) int {
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		delivered int
		sem       = make(chan struct{}, statusConcurrency)
	)
	for _, o := range orders {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			a, err := s.provider.Status(ctx, o.UpstreamID)
			if err != nil {
				if ProviderErrorKindOf(err) == ProviderGone {
					a = ProviderActivation{ID: o.UpstreamID, State: ProviderClosed}
				} else {
					s.logger.WarnContext(ctx, "poll status failed", "order", o.ID, "err", err)
					return
				}
			}
			n := s.apply(ctx, o, a)
			mu.Lock()
			delivered += n
			mu.Unlock()
		})
	}
	wg.Wait()
	return delivered
}

// apply records whatever new SMS the upstream state shows for o.
func (s *SMS) apply(ctx context.Context, o SMSOrder, a ProviderActivation) int {
	known := o.MessageCount
	var fresh []string
	switch {
	case len(a.Codes) > known:
		fresh = a.Codes[known:]
	case o.AwaitingAnother && a.State == ProviderReceived && len(a.Codes) > 0 && a.Codes[len(a.Codes)-1] != o.Code:
		// Providers that report only the latest code.
		fresh = a.Codes[len(a.Codes)-1:]
	}
	delivered := 0
	for i, code := range fresh {
		text := code
		if i == len(fresh)-1 && a.Text != "" {
			text = a.Text
		}
		if err := s.RecordSMS(ctx, o.ID, known+delivered+1, code, text); err != nil {
			if ErrorCode(err) != CodeConflict {
				s.logger.ErrorContext(ctx, "recording an SMS failed", "order", o.ID, "err", err)
			}
			return delivered
		}
		delivered++
	}
	if delivered == 0 && a.State == ProviderClosed && known == 0 {
		// Closed upstream before any code: nothing more can arrive.
		s.expireNow(ctx, o)
	}
	return delivered
}

// RecordSMS stores an SMS for a waiting order and tells the event consumers,
// in one transaction.
func (s *SMS) RecordSMS(ctx context.Context, orderID string, seq int, code, text string) error {
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		at := s.cfg.Now()
		o, err := s.store.RecordSMS(ctx, orderID, seq, code, text, at)
		if err == nil {
			s.recent.evict(o.ShortID)
		}
		if err != nil || s.events == nil {
			return err
		}
		return s.events.SMSReceived(ctx, o, SMSMessage{Seq: seq, Code: code, Text: text, ReceivedAt: at})
	})
}

func (s *SMS) expireNow(ctx context.Context, o SMSOrder) {
	if err := s.store.SetSMSOrderExpiry(ctx, o.ID, s.cfg.Now()); err != nil {
		s.logger.WarnContext(ctx, "could not bring an order's expiry forward", "order", o.ID, "err", err)
	}
}

// SweepStats describes one sweep.
type SweepStats struct {
	Expired, Failed, UpstreamCancelled, OrphansCancelled int
}

// Sweep expires and refunds overdue orders, fails and refunds orders whose
// placement was interrupted, retries due upstream cancels, and cancels
// upstream activations that no order owns.
func (s *SMS) Sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	var errs []error
	n, err := s.expire(ctx)
	st.Expired, errs = n, append(errs, err)
	n, err = s.failInterrupted(ctx)
	st.Failed, errs = n, append(errs, err)
	n, err = s.retryUpstreamCancels(ctx)
	st.UpstreamCancelled, errs = n, append(errs, err)
	n, err = s.cancelOrphans(ctx)
	st.OrphansCancelled, errs = n, append(errs, err)
	return st, errors.Join(errs...)
}

// expire closes overdue orders in batches; each batch's status changes and
// refunds commit together.
func (s *SMS) expire(ctx context.Context) (int, error) {
	const batch = 100
	total := 0
	for {
		var expired []SMSOrder
		err := s.tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			if expired, err = s.store.ExpireSMSOrders(ctx, s.cfg.Now(), batch); err != nil {
				return err
			}
			hook, _ := s.events.(SMSExpiryEvents)
			for _, o := range expired {
				refund, err := s.ledger.Refund(ctx, o.ChargeReference, "SMS order expired")
				if err != nil {
					return err
				}
				if hook != nil {
					if err := hook.SMSExpired(ctx, o, refund); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		for _, o := range expired {
			s.recent.evict(o.ShortID)
		}
		total += len(expired)
		if len(expired) < batch {
			return total, nil
		}
	}
}

func (s *SMS) failInterrupted(ctx context.Context) (int, error) {
	stale, err := s.store.StalePlacingSMSOrders(ctx, s.cfg.Now().Add(-s.cfg.PlacingTimeout), 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range stale {
		err := s.refundFailed(ctx, o.ID, o.ChargeReference, "placement interrupted")
		if err == nil {
			n++
		} else if ErrorCode(err) != CodeConflict {
			return n, err
		}
	}
	return n, nil
}

func (s *SMS) retryUpstreamCancels(ctx context.Context) (int, error) {
	due, err := s.store.DueUpstreamCancels(ctx, s.cfg.Now(), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range due {
		if s.releaseUpstream(ctx, o) {
			n++
		}
	}
	return n, nil
}

// releaseUpstream cancels a closed order's activation upstream, rescheduling
// the attempt when upstream says it is too early or fails. It reports
// whether the cancel is settled.
func (s *SMS) releaseUpstream(ctx context.Context, o SMSOrder) bool {
	if o.UpstreamID == "" {
		return true
	}
	err := s.provider.Cancel(ctx, o.UpstreamID)
	var next *time.Time
	switch kind := ProviderErrorKindOf(err); {
	case err == nil, kind == ProviderGone, kind == ProviderRefused:
		// Released, already closed, or not cancellable (a code arrived): done.
	case kind == ProviderEarlyCancel:
		t := s.cfg.Now().Add(30 * time.Second)
		next = &t
	default:
		t := s.cfg.Now().Add(time.Minute)
		next = &t
		s.logger.WarnContext(ctx, "upstream cancel failed; will retry", "order", o.ID, "err", err)
	}
	if err := s.store.SetUpstreamCancelDue(ctx, o.ID, next); err != nil {
		s.logger.WarnContext(ctx, "could not reschedule an upstream cancel", "order", o.ID, "err", err)
	}
	return next == nil
}

// activationList is upstream's list of active activations as the last poll
// tick saw it.
type activationList struct {
	at   time.Time
	acts []ProviderActivation
}

// orphanListMaxAge is how old the poller's list may be for the orphan
// check: orphans wait a grace period of minutes, so seconds do not matter,
// and with thousands of live orders the list is a large answer to fetch and
// decode twice.
const orphanListMaxAge = 10 * time.Second

// recentActivations is the poller's latest list when it is fresh, else a
// new one.
func (s *SMS) recentActivations(ctx context.Context) ([]ProviderActivation, error) {
	if l := s.lastActivations.Load(); l != nil && s.cfg.Now().Sub(l.at) <= orphanListMaxAge {
		return l.acts, nil
	}
	return s.provider.ActiveActivations(ctx)
}

// cancelOrphans releases activations upstream that no order owns once they
// have stayed unowned for the grace period (a purchase whose recording was
// interrupted, or a timed-out purchase that upstream completed after all).
func (s *SMS) cancelOrphans(ctx context.Context) (int, error) {
	acts, err := s.recentActivations(ctx)
	if ProviderErrorKindOf(err) == ProviderUnsupported {
		return 0, nil
	}
	if err != nil || len(acts) == 0 {
		return 0, err
	}
	ids := make([]string, len(acts))
	for i, a := range acts {
		ids[i] = a.ID
	}
	unowned, err := s.store.UnownedActivations(ctx, ids)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range unowned {
		firstSeen, cancelled, err := s.store.NoteOrphan(ctx, id, s.cfg.Now())
		if err != nil {
			return n, err
		}
		if cancelled || s.cfg.Now().Sub(firstSeen) < s.cfg.OrphanGrace {
			continue
		}
		err = s.provider.Cancel(ctx, id)
		kind := ProviderErrorKindOf(err)
		done := err == nil || kind == ProviderGone
		errText := ""
		if err != nil {
			errText = truncate(err.Error(), 200)
		}
		if done {
			n++
			s.logger.InfoContext(ctx, "cancelled an orphan upstream activation", "activation", id)
		}
		if err := s.store.ResolveOrphan(ctx, id, done, errText); err != nil {
			return n, err
		}
	}
	return n, nil
}

// RunWorkers polls every pollEvery and sweeps every sweepEvery until ctx
// ends, each under a lock so that one instance does each job per tick.
func (s *SMS) RunWorkers(ctx context.Context, locker Locker, pollEvery, sweepEvery time.Duration) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		s.every(ctx, locker, "sms-poll", pollEvery, func(ctx context.Context) error {
			st, err := s.Poll(ctx)
			s.cfg.OnPoll(st, err)
			return err
		})
	})
	wg.Go(func() {
		s.every(ctx, locker, "sms-sweep", sweepEvery, func(ctx context.Context) error {
			_, err := s.Sweep(ctx)
			return err
		})
	})
	wg.Wait()
	return nil
}

func (s *SMS) every(ctx context.Context, locker Locker, name string, interval time.Duration, job func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		release, ok, err := locker.TryLock(ctx, name)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.WarnContext(ctx, "worker lock failed", "job", name, "err", err)
			}
			continue
		}
		if !ok {
			continue
		}
		jctx, cancel := context.WithTimeout(ctx, max(interval*5, 30*time.Second))
		if err := job(jctx); err != nil && ctx.Err() == nil {
			s.logger.WarnContext(ctx, "worker tick failed", "job", name, "err", err)
		}
		cancel()
		release()
	}
}
