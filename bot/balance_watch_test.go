package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// When the upstream balance falls below the threshold every admin is
// warned, once an hour however often it is checked; above it, nobody is.
func TestLowUpstreamBalanceWarnsAdmins(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}, config: func(c *Config) {
		c.BalanceAlert = decimal.NewFromInt(50)
	}})
	admin := tgUser{ID: adminID, Name: "Op", Lang: "en"}

	warned, err := h.bot.CheckUpstreamBalance(h.ctx)
	require.NoError(t, err)
	require.False(t, warned, "the simulator starts well above 50")
	h.deliver()
	require.Empty(t, h.tg.SentTo(admin.ID))

	h.env.Sim.SetBalance(decimal.RequireFromString("12.5"))
	for range 3 {
		warned, err = h.bot.CheckUpstreamBalance(h.ctx)
		require.NoError(t, err)
		require.True(t, warned)
	}
	h.deliver()
	sent := h.tg.SentTo(admin.ID)
	require.Len(t, sent, 1, "one warning per hour")
	require.True(t, strings.Contains(sent[0], "Upstream balance is low") && strings.Contains(sent[0], "12.5"), sent[0])

	h.env.Clock.Advance(time.Hour)
	_, err = h.bot.CheckUpstreamBalance(h.ctx)
	require.NoError(t, err)
	h.deliver()
	require.Len(t, h.tg.SentTo(admin.ID), 2, "and again the next hour")
}
