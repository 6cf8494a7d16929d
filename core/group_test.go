package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The batching itself, with a run that takes as long as a commit: every
// caller gets its own result, concurrent callers share batches no larger
// than the bound, and a lone caller runs at once.
func TestGroupBatchesConcurrentCalls(t *testing.T) {
	t.Parallel()
	var calls, largest, running, maxRunning, observed atomic.Int64
	g := group[int, string]{max: 16, parallel: 3, observe: func(n int) { observed.Add(int64(n)) }, run: func(_ context.Context, in []int) []groupResult[string] {
		calls.Add(1)
		if r := running.Add(1); r > maxRunning.Load() {
			maxRunning.Store(r)
		}
		defer running.Add(-1)
		if n := int64(len(in)); n > largest.Load() {
			largest.Store(n)
		}
		time.Sleep(5 * time.Millisecond)
		out := make([]groupResult[string], len(in))
		for i, v := range in {
			if v%50 == 0 {
				out[i].err = fmt.Errorf("refused %d", v)
			} else {
				out[i].val = fmt.Sprint("done ", v)
			}
		}
		return out
	}}
	ctx := context.Background()
	got, err := g.do(ctx, 7)
	require.NoError(t, err)
	require.Equal(t, "done 7", got)

	const n = 200
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			got, err := g.do(ctx, i)
			switch {
			case i%50 == 0 && (err == nil || err.Error() != fmt.Sprint("refused ", i)):
				t.Errorf("%d: want its own refusal, got %q, %v", i, got, err)
			case i%50 != 0 && (err != nil || got != fmt.Sprint("done ", i)):
				t.Errorf("%d: got %q, %v", i, got, err)
			}
		})
	}
	wg.Wait()
	t.Logf("%d calls in %d batches, largest %d", n+1, calls.Load(), largest.Load())
	require.Less(t, calls.Load(), int64(n/2), "concurrent calls share batches")
	require.LessOrEqual(t, largest.Load(), int64(16))
	require.Zero(t, g.running, "every batch slot is freed when the queue is empty")
	require.EqualValues(t, n+1, observed.Load(), "every call is observed in one batch")
	require.LessOrEqual(t, maxRunning.Load(), int64(3), "no more batches at once than allowed")
}

func TestGroupGivesABatchErrorToEachCaller(t *testing.T) {
	t.Parallel()
	boom := errors.New("database gone")
	g := group[int, int]{max: 8, parallel: 2, run: func(_ context.Context, in []int) []groupResult[int] {
		time.Sleep(2 * time.Millisecond)
		return eachResult(len(in), func(int) int { return 1 }, boom)
	}}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 20 {
		wg.Go(func() {
			if _, err := g.do(context.Background(), i); errors.Is(err, boom) {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 20, failed.Load())
}

// A batch runs other callers' work too: the leader's context being
// cancelled (its client went away) does not cancel the batch.
func TestGroupBatchOutlivesTheLeadersContext(t *testing.T) {
	t.Parallel()
	g := group[int, int]{max: 8, parallel: 1, run: func(ctx context.Context, in []int) []groupResult[int] {
		return eachResult(len(in), func(i int) int { return in[i] * 2 }, ctx.Err())
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := g.do(ctx, 21)
	require.NoError(t, err)
	require.Equal(t, 42, got)
}

// A panic in a batch fails that batch's calls and frees its slot: the
// group keeps serving.
func TestGroupSurvivesAPanickingBatch(t *testing.T) {
	t.Parallel()
	g := group[int, int]{max: 8, parallel: 1, run: func(_ context.Context, in []int) []groupResult[int] {
		if in[0] == 13 {
			panic("boom")
		}
		return eachResult(len(in), func(i int) int { return in[i] }, nil)
	}}
	func() {
		defer func() { require.Equal(t, "boom", recover()) }()
		_, _ = g.do(context.Background(), 13)
	}()
	got, err := g.do(context.Background(), 7)
	require.NoError(t, err)
	require.Equal(t, 7, got)
	require.Zero(t, g.running)
}

// A call whose context ends while it waits in the queue leaves unrun.
func TestGroupQueuedCallLeavesWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var ran sync.Map
	g := group[int, int]{max: 8, parallel: 1, run: func(_ context.Context, in []int) []groupResult[int] {
		for _, v := range in {
			ran.Store(v, true)
		}
		if in[0] == 1 {
			<-release
		}
		return eachResult(len(in), func(i int) int { return in[i] }, nil)
	}}
	go func() { _, _ = g.do(context.Background(), 1) }() // holds the only slot
	require.Eventually(t, func() bool { _, ok := ran.Load(1); return ok }, time.Second, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := g.do(ctx, 2)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(release)
	got, err := g.do(context.Background(), 3)
	require.NoError(t, err)
	require.Equal(t, 3, got)
	_, ran2 := ran.Load(2)
	require.False(t, ran2, "the abandoned call never ran")
}

// allOrEach retries each input alone after a refused batch, and never after
// a commit whose outcome is unknown.
func TestAllOrEach(t *testing.T) {
	t.Parallel()
	short := Errorf(CodeInsufficientFunds, "short")
	var writes [][]string
	write := func(_ context.Context, in []string) error {
		writes = append(writes, append([]string(nil), in...))
		for _, v := range in {
			switch v {
			case "short":
				return short
			case "unknown":
				return Internal(fmt.Errorf("commit: %w", ErrOutcomeUnknown))
			}
		}
		return nil
	}
	out := allOrEach(context.Background(), []string{"a", "short", "b"}, write)
	require.NoError(t, out[0].err)
	require.ErrorIs(t, out[1].err, short)
	require.NoError(t, out[2].err)
	require.Equal(t, [][]string{{"a", "short", "b"}, {"a"}, {"short"}, {"b"}}, writes)

	writes = nil
	out = allOrEach(context.Background(), []string{"a", "unknown"}, write)
	for _, r := range out {
		require.ErrorIs(t, r.err, ErrOutcomeUnknown)
	}
	require.Len(t, writes, 1, "nothing is written again after an unanswered commit")
}

// eachResult gives every input of a batch the same outcome.
func eachResult[R any](n int, val func(i int) R, err error) []groupResult[R] {
	out := make([]groupResult[R], n)
	for i := range out {
		if err != nil {
			out[i].err = err
		} else {
			out[i].val = val(i)
		}
	}
	return out
}
