package bot

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// The bot speaks Telegram's language until the user picks one, then the
// user's choice, whatever Telegram says later.
func TestLanguageFromTelegramUntilChosen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	yemi := tgUser{ID: 7201, Name: "Yemi", Lang: "yo-NG"}
	h.send(yemi, "/start")
	require.Equal(t, menuScreen(h.bot.printer("yo"), "Yemi", decimal.Zero).text, h.tg.Screen(yemi.ID))

	h.click(yemi, "l")
	h.click(yemi, "l:ha")
	require.Equal(t, menuScreen(h.bot.printer("ha"), "Yemi", decimal.Zero).text, h.tg.Screen(yemi.ID))
	answers := h.tg.CallsOf("answerCallbackQuery")
	require.Equal(t, h.text("ha", "language.saved"), answers[len(answers)-1].Fields["text"])

	h.send(yemi, "/start")
	require.Equal(t, menuScreen(h.bot.printer("ha"), "Yemi", decimal.Zero).text, h.tg.Screen(yemi.ID), "the choice sticks")
	require.Equal(t, "ha", h.user(yemi).Language)

	fr := tgUser{ID: 7202, Name: "Zoé", Lang: "fr"}
	h.send(fr, "/start")
	require.Equal(t, menuScreen(h.bot.printer("en"), "Zoé", decimal.Zero).text, h.tg.Screen(fr.ID), "unsupported: English")
	h.send(fr, "/start ref_partner-7")
	require.Equal(t, "", h.user(fr).Referrer, "the referrer is taken at the first /start only")
	ref := tgUser{ID: 7203, Name: "Ref"}
	h.send(ref, "/start ref_partner-7")
	require.Equal(t, "ref_partner-7", h.user(ref).Referrer)
}

// The balance screen shows the balance, the account id an admin credits,
// recent ledger entries and the operator's instructions; My orders lists
// numbers bought.
func TestBalanceAndOrdersScreens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	uche := tgUser{ID: 7301, Name: "Uche", Lang: "ig"}
	h.fund(uche, "4000")
	h.send(uche, "/balance")
	screen := h.tg.Screen(uche.ID)
	require.Contains(t, screen, "₦4,000.00")
	require.Contains(t, screen, "<code>"+itoa(h.user(uche).ID)+"</code>")
	require.Contains(t, screen, h.text("ig", "balance.kind_topup")+" +₦4,000.00")
	require.Contains(t, screen, "Pay to GTBank 0123456789")

	h.click(uche, "m")
	h.click(uche, "o")
	h.click(uche, "os:0")
	require.Equal(t, h.text("ig", "orders.none_numbers"), h.tg.Screen(uche.ID))
	h.click(uche, "sv:0")
	h.click(uche, "sc:wa:")
	h.click(uche, "sb:wa:")
	h.click(uche, "sy:wa:")
	h.click(uche, "m")
	h.click(uche, "o")
	h.click(uche, "os:0")
	require.Equal(t, h.bot.printer("ig").n("orders.numbers_title", 1), h.tg.Screen(uche.ID))
	h.click(uche, "nr:")
	require.Contains(t, h.tg.Screen(uche.ID), "WhatsApp")
	h.click(uche, "m")
	h.click(uche, "b")
	require.Contains(t, h.tg.Screen(uche.ID), h.text("ig", "balance.kind_purchase")+" -₦")
}
