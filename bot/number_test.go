package bot

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
)

// /start → Buy number → service → country → confirm → pay → the code is
// pushed the moment the engine records it → Cancel & refund.
func TestBuyNumberCodePushedThenCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ada := tgUser{ID: 5001, Name: "Ada", Username: "ada"}
	h.fund(ada, "5000")

	h.send(ada, "/start")
	require.Contains(t, h.tg.Screen(ada.ID), "₦5,000.00", "the menu shows the balance")

	h.click(ada, "sv:0")
	require.Equal(t, h.text("en", "number.services"), h.tg.Screen(ada.ID))
	h.click(ada, "sc:wa:")
	require.Contains(t, h.tg.Screen(ada.ID), "WhatsApp")
	ask := h.click(ada, "sb:wa:")
	country, err := strconv.Atoi(strings.TrimPrefix(ask, "sb:wa:"))
	require.NoError(t, err)
	offer, ok := h.env.Catalog.Snapshot().Offer("wa", country)
	require.True(t, ok)
	confirm := h.tg.Screen(ada.ID)
	require.Contains(t, confirm, Money(offer.Price))
	require.Contains(t, confirm, "₦5,000.00", "the confirm screen shows the balance")

	pay := h.click(ada, "sy:wa:")
	h.press(ada, h.tg.Latest(ada.ID).ID, pay) // a double tap buys once
	orders, total, err := h.env.SMS.Orders(h.ctx, core.Scope{UserID: h.user(ada).ID}, 10, 0)
	require.NoError(t, err)
	require.Equal(t, 1, total, "a double tap places one order")
	o := orders[0]
	require.Equal(t, core.SourceBot, o.Source)
	require.Equal(t, ada.ID, o.TelegramChatID)
	screen := h.tg.Screen(ada.ID)
	require.Contains(t, screen, o.E164())
	require.Contains(t, screen, h.bot.printer("en").n("number.expires_in", 20))
	require.True(t, h.env.Balance(t, h.user(ada).ID).Equal(decimal.NewFromInt(5000).Sub(o.Price)))

	// The code arrives upstream; the poller records it and the SMS event
	// queues the message in the same transaction; the worker sends it.
	require.NoError(t, h.env.Sim.InjectSMS(o.UpstreamID, "Your WhatsApp code is 482-913", "482913"))
	_, err = h.env.SMS.Poll(h.ctx)
	require.NoError(t, err)
	before := len(h.tg.SentTo(ada.ID))
	h.deliver()
	sent := h.tg.SentTo(ada.ID)
	require.Len(t, sent, before+1, "the code is pushed as a new message (it notifies)")
	require.Contains(t, sent[len(sent)-1], "<code>482913</code>")
	h.deliver()
	require.Len(t, h.tg.SentTo(ada.ID), before+1, "a code is pushed once")

	h.click(ada, "nr:"+strconv.FormatInt(o.ShortID, 10))
	require.Contains(t, h.tg.Screen(ada.ID), "482913", "refresh shows the code")

	h.click(ada, "nx:")
	require.Contains(t, h.tg.Screen(ada.ID), Money(o.Price))
	h.click(ada, "nX:")
	require.Contains(t, h.tg.Screen(ada.ID), h.text("en", "number.status_cancelled", "Amount", o.Price))
	require.True(t, h.env.Balance(t, h.user(ada).ID).Equal(decimal.NewFromInt(5000)), "cancel refunds in full")
	h.env.RequireLedgerClean(t)

	clicks := len(h.tg.CallsOf("answerCallbackQuery"))
	require.Equal(t, 8, clicks, "every button press is answered")
}

// An order that gets no code expires: the sweeper refunds it and the
// customer is told, in their language.
func TestExpiryIsAnnouncedWithRefund(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	bola := tgUser{ID: 5002, Name: "Bola", Lang: "yo"}
	h.fund(bola, "3000")
	h.send(bola, "/start")
	h.click(bola, "sv:0")
	h.click(bola, "sc:wa:")
	h.click(bola, "sb:wa:")
	h.click(bola, "sy:wa:")
	orders, _, err := h.env.SMS.Orders(h.ctx, core.Scope{UserID: h.user(bola).ID}, 1, 0)
	require.NoError(t, err)
	require.Len(t, orders, 1)

	h.env.Clock.Advance(21 * time.Minute)
	st, err := h.env.SMS.Sweep(h.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, st.Expired)
	h.deliver()
	sent := h.tg.SentTo(bola.ID)
	want := h.text("yo", "notify.sms_expired", "Service", orders[0].ServiceName, "Country", orders[0].CountryName,
		"Phone", orders[0].E164(), "Amount", orders[0].Price)
	require.Equal(t, want, sent[len(sent)-1], "the expiry is announced in Yoruba")
	require.True(t, h.env.Balance(t, h.user(bola).ID).Equal(decimal.NewFromInt(3000)))
}

// Typing a name on the service list searches; without an open prompt the
// same text just brings the menu back.
func TestServiceSearchAndLostSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	chi := tgUser{ID: 5003, Name: "Chi"}
	h.send(chi, "whatsapp")
	require.Contains(t, h.tg.Screen(chi.ID), "Chi", "no session: the menu")
	_, _, ok := h.tg.FindButton(chi.ID, "sv:0")
	require.True(t, ok)

	h.click(chi, "sv:0")
	h.send(chi, "whats")
	require.Equal(t, h.bot.printer("en").n("number.search_results", 1, "Query", "whats"), h.tg.Screen(chi.ID))
	_, data, ok := h.tg.FindButton(chi.ID, "sc:")
	require.True(t, ok)
	require.Equal(t, "sc:wa:0", data)

	h.send(chi, "zzzz-nothing")
	require.Contains(t, h.tg.Screen(chi.ID), "zzzz-nothing")
	require.True(t, strings.HasPrefix(h.tg.Screen(chi.ID), "🔎"))
}

// With Redis unreachable, a step that needs the session asks the user to
// try again, and the bot keeps serving everything else.
func TestRedisDownAsksToRetry(t *testing.T) {
	t.Parallel()
	dead, err := newDeadSessions()
	require.NoError(t, err)
	h := newHarness(t, harnessOpts{sessions: dead})
	dan := tgUser{ID: 5004, Name: "Dan"}
	h.send(dan, "/start")
	require.Contains(t, h.tg.Screen(dan.ID), "Dan", "the menu works without Redis")
	h.click(dan, "sv:0")
	require.Equal(t, h.text("en", "number.services"), h.tg.Screen(dan.ID), "so does the service list")
	h.send(dan, "whatsapp")
	require.Equal(t, h.text("en", "error.retry"), h.tg.Screen(dan.ID))
	h.click(dan, "m")
	require.Contains(t, h.tg.Screen(dan.ID), "Dan")
}
