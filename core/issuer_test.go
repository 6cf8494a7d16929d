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

// The batching itself, with a recorder that takes as long as a commit: every
// caller gets its own order, concurrent callers share transactions, and a
// lone caller is recorded at once.
func TestIssuerBatchesConcurrentNumbers(t *testing.T) {
	t.Parallel()
	var calls, largest atomic.Int64
	b := issuer{record: func(_ context.Context, numbers []IssuedNumber) ([]SMSOrder, error) {
		calls.Add(1)
		if n := int64(len(numbers)); n > largest.Load() {
			largest.Store(n)
		}
		time.Sleep(5 * time.Millisecond)
		var out []SMSOrder
		for _, n := range numbers {
			if n.Number.Phone != "gone" {
				out = append(out, SMSOrder{ID: n.OrderID, Phone: n.Number.Phone})
			}
		}
		return out, nil
	}}
	ctx := context.Background()

	o, found, err := b.issue(ctx, IssuedNumber{OrderID: "alone", Number: ProviderNumber{Phone: "1"}})
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "alone", o.ID)

	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id, phone := fmt.Sprint("order-", i), fmt.Sprint(i)
			if i%50 == 0 {
				phone = "gone" // no longer placing
			}
			o, found, err := b.issue(ctx, IssuedNumber{OrderID: id, Number: ProviderNumber{Phone: phone}})
			if err != nil {
				t.Error(err)
				return
			}
			if phone == "gone" {
				if found {
					t.Errorf("%s: found an order that was not placing", id)
				}
				return
			}
			if !found || o.ID != id || o.Phone != phone {
				t.Errorf("%s got %+v (found %v)", id, o, found)
			}
		})
	}
	wg.Wait()
	t.Logf("%d numbers in %d transactions, largest %d", n+1, calls.Load(), largest.Load())
	require.Less(t, calls.Load(), int64(n/2), "concurrent numbers share transactions")
	require.LessOrEqual(t, largest.Load(), int64(maxIssueBatch))
	require.False(t, b.leading, "the lead is released when the queue is empty")
}

func TestIssuerReportsAFailedBatchToEachCaller(t *testing.T) {
	t.Parallel()
	boom := errors.New("database gone")
	b := issuer{record: func(context.Context, []IssuedNumber) ([]SMSOrder, error) {
		time.Sleep(2 * time.Millisecond)
		return nil, boom
	}}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 20 {
		wg.Go(func() {
			if _, _, err := b.issue(context.Background(), IssuedNumber{OrderID: fmt.Sprint(i)}); errors.Is(err, boom) {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 20, failed.Load())
}
