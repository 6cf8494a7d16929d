package sim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
	"accgen/core/upstream/sim"
)

func TestFullActivationFlow(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	ctx := t.Context()
	before, err := b.client.GetBalance(ctx)
	require.NoError(t, err)

	n := b.buy(t)
	require.Regexp(t, `^[1-9]\d{8}$`, n.ActivationID)
	require.Regexp(t, `^1\d{10}$`, n.Phone)
	require.True(t, n.Cost.IsPositive(), "getNumberV2 reports the cost")
	after, err := b.client.GetBalance(ctx)
	require.NoError(t, err)
	require.True(t, before.Sub(n.Cost).Equal(after), "charged %s: %s → %s", n.Cost, before, after)

	require.Equal(t, upstream.Status{State: upstream.StatusWaiting}, b.status(t, n.ActivationID))

	// First SMS through the control API, code taken from the text.
	var ok map[string]string
	require.Equal(t, http.StatusOK, b.post(t, "/sim/sms",
		`{"activation_id":"`+n.ActivationID+`","text":"Your code is 123456"}`, &ok))
	require.Equal(t, upstream.Status{State: upstream.StatusReceived, Code: "123456"}, b.status(t, n.ActivationID))
	v2, err := b.client.GetStatusV2(ctx, n.ActivationID)
	require.NoError(t, err)
	require.Equal(t, upstream.Status{State: upstream.StatusReceived, Code: "123456", Text: "Your code is 123456"}, v2)

	// Cancelling after a code is refused.
	_, err = b.client.SetStatus(ctx, n.ActivationID, upstream.SetStatusCancel)
	require.ErrorIs(t, err, upstream.ErrBadStatus)

	// Ask for another code.
	token, err := b.client.SetStatus(ctx, n.ActivationID, upstream.SetStatusRetry)
	require.NoError(t, err)
	require.Equal(t, "ACCESS_RETRY_GET", token)
	require.Equal(t, upstream.Status{State: upstream.StatusWaitRetry, Code: "123456"}, b.status(t, n.ActivationID))
	require.Equal(t, upstream.Status{State: upstream.StatusWaitRetry, Code: "123456"}, b.status(t, n.ActivationID),
		"stays in wait-retry until the next SMS")

	require.NoError(t, b.sim.InjectSMS(n.ActivationID, "Use 654321 to log in", "654321"))
	require.Equal(t, upstream.Status{State: upstream.StatusReceived, Code: "654321"}, b.status(t, n.ActivationID))

	list, err := b.client.GetActiveActivations(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, n.ActivationID, list[0].ID)
	require.Equal(t, n.Phone, list[0].Phone)
	require.Equal(t, []string{"123456", "654321"}, list[0].Codes)
	require.Equal(t, 187, list[0].Country)
	require.True(t, n.Cost.Equal(list[0].Cost))

	token, err = b.client.SetStatus(ctx, n.ActivationID, upstream.SetStatusFinish)
	require.NoError(t, err)
	require.Equal(t, "ACCESS_ACTIVATION", token)
	require.Equal(t, upstream.StatusCancelled, b.status(t, n.ActivationID).State, "STATUS_CANCEL: canceled or completed")

	list, err = b.client.GetActiveActivations(ctx)
	require.NoError(t, err)
	require.Empty(t, list)
	final, err := b.client.GetBalance(ctx)
	require.NoError(t, err)
	require.True(t, after.Equal(final), "a finished activation stays charged")

	views := b.sim.Activations()
	require.Len(t, views, 1)
	require.Equal(t, "finished", views[0].Status)
	require.Len(t, views[0].SMS, 2)
	require.Equal(t, "654321", views[0].SMS[1].Code)

	require.Equal(t, http.StatusConflict, b.post(t, "/sim/sms",
		`{"activation_id":"`+n.ActivationID+`","text":"late 111111"}`, &map[string]string{}))
}

func TestEarlyCancelWindow(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	ctx := t.Context()
	start, err := b.client.GetBalance(ctx)
	require.NoError(t, err)
	n := b.buy(t)

	_, err = b.client.SetStatus(ctx, n.ActivationID, upstream.SetStatusCancel)
	require.ErrorIs(t, err, upstream.ErrEarlyCancelDenied)
	b.clock.Add(119 * time.Second)
	_, err = b.client.SetStatus(ctx, n.ActivationID, upstream.SetStatusCancel)
	require.ErrorIs(t, err, upstream.ErrEarlyCancelDenied)

	b.clock.Add(time.Second)
	token, err := b.client.SetStatus(ctx, n.ActivationID, upstream.SetStatusCancel)
	require.NoError(t, err)
	require.Equal(t, "ACCESS_CANCEL", token)
	require.Equal(t, upstream.StatusCancelled, b.status(t, n.ActivationID).State)

	// A repeated cancel (a client retrying after a timeout) is answered
	// the same way and refunds only once.
	token, err = b.client.SetStatus(ctx, n.ActivationID, upstream.SetStatusCancel)
	require.NoError(t, err)
	require.Equal(t, "ACCESS_CANCEL", token)
	end, err := b.client.GetBalance(ctx)
	require.NoError(t, err)
	require.True(t, start.Equal(end), "refunded once: %s → %s", start, end)

	require.ErrorIs(t, b.sim.InjectSMS(n.ActivationID, "1234", ""), sim.ErrNotWaiting)
}

func TestEarlyCancelDisabled(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{EarlyCancel: new(time.Duration(0))})
	n := b.buy(t)
	token, err := b.client.SetStatus(t.Context(), n.ActivationID, upstream.SetStatusCancel)
	require.NoError(t, err)
	require.Equal(t, "ACCESS_CANCEL", token)

	b = setup(t, sim.Config{EarlyCancel: new(10 * time.Second)})
	n = b.buy(t)
	_, err = b.client.SetStatus(t.Context(), n.ActivationID, upstream.SetStatusCancel)
	require.ErrorIs(t, err, upstream.ErrEarlyCancelDenied)
	b.clock.Add(10 * time.Second)
	_, err = b.client.SetStatus(t.Context(), n.ActivationID, upstream.SetStatusCancel)
	require.NoError(t, err)
}

func TestFinishWithoutCodeRefunds(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	start, err := b.client.GetBalance(t.Context())
	require.NoError(t, err)
	n := b.buy(t)
	token, err := b.client.SetStatus(t.Context(), n.ActivationID, upstream.SetStatusFinish)
	require.NoError(t, err)
	require.Equal(t, "ACCESS_ACTIVATION", token)
	end, err := b.client.GetBalance(t.Context())
	require.NoError(t, err)
	require.True(t, start.Equal(end), "SMS-Activate deletes a codeless activation on 6")
	require.Equal(t, "cancelled", b.sim.Activations()[0].Status)
}

func TestTTLExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{TTL: 20 * time.Minute})
	ctx := t.Context()
	start, err := b.client.GetBalance(ctx)
	require.NoError(t, err)

	silent := b.buy(t)
	answered := b.buy(t)
	require.NoError(t, b.sim.InjectSMS(answered.ActivationID, "Your code is 9876", ""))

	b.clock.Add(20*time.Minute - time.Second)
	require.Equal(t, upstream.StatusWaiting, b.status(t, silent.ActivationID).State)
	list, err := b.client.GetActiveActivations(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)

	b.clock.Add(time.Second)
	require.Equal(t, upstream.StatusCancelled, b.status(t, silent.ActivationID).State)
	require.Equal(t, upstream.StatusCancelled, b.status(t, answered.ActivationID).State)
	list, err = b.client.GetActiveActivations(ctx)
	require.NoError(t, err)
	require.Empty(t, list)

	end, err := b.client.GetBalance(ctx)
	require.NoError(t, err)
	require.True(t, start.Sub(answered.Cost).Equal(end), "only the silent one is refunded: %s → %s", start, end)

	views := b.sim.Activations()
	require.Len(t, views, 2)
	require.Equal(t, "cancelled", views[0].Status)
	require.True(t, views[0].Expired)
	require.Equal(t, "finished", views[1].Status)
	require.ErrorIs(t, b.sim.InjectSMS(silent.ActivationID, "1234", ""), sim.ErrNotWaiting)

	// The engine's expiry sweep cancels upstream too; that must not fail.
	token, err := b.client.SetStatus(ctx, silent.ActivationID, upstream.SetStatusCancel)
	require.NoError(t, err)
	require.Equal(t, "ACCESS_CANCEL", token)
}

func TestStockExhaustion(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	cost := decimal.RequireFromString("0.73")
	b.sim.SetStock("wa", 187, 1, &cost)

	prices, err := b.client.GetPrices(t.Context(), "wa", new(187))
	require.NoError(t, err)
	require.Equal(t, 1, prices[187]["wa"].Count)
	require.True(t, cost.Equal(prices[187]["wa"].Cost))

	n := b.buy(t)
	require.True(t, cost.Equal(n.Cost), "the price getPrices quotes is the price charged")
	_, err = b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "wa", Country: 187})
	require.ErrorIs(t, err, upstream.ErrNoNumbers)
	prices, err = b.client.GetPrices(t.Context(), "wa", new(187))
	require.NoError(t, err)
	require.Zero(t, prices[187]["wa"].Count)

	// Other pairs are untouched; the control API refills.
	_, err = b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "tg", Country: 187})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, b.post(t, "/sim/stock", `{"service":"wa","country":187,"count":2}`, nil))
	n2 := b.buy(t)
	require.True(t, cost.Equal(n2.Cost), "cost kept when omitted")
}

func TestMaxPriceAndBalance(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{})
	cost := decimal.RequireFromString("1.25")
	b.sim.SetStock("tg", 19, 10, &cost)

	low := decimal.RequireFromString("1.00")
	_, err := b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "tg", Country: 19, MaxPrice: &low})
	var wmp *upstream.WrongMaxPriceError
	require.ErrorAs(t, err, &wmp)
	require.True(t, cost.Equal(wmp.Min))

	_, err = b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "tg", Country: 19, MaxPrice: &cost})
	require.NoError(t, err, "maxPrice equal to the cost is enough")

	b.sim.SetBalance(decimal.RequireFromString("1.24"))
	_, err = b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "tg", Country: 19})
	require.ErrorIs(t, err, upstream.ErrNoBalance)

	_, err = b.client.GetNumber(t.Context(), upstream.NumberRequest{Service: "nope", Country: 19})
	require.ErrorIs(t, err, upstream.ErrBadService)
}

func TestClientCatalog(t *testing.T) {
	t.Parallel()
	b := setup(t, sim.Config{Seed: 42})
	countries, err := b.client.GetCountries(t.Context())
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(countries), 10)
	require.Contains(t, countries, upstream.Country{ID: 187, Name: "USA"})
	require.Contains(t, countries, upstream.Country{ID: 16, Name: "United Kingdom"})
	require.Contains(t, countries, upstream.Country{ID: 19, Name: "Nigeria"})

	services, err := b.client.GetServicesList(t.Context())
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(services), 20)
	require.Contains(t, services, upstream.Service{Code: "ot", Name: "Any other"})

	prices, err := b.client.GetPrices(t.Context(), "", nil)
	require.NoError(t, err)
	require.Len(t, prices, len(countries))
	lo, hi := decimal.RequireFromString("0.05"), decimal.RequireFromString("2.00")
	for country, row := range prices {
		require.Len(t, row, len(services), "country %d", country)
		for code, p := range row {
			require.True(t, p.Cost.GreaterThanOrEqual(lo) && p.Cost.LessThanOrEqual(hi), "%d/%s %s", country, code, p.Cost)
			require.Positive(t, p.Count)
		}
	}

	// Same seed, same catalog; another seed, other prices.
	same, err := setup(t, sim.Config{Seed: 42}).client.GetPrices(t.Context(), "", nil)
	require.NoError(t, err)
	require.Equal(t, prices, same)
	other, err := setup(t, sim.Config{Seed: 43}).client.GetPrices(t.Context(), "", nil)
	require.NoError(t, err)
	require.NotEqual(t, prices, other)
}

func TestSameSeedSameNumbers(t *testing.T) {
	t.Parallel()
	a, b := setup(t, sim.Config{Seed: 9}), setup(t, sim.Config{Seed: 9})
	require.Equal(t, a.buy(t), b.buy(t))
}
