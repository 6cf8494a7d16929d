package core

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Placements and purchases share transactions of up to maxGroup, with up
// to groupParallel of them running at once: enough to keep the database's
// cores busy while each commit is shared.
const (
	maxGroup      = 64
	groupParallel = 4
	groupTimeout  = 30 * time.Second // bound on one batch's database work
)

// group runs concurrent calls of one kind together, to share commits. A
// placement commits twice (the order with its charge, then the number), and
// under a burst the database sessions spent most of their time waiting for
// the WAL flush of their own commit. With a group, up to parallel batches
// run at once; calls that arrive while they do queue up, and the first of
// them runs all that queued in the next batch. A call that finds a batch
// slot free runs at once: there is no timer and no added wait. (One batch at
// a time was measured too: it left the database one session to work in.)
type group[T, R any] struct {
	// run does a batch and returns one result per input, in order.
	run      func(ctx context.Context, in []T) []groupResult[R]
	max      int // bound on one batch
	parallel int // batches running at once (at least 1)
	observe  func(size int)

	mu      sync.Mutex
	queue   []*groupCall[T, R]
	running int // batches running
}

type groupResult[R any] struct {
	val R
	err error
}

type groupCall[T, R any] struct {
	in   T
	out  groupResult[R]
	done chan struct{} // closed when a batch ran this call
	lead chan struct{} // this call was taken off the queue to run the next batch
}

// do runs in with whatever calls are queued with it and returns its result.
// A call still waiting in the queue when ctx ends leaves it, unrun; once a
// batch has taken it, it runs to its end.
func (g *group[T, R]) do(ctx context.Context, in T) (R, error) {
	c := &groupCall[T, R]{in: in, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	if g.running < max(g.parallel, 1) {
		g.running++
		g.mu.Unlock()
		g.runBatch(ctx, c)
		return c.out.val, c.out.err
	}
	g.queue = append(g.queue, c)
	g.mu.Unlock()
	select {
	case <-c.done: // a running batch took it
	case <-c.lead:
		g.runBatch(ctx, c)
	case <-ctx.Done():
		if g.leave(c) {
			var zero R
			return zero, ctx.Err()
		}
		select { // taken meanwhile: finish
		case <-c.done:
		case <-c.lead:
			g.runBatch(ctx, c)
		}
	}
	return c.out.val, c.out.err
}

// leave takes c off the queue if no batch has taken it yet.
func (g *group[T, R]) leave(c *groupCall[T, R]) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, q := range g.queue {
		if q == c {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			return true
		}
	}
	return false
}

// runBatch runs first with the calls queued behind it, then passes its slot
// to the oldest call still queued (taking it off the queue, so that only it
// can run it) or frees the slot. If run panics, every call of the batch gets
// an error, the slot is passed on all the same, and the panic goes on up the
// leader's stack.
func (g *group[T, R]) runBatch(ctx context.Context, first *groupCall[T, R]) {
	g.mu.Lock()
	n := min(len(g.queue), max(g.max, 1)-1)
	batch := append([]*groupCall[T, R]{first}, g.queue[:n]...)
	g.queue = g.queue[n:]
	g.mu.Unlock()

	finished := false
	defer func() {
		if !finished {
			for _, c := range batch {
				c.out = groupResult[R]{err: Internal(errors.New("a batch of writes failed unexpectedly"))}
				close(c.done)
			}
		}
		g.passSlot()
	}()
	in := make([]T, len(batch))
	for i, c := range batch {
		in[i] = c.in
	}
	if g.observe != nil {
		g.observe(len(batch))
	}
	// The batch carries other callers' work: the leader's client going away
	// must not cancel it.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupTimeout)
	defer cancel()
	out := g.run(bctx, in)
	for i, c := range batch {
		c.out = out[i]
		close(c.done)
	}
	finished = true
}

// passSlot hands a finished batch's slot to the oldest queued call, or frees it.
func (g *group[T, R]) passSlot() {
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.running--
		g.mu.Unlock()
		return
	}
	next := g.queue[0]
	g.queue = g.queue[1:]
	g.mu.Unlock()
	next.lead <- struct{}{}
}

// allOrEach writes a batch with one all-or-nothing call. When the batch
// fails, each input is written alone, so that one refusal (a wallet short of
// money, a colliding id, a credential that will not open) refuses no other
// input; the failed batch wrote nothing. Unless the database never answered
// the commit: then the batch may have been written, and writing it again
// could charge twice, so that is every input's answer.
func allOrEach[T any](ctx context.Context, in []T, write func(ctx context.Context, in []T) error) []groupResult[struct{}] {
	out := make([]groupResult[struct{}], len(in))
	if len(in) == 1 {
		out[0].err = write(ctx, in)
		return out
	}
	err := write(ctx, in)
	switch {
	case err == nil:
		return out
	case errors.Is(err, ErrOutcomeUnknown):
		for i := range out {
			out[i].err = err
		}
		return out
	}
	for i := range in {
		out[i].err = write(ctx, in[i:i+1])
	}
	return out
}
