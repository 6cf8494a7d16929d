package bot

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
)

// An admin's /topup credits the wallet once per message (Telegram may
// deliver an update twice) and the customer is told, with the note.
func TestAdminTopUpCreditsAndNotifies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}})
	admin := tgUser{ID: adminID, Name: "Boss"}
	ife := tgUser{ID: 7001, Name: "Ife", Username: "Ife_K", Lang: "ha"}
	h.send(ife, "/start")

	upd := h.message(admin, "/topup @ife_k 5000 bank transfer 12/03")
	h.process(upd)
	user := h.user(ife)
	require.True(t, h.env.Balance(t, user.ID).Equal(decimal.NewFromInt(5000)))
	require.Equal(t, h.text("en", "admin.topup_done", "Amount", decimal.NewFromInt(5000), "User", who(user),
		"Balance", decimal.NewFromInt(5000)), h.lastSent(admin))

	h.process(upd) // the same message again
	require.True(t, h.env.Balance(t, user.ID).Equal(decimal.NewFromInt(5000)), "a message credits once")
	require.Equal(t, h.text("en", "admin.already_done"), h.lastSent(admin))

	h.deliver()
	got := h.lastSent(ife)
	require.Contains(t, got, h.text("ha", "notify.topup", "Amount", decimal.NewFromInt(5000), "Balance", decimal.NewFromInt(5000)))
	require.Contains(t, got, "bank transfer 12/03")
	h.deliver()
	require.Len(t, h.tg.SentTo(ife.ID), 2, "the menu and one top-up notice")

	h.send(admin, "/deduct "+strconv.FormatInt(user.ID, 10)+" 1250.50")
	require.True(t, h.env.Balance(t, user.ID).Equal(decimal.RequireFromString("3749.50")))
	h.deliver()
	require.Contains(t, h.lastSent(ife), "₦1,250.50")
	h.env.RequireLedgerClean(t)
}

// For anyone but an admin, admin commands do not exist.
func TestNonAdminTopUpDoesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}})
	mallory := tgUser{ID: 7002, Name: "Mallory", Username: "mallory"}
	h.send(mallory, "/start")
	unknown := h.text("en", "error.unknown_command")
	for _, cmd := range []string{"/topup @mallory 5000", "/topup tg:7002 5000", "/stats", "/broadcast hi all", "/frobnicate"} {
		h.send(mallory, cmd)
		require.Equal(t, unknown, h.lastSent(mallory), cmd)
	}
	require.True(t, h.env.Balance(t, h.user(mallory).ID).IsZero())
	hist, err := h.env.Ledger.History(h.ctx, h.user(mallory).ID, 10)
	require.NoError(t, err)
	require.Empty(t, hist, "no money moved")
	h.deliver()
	require.Len(t, h.tg.SentTo(mallory.ID), 6, "the menu and five unknown-command answers, no notice")
}

// /refund refunds an account order's charge (once) and an SMS order by
// cancelling it; the customer hears about both.
func TestAdminRefundNotifies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}})
	admin := tgUser{ID: adminID, Name: "Boss"}
	kemi := tgUser{ID: 7003, Name: "Kemi", Username: "kemi"}
	h.send(kemi, "/start")
	p := stockProduct(t, h, admin, "x1:y1", "x2:y2")
	h.fund(kemi, "10000")
	o, err := h.inv.Purchase(h.ctx, core.PurchaseParams{UserID: h.user(kemi).ID, ProductID: p.ID, Quantity: 2})
	require.NoError(t, err)
	require.True(t, h.env.Balance(t, h.user(kemi).ID).Equal(decimal.NewFromInt(5000)))

	h.send(admin, "/refund "+o.ID)
	require.Contains(t, h.lastSent(admin), "₦5,000.00")
	require.True(t, h.env.Balance(t, h.user(kemi).ID).Equal(decimal.NewFromInt(10000)))
	h.send(admin, "/refund "+strings.ToUpper(o.ID))
	require.Equal(t, h.text("en", "admin.already_refunded"), h.lastSent(admin))
	h.deliver()
	require.Contains(t, h.lastSent(kemi), "₦5,000.00")
	require.Contains(t, h.lastSent(kemi), shortUUID(o.ID))

	sms, _, err := h.env.SMS.Place(h.ctx, core.PlaceSMSParams{Scope: core.Scope{UserID: h.user(kemi).ID},
		Source: core.SourceBot, ServiceID: "wa", CountryID: 187, TelegramChatID: kemi.ID})
	require.NoError(t, err)
	h.send(admin, "/refund "+strconv.FormatInt(sms.ShortID, 10))
	require.Contains(t, h.lastSent(admin), Money(sms.Price))
	got, err := h.env.SMS.Order(h.ctx, core.Scope{UserID: h.user(kemi).ID}, sms.ID)
	require.NoError(t, err)
	require.Equal(t, core.SMSCancelled, got.Status)
	h.deliver()
	require.Contains(t, h.lastSent(kemi), strconv.FormatInt(sms.ShortID, 10))
	require.True(t, h.env.Balance(t, h.user(kemi).ID).Equal(decimal.NewFromInt(10000)))
	h.env.RequireLedgerClean(t)
}

// /stats sums today's sales; /user shows a customer; /setprice changes
// what customers see; /products lists the catalog.
func TestAdminStatsUserSetPrice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}})
	admin := tgUser{ID: adminID, Name: "Boss"}
	tobi := tgUser{ID: 7004, Name: "Tobi", Username: "tobi"}
	h.send(tobi, "/start")
	p := stockProduct(t, h, admin, "s1:p1", "s2:p2")
	h.fund(tobi, "9000")
	_, err := h.inv.Purchase(h.ctx, core.PurchaseParams{UserID: h.user(tobi).ID, ProductID: p.ID, Quantity: 1})
	require.NoError(t, err)

	h.send(admin, "/stats")
	stats := h.lastSent(admin)
	require.Contains(t, stats, "₦2,500.00", "revenue of the account sold")
	require.Contains(t, stats, "₦9,000.00", "today's top-ups")
	require.NotContains(t, stats, h.text("en", "admin.stats_unavailable"), "the simulator reports its balance")

	h.send(admin, "/user @tobi")
	require.Contains(t, h.lastSent(admin), "₦6,500.00")
	require.Contains(t, h.lastSent(admin), "7004")

	h.send(admin, "/setprice wa 187 1500")
	offer, ok := h.env.Catalog.Snapshot().Offer("wa", 187)
	require.True(t, ok)
	require.True(t, offer.Price.Equal(decimal.NewFromInt(1500)))
	require.Contains(t, h.lastSent(admin), "₦1,500.00")
	h.send(admin, "/setprice wa 187 clear")
	offer, _ = h.env.Catalog.Snapshot().Offer("wa", 187)
	require.False(t, offer.Price.Equal(decimal.NewFromInt(1500)))

	h.send(admin, "/products")
	require.Contains(t, h.lastSent(admin), "Aged IG 2019")
	h.send(admin, "/topup nobody 5")
	require.Contains(t, h.lastSent(admin), h.text("en", "error.invalid"))
}

// Admins get a command menu scoped to their own chat; everyone else's menu
// has no admin command.
func TestAdminCommandMenuIsScoped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}})
	h.bot.setCommands(h.ctx)
	calls := h.tg.CallsOf("setMyCommands")
	require.Len(t, calls, 5, "default menu in English, Yoruba, Hausa, Igbo, and one admin chat")
	for _, c := range calls {
		var scope struct {
			Type   string `json:"type"`
			ChatID int64  `json:"chat_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(c.Fields["scope"]), &scope))
		var cmds []struct{ Command string }
		require.NoError(t, json.Unmarshal([]byte(c.Fields["commands"]), &cmds))
		names := ""
		for _, x := range cmds {
			names += x.Command + " "
		}
		if scope.Type == "chat" {
			require.Equal(t, int64(adminID), scope.ChatID)
			require.Contains(t, names, "topup ")
			require.Contains(t, names, "broadcast ")
		} else {
			require.Equal(t, "default", scope.Type)
			require.NotContains(t, names, "topup")
			require.Contains(t, names, "start ")
		}
	}
}
