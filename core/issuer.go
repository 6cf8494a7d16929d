package core

import (
	"context"
	"sync"
)

// issuer records bought numbers on their orders in batches. A placement
// commits twice (the charge, then the number), and under a burst the
// sessions spend most of their time waiting for the WAL to be flushed: so
// the second commit is shared. While one batch commits, the placements that
// finish meanwhile queue up and the first of them records them all in the
// next transaction. Alone, a placement records its number at once: there is
// no timer and no added wait.
type issuer struct {
	record func(ctx context.Context, numbers []IssuedNumber) ([]SMSOrder, error)

	mu      sync.Mutex
	queue   []*issueWait
	leading bool // a batch is being recorded
}

// maxIssueBatch bounds one transaction.
const maxIssueBatch = 128

type issueWait struct {
	number IssuedNumber
	wake   chan bool // true: lead the next batch; false: done
	order  SMSOrder
	found  bool
	err    error
}

// issue records n and returns its order; found is false when the order was
// no longer placing (the sweeper gave up on it).
func (b *issuer) issue(ctx context.Context, n IssuedNumber) (SMSOrder, bool, error) {
	w := &issueWait{number: n, wake: make(chan bool, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, w)
	leader := !b.leading
	b.leading = true
	b.mu.Unlock()
	if leader || <-w.wake {
		b.lead(ctx)
	}
	return w.order, w.found, w.err
}

// lead records the queued numbers (its own among them), then hands the lead
// to the first of those that queued meanwhile.
func (b *issuer) lead(ctx context.Context) {
	b.mu.Lock()
	batch := b.queue[:min(len(b.queue), maxIssueBatch)]
	b.queue = b.queue[len(batch):]
	b.mu.Unlock()

	numbers := make([]IssuedNumber, len(batch))
	for i, w := range batch {
		numbers[i] = w.number
	}
	orders, err := b.record(ctx, numbers)
	byID := make(map[string]SMSOrder, len(orders))
	for _, o := range orders {
		byID[o.ID] = o
	}
	for _, w := range batch {
		w.order, w.found = byID[w.number.OrderID]
		w.err = err
		w.wake <- false
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.leading = false
		return
	}
	b.queue[0].wake <- true
}
