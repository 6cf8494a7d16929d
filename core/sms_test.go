package core_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/core/coretest"
	"accgen/core/upstream/sim"
)

func place(t *testing.T, env *coretest.Env, p core.Principal, service string, country int) core.SMSOrder {
	t.Helper()
	o, replayed, err := env.SMS.Place(context.Background(), core.PlaceSMSParams{
		Scope: core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, Source: core.SourceAPI, ServiceID: service, CountryID: country,
	})
	require.NoError(t, err)
	require.False(t, replayed)
	return o
}

func poll(t *testing.T, env *coretest.Env) core.PollStats {
	t.Helper()
	st, err := env.SMS.Poll(context.Background())
	require.NoError(t, err)
	return st
}

func order(t *testing.T, env *coretest.Env, p core.Principal, id string) core.SMSOrder {
	t.Helper()
	o, err := env.SMS.Order(context.Background(), core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, id)
	require.NoError(t, err)
	return o
}

func simActivation(t *testing.T, env *coretest.Env, id string) sim.ActivationView {
	t.Helper()
	for _, a := range env.Sim.Activations() {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("activation %s not in the simulator", id)
	return sim.ActivationView{}
}

func TestSMSBuyReceiveCode(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	u, p, _ := env.Reseller(t, 1, "10000")
	offer, ok := env.Catalog.Snapshot().Offer("wa", 187)
	require.True(t, ok)

	o := place(t, env, p, "wa", 187)
	require.Equal(t, core.SMSPending, o.Status)
	require.Regexp(t, `^1\d{10}$`, o.Phone, "USA numbers, digits only")
	require.Regexp(t, `^[1-9]\d{7}$`, fmt.Sprint(o.ShortID))
	require.Equal(t, fmt.Sprint(o.ShortID), o.ID[:8], "the short id is the UUID's prefix")
	require.True(t, o.Price.Equal(offer.Price))
	require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("10000").Sub(offer.Price)))
	require.NotNil(t, o.ExpiresAt)
	require.WithinDuration(t, env.Clock.Now().Add(20*time.Minute), *o.ExpiresAt, time.Second)

	st := poll(t, env)
	require.Equal(t, 0, st.Delivered)
	require.NoError(t, env.Sim.InjectSMS(o.UpstreamID, "Your WhatsApp code is 482-913. Do not share it.", "482913"))
	st = poll(t, env)
	require.Equal(t, 1, st.Delivered)

	o = order(t, env, p, o.ID)
	require.Equal(t, core.SMSCompleted, o.Status)
	require.Equal(t, "482913", o.Code)
	require.Equal(t, "Your WhatsApp code is 482-913. Do not share it.", o.Text)
	require.NotNil(t, o.ReceivedAt)
	require.Equal(t, 0, poll(t, env).Delivered, "a code is recorded once")
	env.RequireLedgerClean(t)
}

func TestSMSCancelRefundsAndReleasesUpstream(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	u, p, _ := env.Reseller(t, 1, "5000")
	o := place(t, env, p, "tg", 16)

	cancelled, refunded, err := env.SMS.Cancel(context.Background(), core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, o.ID)
	require.NoError(t, err)
	require.Equal(t, core.SMSCancelled, cancelled.Status)
	require.True(t, refunded.Equal(o.Price))
	require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("5000")))
	require.Equal(t, "cancelled", simActivation(t, env, o.UpstreamID).Status)

	_, _, err = env.SMS.Cancel(context.Background(), core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, o.ID)
	require.Equal(t, core.CodeConflict, core.ErrorCode(err))
	require.Contains(t, core.ErrorMessage(err), "it is cancelled")
	env.RequireLedgerClean(t)
}

// Upstream refuses cancels in its first minutes; the customer is refunded at
// once and the upstream cancel is retried by the sweeper.
func TestSMSCancelDuringEarlyCancelWindowIsRetried(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{SimEarlyCancel: time.Hour})
	u, p, _ := env.Reseller(t, 1, "5000")
	o := place(t, env, p, "tg", 16)
	_, _, err := env.SMS.Cancel(context.Background(), core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, o.ID)
	require.NoError(t, err)
	require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("5000")))
	require.NotEqual(t, "cancelled", simActivation(t, env, o.UpstreamID).Status, "upstream refused for now")

	env.Clock.Advance(time.Minute)
	_, err = env.SMS.Sweep(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, "cancelled", simActivation(t, env, o.UpstreamID).Status)
	var due *time.Time
	require.NoError(t, env.DB.Pool().QueryRow(context.Background(), `SELECT upstream_cancel_due FROM sms_orders WHERE id = $1`, o.ID).Scan(&due))
	require.NotNil(t, due, "the upstream cancel stays scheduled")
	env.RequireLedgerClean(t)
}

func TestSMSExpiryRefunds(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{SMS: core.SMSConfig{TTL: 20 * time.Minute}})
	u, p, _ := env.Reseller(t, 1, "50000")
	waiting := place(t, env, p, "wa", 187)
	coded := place(t, env, p, "wa", 187)
	require.NoError(t, env.Sim.InjectSMS(coded.UpstreamID, "code 111222", ""))
	poll(t, env)

	env.Clock.Advance(19 * time.Minute)
	st, err := env.SMS.Sweep(context.Background())
	require.NoError(t, err)
	require.Equal(t, 0, st.Expired, "not yet")

	env.Clock.Advance(2 * time.Minute)
	st, err = env.SMS.Sweep(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, st.Expired)
	require.Equal(t, core.SMSExpired, order(t, env, p, waiting.ID).Status)
	require.Equal(t, core.SMSCompleted, order(t, env, p, coded.ID).Status, "an order with its code is not refunded")
	require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("50000").Sub(coded.Price)))
	require.Equal(t, "cancelled", simActivation(t, env, waiting.UpstreamID).Status)
	env.RequireLedgerClean(t)
}

func TestSMSAnotherSMSKeepsEveryMessage(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	_, p, _ := env.Reseller(t, 1, "5000")
	sc := core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}
	o := place(t, env, p, "go", 22)
	require.NoError(t, env.Sim.InjectSMS(o.UpstreamID, "G-100200 is your Google code", "100200"))
	poll(t, env)

	o, err := env.SMS.RequestAnother(context.Background(), sc, o.ID)
	require.NoError(t, err)
	require.Equal(t, core.SMSPending, o.Status)
	require.True(t, o.AwaitingAnother)
	require.Equal(t, "100200", o.Code, "the old code stays visible while waiting")
	require.Equal(t, 0, poll(t, env).Delivered)

	require.NoError(t, env.Sim.InjectSMS(o.UpstreamID, "G-300400 is your Google code", "300400"))
	require.Equal(t, 1, poll(t, env).Delivered)
	o = order(t, env, p, o.ID)
	require.Equal(t, core.SMSCompleted, o.Status)
	require.Equal(t, "300400", o.Code)
	msgs, err := env.SMS.Messages(context.Background(), sc, o.ID)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.Equal(t, "100200", msgs[0].Code)
	require.Equal(t, "300400", msgs[1].Code)

	_, err = env.SMS.Finish(context.Background(), sc, o.ID)
	require.NoError(t, err)
	_, _, err = env.SMS.Cancel(context.Background(), sc, o.ID)
	require.Equal(t, core.CodeConflict, core.ErrorCode(err), "a finished order cannot be cancelled")
	env.RequireLedgerClean(t)
}

func TestSMSNoNumbersChargesNothing(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	u, p, _ := env.Reseller(t, 1, "5000")
	env.Sim.SetStock("wa", 19, 0, nil)
	_, _, err := env.SMS.Place(context.Background(), core.PlaceSMSParams{Scope: core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, Source: core.SourceAPI, ServiceID: "wa", CountryID: 19})
	require.Equal(t, core.CodeInsufficientStock, core.ErrorCode(err))
	require.Contains(t, core.ErrorMessage(err), "not charged")
	require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("5000")))
	orders, total, err := env.SMS.Orders(context.Background(), core.Scope{UserID: p.UserID}, 10, 0)
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, core.SMSFailed, orders[0].Status)
	env.RequireLedgerClean(t)
}

func TestSMSUpstreamFaultsFailAndRefund(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"timeout", "garbage", "http500"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			env := coretest.New(t, coretest.Options{UpstreamTimeout: 300 * time.Millisecond})
			u, p, _ := env.Reseller(t, 1, "5000")
			require.NoError(t, env.Sim.SetFaults(sim.Faults{Mode: mode, Rate: 1}))
			_, _, err := env.SMS.Place(context.Background(), core.PlaceSMSParams{Scope: core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
			require.Equal(t, core.CodeUpstreamUnavailable, core.ErrorCode(err), err)
			require.Equal(t, "The number provider could not supply a number right now. You were not charged.", core.ErrorMessage(err))
			require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("5000")))
			orders, _, err := env.SMS.Orders(context.Background(), core.Scope{UserID: p.UserID}, 10, 0)
			require.NoError(t, err)
			require.Equal(t, core.SMSFailed, orders[0].Status)
			env.RequireLedgerClean(t)
		})
	}
}

func TestSMSIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	u, p, _ := env.Reseller(t, 1, "50000")
	params := core.PlaceSMSParams{Scope: core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}, Source: core.SourceAPI,
		ServiceID: "wa", CountryID: 187, IdempotencyKey: "order-7f3a"}

	const n = 10
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, _, err := env.SMS.Place(context.Background(), params)
			require.NoError(t, err)
			ids[i] = o.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, ids[0], id)
	}
	o := order(t, env, p, ids[0])
	require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("50000").Sub(o.Price)), "charged once")

	params.CountryID = 16
	_, _, err := env.SMS.Place(context.Background(), params)
	require.Equal(t, core.CodeInvalid, core.ErrorCode(err))
	require.Contains(t, core.ErrorMessage(err), "Idempotency-Key")
	env.RequireLedgerClean(t)
}

// For 200 orders, a cancel, an SMS arrival and the expiry race. Each order
// ends in exactly one final state, exactly the orders that should be
// refunded are, once, and the ledger verifies.
func TestSMSRaceCancelArrivalExpiry(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{SMS: core.SMSConfig{TTL: 20 * time.Minute}})
	u, p, _ := env.Reseller(t, 1, "10000000")
	sc := core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}
	env.Sim.SetStock("wa", 187, 5000, nil)
	const n = 200
	orders := make([]core.SMSOrder, n)
	for i := range orders {
		orders[i] = place(t, env, p, "wa", 187)
	}
	env.Clock.Advance(21 * time.Minute) // every order is now due to expire

	var wg sync.WaitGroup
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	for i, o := range orders {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		actions := []func(){
			func() { _, _, _ = env.SMS.Cancel(context.Background(), sc, o.ID) },
			func() {
				_ = env.Sim.InjectSMS(o.UpstreamID, fmt.Sprintf("code %06d", i), "")
				_ = env.SMS.RecordSMS(context.Background(), o.ID, 1, fmt.Sprintf("%06d", i), "code")
			},
		}
		rng.Shuffle(len(actions), func(a, b int) { actions[a], actions[b] = actions[b], actions[a] })
		for _, act := range actions {
			wg.Go(act)
		}
	}
	for range 4 {
		wg.Go(func() {
			_, err := env.SMS.Sweep(context.Background())
			require.NoError(t, err)
		})
	}
	wg.Wait()
	_, err := env.SMS.Sweep(context.Background()) // whatever is still due
	require.NoError(t, err)

	spent := decimal.Zero
	counts := map[core.SMSStatus]int{}
	for _, o := range orders {
		got := order(t, env, p, o.ID)
		counts[got.Status]++
		switch got.Status {
		case core.SMSCompleted:
			spent = spent.Add(got.Price)
		case core.SMSCancelled, core.SMSExpired:
		default:
			t.Fatalf("order %s ended %s", got.ID, got.Status)
		}
	}
	t.Logf("final states: %v", counts)
	require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("10000000").Sub(spent)))
	var refunds int
	require.NoError(t, env.DB.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM ledger_transactions WHERE kind = 'refund' AND user_id = $1`, u.ID).Scan(&refunds))
	require.Equal(t, counts[core.SMSCancelled]+counts[core.SMSExpired], refunds)
	env.RequireLedgerClean(t)
}

// With a batch call upstream, one poll tick over 1,000 live orders costs
// one upstream request.
func TestSMSPollCostIsConstant(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	_, p, _ := env.Reseller(t, 1, "100000000")
	env.Sim.SetStock("wa", 187, 5000, nil)
	const n = 1000
	orders := make([]core.SMSOrder, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range orders {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			orders[i] = place(t, env, p, "wa", 187)
		})
	}
	wg.Wait()
	for _, o := range orders[:10] {
		require.NoError(t, env.Sim.InjectSMS(o.UpstreamID, "code 123456", ""))
	}
	env.Sim.ResetCounts()
	st := poll(t, env)
	require.Equal(t, n, st.Live)
	require.Equal(t, 10, st.Delivered)
	require.Equal(t, map[string]int64{"getActiveActivations": 1}, env.Sim.RequestCounts())
	t.Logf("one poll tick over %d live orders: %v", n, env.Sim.RequestCounts())
}

// An order whose placement was interrupted after the charge (a crash) is
// failed and refunded by the sweeper, and the number bought for it upstream
// is cancelled once it has stayed unowned for the grace period.
func TestSMSSweeperRepairsInterruptedPlacement(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{SMS: core.SMSConfig{PlacingTimeout: 2 * time.Minute, OrphanGrace: time.Minute}})
	u, p, _ := env.Reseller(t, 1, "5000")
	ctx := context.Background()
	offer, _ := env.Catalog.Snapshot().Offer("wa", 187)

	// What a crash leaves behind: the charged order, and a number bought
	// upstream that no order records.
	stuck := core.SMSOrder{ID: "12345678-0000-4000-8000-000000000001", ShortID: 12345678, UserID: u.ID, APIKeyID: p.KeyID,
		Source: core.SourceAPI, ServiceID: "wa", ServiceName: offer.Service.Name, CountryID: 187, CountryName: offer.Country.Name,
		Price: offer.Price, Status: core.SMSPlacing, ChargeReference: "sms:12345678-0000-4000-8000-000000000001", CreatedAt: env.Clock.Now()}
	charge, err := env.Ledger.PurchasePosting(u.ID, offer.Price, stuck.ChargeReference, "")
	require.NoError(t, err)
	require.NoError(t, env.DB.CreateSMSOrders(ctx, []core.NewSMSOrder{{Order: stuck, Charge: charge}}))
	orphan, err := env.Provider.BuyNumber(ctx, "wa", 187)
	require.NoError(t, err)

	st, err := env.SMS.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, core.SweepStats{}, st, "too early to call either")

	env.Clock.Advance(3 * time.Minute)
	st, err = env.SMS.Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Failed)
	require.Equal(t, 1, st.OrphansCancelled)
	require.Equal(t, core.SMSFailed, order(t, env, p, stuck.ID).Status)
	require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("5000")))
	require.Equal(t, "cancelled", simActivation(t, env, orphan.ActivationID).Status)
	env.RequireLedgerClean(t)
}

// The sweeper may give up on an order whose purchase is still running (a
// placing timeout shorter than upstream's answer, or a stalled database):
// whether upstream then sells the number, fails, or sells it without saying
// so, the customer is refunded once and told the provider failed, and a
// number sold meanwhile is cancelled as an orphan.
func TestSMSSweeperOvertakesASlowPurchase(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{SMS: core.SMSConfig{PlacingTimeout: time.Minute, OrphanGrace: time.Minute},
		UpstreamTimeout: time.Second})
	u, p, _ := env.Reseller(t, 1, "5000")
	ctx := context.Background()
	sc := core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}
	for _, mode := range []string{sim.FaultNone, sim.FaultHTTP500, sim.FaultLostAnswer} {
		require.NoError(t, env.Sim.SetFaults(sim.Faults{Mode: mode, Latency: 300 * time.Millisecond}))
		errc := make(chan error, 1)
		go func() {
			_, _, err := env.SMS.Place(ctx, core.PlaceSMSParams{Scope: sc, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
			errc <- err
		}()
		require.Eventually(t, func() bool {
			orders, _, err := env.SMS.Orders(ctx, sc, 1, 0)
			return err == nil && len(orders) == 1 && orders[0].Status == core.SMSPlacing
		}, 5*time.Second, 5*time.Millisecond, mode)
		env.Clock.Advance(2 * time.Minute)
		st, _ := env.SMS.Sweep(ctx) // its upstream calls meet the fault too
		require.Equal(t, 1, st.Failed, mode)

		err := <-errc
		require.Equal(t, core.CodeUpstreamUnavailable, core.ErrorCode(err), "%s: %v", mode, err)
		require.Contains(t, core.ErrorMessage(err), "You were not charged.")
		require.True(t, env.Balance(t, u.ID).Equal(decimal.RequireFromString("5000")), mode)
		require.NoError(t, env.Sim.SetFaults(sim.Faults{Mode: sim.FaultNone}))
	}
	env.Clock.Advance(2 * time.Minute) // orphans are first seen by the first sweep, cancelled by the next
	for range 2 {
		_, err := env.SMS.Sweep(ctx)
		require.NoError(t, err)
		env.Clock.Advance(2 * time.Minute)
	}
	for _, a := range env.Sim.Activations() {
		require.Equal(t, "cancelled", a.Status, "the numbers sold for refunded orders are released")
	}
	require.Len(t, env.Sim.Activations(), 2, "upstream sold a number in the first and last case")
	env.RequireLedgerClean(t)
}

// After repeated upstream failures for a service and country, sales of that
// pair stop for a while without charging or calling upstream; other pairs and
// a later trial go through.
func TestSMSCircuitBreaker(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{SMS: core.SMSConfig{BreakerThreshold: 3, BreakerCooldown: time.Minute}})
	u, p, _ := env.Reseller(t, 1, "100000")
	sc := core.Scope{UserID: p.UserID, APIKeyID: p.KeyID}
	placeWA := func() error {
		_, _, err := env.SMS.Place(context.Background(), core.PlaceSMSParams{Scope: sc, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187})
		return err
	}
	require.NoError(t, env.Sim.SetFaults(sim.Faults{Mode: "http500", Rate: 1}))
	for range 3 {
		require.Equal(t, core.CodeUpstreamUnavailable, core.ErrorCode(placeWA()))
	}
	env.Sim.ResetCounts()
	err := placeWA()
	require.Equal(t, core.CodeUpstreamUnavailable, core.ErrorCode(err))
	require.Contains(t, core.ErrorMessage(err), "temporarily unavailable")
	require.Zero(t, env.Sim.RequestCounts()["getNumberV2"], "the open circuit does not call upstream")
	require.True(t, env.Balance(t, u.ID).Equal(decimal.NewFromInt(100000)))

	require.NoError(t, env.Sim.SetFaults(sim.Faults{Mode: "none"}))
	_, _, err = env.SMS.Place(context.Background(), core.PlaceSMSParams{Scope: sc, Source: core.SourceAPI, ServiceID: "tg", CountryID: 187})
	require.NoError(t, err, "other pairs are unaffected")
	require.Equal(t, core.CodeUpstreamUnavailable, core.ErrorCode(placeWA()), "still open")

	env.Clock.Advance(61 * time.Second)
	require.NoError(t, placeWA(), "after the cooldown a trial goes through and closes the circuit")
	require.NoError(t, placeWA())
	env.RequireLedgerClean(t)
}

// Placements that arrive together share one transaction (group.go); a
// buyer who cannot pay is refused without refusing the others, nobody is
// charged twice or for an order they did not get, and the ledger holds.
func TestSMSConcurrentPlacementsShareCommitsAndRefuseOnlyTheShort(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	offer, ok := env.Catalog.Snapshot().Offer("wa", 187)
	require.True(t, ok)
	type buyer struct {
		u     core.User
		p     core.Principal
		funds decimal.Decimal
	}
	var buyers []buyer
	for i := range 24 {
		funds := offer.Price.Mul(decimal.NewFromInt(int64(i % 3))) // 0, 1 or 2 orders' worth
		u, p, _ := env.Reseller(t, int64(900+i), "1")
		if funds.IsPositive() {
			_, err := env.Ledger.TopUp(context.Background(), u.ID, funds, fmt.Sprint("grouped-", i), "")
			require.NoError(t, err)
		}
		buyers = append(buyers, buyer{u, p, funds.Add(decimal.NewFromInt(1))})
	}
	const perBuyer = 3
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		placed = map[int64]int{}
	)
	for _, b := range buyers {
		for range perBuyer {
			wg.Go(func() {
				_, _, err := env.SMS.Place(context.Background(), core.PlaceSMSParams{
					Scope: core.Scope{UserID: b.p.UserID, APIKeyID: b.p.KeyID}, Source: core.SourceAPI, ServiceID: "wa", CountryID: 187,
				})
				switch core.ErrorCode(err) {
				case "":
					mu.Lock()
					placed[b.u.ID]++
					mu.Unlock()
				case core.CodeInsufficientFunds:
				default:
					t.Errorf("user %d: %v", b.u.ID, err)
				}
			})
		}
	}
	wg.Wait()
	for _, b := range buyers {
		affordable := int(b.funds.Div(offer.Price).IntPart())
		require.Equal(t, min(affordable, perBuyer), placed[b.u.ID], "user %d", b.u.ID)
		spent := offer.Price.Mul(decimal.NewFromInt(int64(placed[b.u.ID])))
		require.True(t, env.Balance(t, b.u.ID).Equal(b.funds.Sub(spent)), "user %d", b.u.ID)
	}
	env.RequireLedgerClean(t)
}

// One bad number in a shared batch (here an activation id another order
// already holds) costs the other buyers nothing: their numbers are recorded
// one by one after the batch fails.
func TestSMSOneBadNumberDoesNotFailTheBatch(t *testing.T) {
	t.Parallel()
	env := coretest.New(t, coretest.Options{})
	u, p, _ := env.Reseller(t, 1, "500000")
	ctx := context.Background()
	taken := place(t, env, p, "wa", 187)
	offer, _ := env.Catalog.Snapshot().Offer("wa", 187)
	var placing []core.SMSOrder
	for i, id := range []string{"31111111-0000-4000-8000-000000000001", "32222222-0000-4000-8000-000000000002"} {
		o := core.SMSOrder{ID: id, ShortID: int64(31111111 + i*1111111), UserID: u.ID, APIKeyID: p.KeyID, Source: core.SourceAPI,
			ServiceID: "wa", ServiceName: offer.Service.Name, CountryID: 187, CountryName: offer.Country.Name,
			Price: offer.Price, Status: core.SMSPlacing, ChargeReference: "sms:" + id, CreatedAt: env.Clock.Now()}
		charge, err := env.Ledger.PurchasePosting(u.ID, o.Price, o.ChargeReference, "")
		require.NoError(t, err)
		require.NoError(t, env.DB.CreateSMSOrders(ctx, []core.NewSMSOrder{{Order: o, Charge: charge}}))
		placing = append(placing, o)
	}
	expires := env.Clock.Now().Add(20 * time.Minute)
	orders, found, errs := env.SMS.RecordNumbers(ctx, []core.IssuedNumber{
		{OrderID: placing[0].ID, Number: core.ProviderNumber{ActivationID: "fresh-activation", Phone: "15550001111"}, ExpiresAt: expires},
		{OrderID: placing[1].ID, Number: core.ProviderNumber{ActivationID: taken.UpstreamID, Phone: "15550002222"}, ExpiresAt: expires},
	})
	require.NoError(t, errs[0])
	require.True(t, found[0])
	require.Equal(t, core.SMSPending, orders[0].Status)
	require.Equal(t, "fresh-activation", orders[0].UpstreamID)
	require.Error(t, errs[1], "the duplicate activation is refused")
	require.Equal(t, core.SMSPlacing, order(t, env, p, placing[1].ID).Status)
}
