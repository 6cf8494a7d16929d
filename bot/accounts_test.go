package bot

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
)

// stockProduct has the admin add a product and upload its stock file, and
// returns the product.
func stockProduct(t *testing.T, h *harness, admin tgUser, lines ...string) core.Product {
	t.Helper()
	h.send(admin, "/addproduct Instagram | Aged IG 2019 | 2500 | Old account with posts")
	products, err := h.inv.Catalog(h.ctx)
	require.NoError(t, err)
	require.Len(t, products, 1)
	p := products[0]
	require.Contains(t, h.lastSent(admin), "#"+itoa(p.ID))
	h.document(admin, itoa(p.ID), "stock.txt", strings.Join(lines, "\n")+"\n")
	require.Equal(t, h.text("en", "admin.stock_imported", "Product", p.ID, "Imported", len(lines), "Duplicates", 0, "Stock", len(lines)),
		h.lastSent(admin))
	return p
}

// Categories → product → quantity 3 → confirm → the three credentials
// arrive as a message, and again from My orders.
func TestBuyAccountsQuantityThreeDelivered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}})
	admin := tgUser{ID: adminID, Name: "Boss"}
	ngozi := tgUser{ID: 6001, Name: "Ngozi", Username: "ngozi"}
	h.send(ngozi, "/start")
	creds := []string{"ig_one:pass1", "ig_two:pass2", "ig_three:pass<3>", "ig_four:pass4", "ig_five:pass5"}
	p := stockProduct(t, h, admin, creds...)
	h.send(admin, "/topup @ngozi 10000")

	h.click(ngozi, "ac")
	h.click(ngozi, "ag:")
	h.click(ngozi, "ap:"+itoa(p.ID))
	require.Contains(t, h.tg.Screen(ngozi.ID), "Aged IG 2019")
	h.click(ngozi, "ak:"+itoa(p.ID)+":3")
	require.Contains(t, h.tg.Screen(ngozi.ID), "₦7,500.00", "the confirm screen shows the total")
	h.click(ngozi, "ay:"+itoa(p.ID)+":3:")

	msg := h.lastSent(ngozi)
	for _, c := range creds[:3] {
		require.Contains(t, msg, "<code>"+esc(c)+"</code>", "credential delivered, escaped")
	}
	require.NotContains(t, msg, "ig_four")
	require.True(t, h.env.Balance(t, h.user(ngozi).ID).Equal(decimal.NewFromInt(2500)))
	item, err := h.inv.CatalogItem(h.ctx, p.ID)
	require.NoError(t, err)
	require.Equal(t, 2, item.Stock)

	h.click(ngozi, "m")
	h.click(ngozi, "o")
	h.click(ngozi, "oa:0")
	h.click(ngozi, "ao:")
	require.Contains(t, h.tg.Screen(ngozi.ID), "Aged IG 2019")
	h.click(ngozi, "ad:")
	require.Equal(t, msg, h.lastSent(ngozi), "My orders sends the same credentials again")
	h.env.RequireLedgerClean(t)
}

// Above the size threshold the credentials come as a .txt document.
func TestCredentialsAsFileAboveThreshold(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}, config: func(c *Config) { c.CredentialsFileThreshold = 60 }})
	admin := tgUser{ID: adminID, Name: "Boss"}
	emeka := tgUser{ID: 6002, Name: "Emeka", Username: "emeka"}
	h.send(emeka, "/start")
	p := stockProduct(t, h, admin, "a@example.com:secret-one", "b@example.com:secret-two", "c@example.com:secret-three")
	h.fund(emeka, "10000")
	h.click(emeka, "ac")
	h.click(emeka, "ag:")
	h.click(emeka, "ap:")
	h.click(emeka, "ak:"+itoa(p.ID)+":3")
	h.click(emeka, "ay:")
	docs := h.tg.CallsOf("sendDocument")
	require.Len(t, docs, 1)
	f := docs[0].Files["document"]
	require.Equal(t, "a@example.com:secret-one\nb@example.com:secret-two\nc@example.com:secret-three\n", f.Data)
	require.True(t, strings.HasPrefix(f.Name, "order-") && strings.HasSuffix(f.Name, ".txt"), f.Name)
	require.Equal(t, itoa(emeka.ID), docs[0].Fields["chat_id"])
}
