package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"accgen/core"
)

// DefaultSchedule is the wait before each retry: about 52 hours of retries
// in all, so a receiver that is down for a day still gets every event.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// Config tunes a Dispatcher.
type Config struct {
	AllowPrivate bool            // turn the SSRF guard off (tests and local demos only)
	Timeout      time.Duration   // per attempt, default 10s
	PollEvery    time.Duration   // how often to look for due deliveries, default 250ms
	Concurrency  int             // deliveries in flight, default 16
	Schedule     []time.Duration // retry waits, default DefaultSchedule
	Client       *http.Client    // default NewClient(AllowPrivate, Timeout)
	// Lease hides a claimed delivery from other workers; longer than any
	// attempt, so only a crashed worker's deliveries come back. Default 1m.
	Lease     time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
	OnAttempt func(core.WebhookAttempt) // observes every attempt (metrics); optional
}

// Dispatcher delivers due webhooks from the outbox.
type Dispatcher struct {
	store    core.WebhookStore
	webhooks *core.Webhooks
	cfg      Config
}

// New returns a Dispatcher.
func New(store core.WebhookStore, webhooks *core.Webhooks, cfg Config) *Dispatcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = 250 * time.Millisecond
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Client == nil {
		cfg.Client = NewClient(cfg.AllowPrivate, cfg.Timeout)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.OnAttempt == nil {
		cfg.OnAttempt = func(core.WebhookAttempt) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{store: store, webhooks: webhooks, cfg: cfg}
}

// Run delivers until ctx ends. Deliveries in flight at shutdown finish or
// their lease lapses; nothing is held only in memory.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTicker(d.cfg.PollEvery)
	defer t.Stop()
	for {
		n, err := d.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.WarnContext(ctx, "webhook dispatch failed", "err", err)
		}
		if n == d.cfg.Concurrency*4 {
			continue // a backlog: keep going
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// DeliverDue claims due deliveries and attempts each once, returning how
// many it attempted.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	due, err := d.store.ClaimWebhookDeliveries(ctx, d.cfg.Lease, d.cfg.Concurrency*4)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, d.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, del := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d.attemptAndRecord(context.WithoutCancel(ctx), del)
		})
	}
	wg.Wait()
	return len(due), nil
}

// Test sends a webhook.test event to a key's endpoint now and returns the
// attempt; it is recorded like any delivery.
func (d *Dispatcher) Test(ctx context.Context, apiKeyID int64) (core.WebhookAttempt, error) {
	queued, err := d.webhooks.EnqueueTest(ctx, apiKeyID)
	if err != nil {
		return core.WebhookAttempt{}, err
	}
	del, err := d.store.ClaimWebhookDelivery(ctx, queued.ID, d.cfg.Lease)
	if err != nil {
		return core.WebhookAttempt{}, err
	}
	return d.attemptAndRecord(ctx, del), nil
}

func (d *Dispatcher) attemptAndRecord(ctx context.Context, del core.WebhookDelivery) core.WebhookAttempt {
	a := d.attempt(ctx, del)
	d.cfg.OnAttempt(a)
	o := d.outcome(del, a)
	if err := d.store.RecordWebhookAttempt(ctx, a, o); err != nil {
		d.cfg.Logger.ErrorContext(ctx, "recording a webhook attempt failed", "delivery", del.ID, "err", err)
	}
	return a
}

// attempt POSTs the payload once, signed for this attempt's timestamp.
func (d *Dispatcher) attempt(ctx context.Context, del core.WebhookDelivery) core.WebhookAttempt {
	now := d.cfg.Now()
	a := core.WebhookAttempt{DeliveryID: del.ID, Attempt: del.Attempts, URL: del.URL, At: now}
	sig, err := Sign(del.Secret, del.ID, now, del.Payload)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.URL, bytes.NewReader(del.Payload))
	if err != nil {
		a.Error = "invalid URL"
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "acc-gen-webhooks/1")
	req.Header.Set("webhook-id", del.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := d.cfg.Client.Do(req)
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = describe(err)
		return a
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.StatusCode = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return a
}

// outcome decides what follows an attempt: done, a retry after the
// schedule's wait (±10% jitter), or giving up and disabling the endpoint.
func (d *Dispatcher) outcome(del core.WebhookDelivery, a core.WebhookAttempt) core.WebhookOutcome {
	if a.Error == "" {
		return core.WebhookOutcome{Delivered: true}
	}
	if a.StatusCode == http.StatusGone {
		return core.WebhookOutcome{DisableEndpoint: "the endpoint answered 410 Gone"}
	}
	if del.Event == "webhook.test" {
		return core.WebhookOutcome{} // a test is tried once
	}
	if del.Attempts > len(d.cfg.Schedule) {
		return core.WebhookOutcome{DisableEndpoint: "every retry of a delivery failed for more than a day"}
	}
	wait := d.cfg.Schedule[del.Attempts-1]
	wait += time.Duration((rand.Float64()*0.2 - 0.1) * float64(wait))
	at := d.cfg.Now().Add(wait)
	return core.WebhookOutcome{RetryAt: &at}
}

// describe keeps an attempt's error short and free of our internals.
func describe(err error) string {
	var blocked *ErrBlocked
	switch {
	case errors.As(err, &blocked):
		return blocked.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	default:
		msg := err.Error()
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return msg
	}
}
