package bot

import (
	"fmt"
	"hash/crc32"
	"sort"
	"strconv"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// Buy accounts: categories → products with price and stock → quantity →
// confirm → credentials (see delivery.go).

const productsPerPage = 8

// quantityChoices are the quick quantity buttons (those above the stock are
// left out).
var quantityChoices = []int{1, 2, 3, 5, 10}

// categoryTag is a short stable token for a category name, so callback
// data stays small whatever the name.
func categoryTag(name string) string { return fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(name))) }

// categories groups active products by category, sorted by name.
func categories(products []core.Product) (names []string, byName map[string][]core.Product) {
	byName = map[string][]core.Product{}
	for _, p := range products {
		if _, ok := byName[p.Category]; !ok {
			names = append(names, p.Category)
		}
		byName[p.Category] = append(byName[p.Category], p)
	}
	sort.Strings(names)
	return names, byName
}

func (r *req) categoriesScreen() screen {
	products, err := r.b.d.Inventory.Catalog(r.ctx)
	if err != nil {
		return screen{text: r.errorText(err), kb: keyboard{backToMenu(r.p)}}
	}
	names, byName := categories(products)
	var buttons []button
	for _, n := range names {
		stock := 0
		for _, p := range byName[n] {
			stock += p.Stock
		}
		buttons = append(buttons, btn(r.p.t("accounts.category_button", "Category", clip(n, 28), "Stock", stock), cbCategory, categoryTag(n), 0))
	}
	text := r.p.t("accounts.categories")
	if len(names) == 0 {
		text = r.p.t("accounts.empty")
	}
	return screen{text: text, kb: append(grid(buttons, 2), backToMenu(r.p))}
}

// productsScreen lists a page of one category's products.
func productsScreen(p printer, category string, products []core.Product, page int) screen {
	n := pages(len(products), productsPerPage)
	page = min(page, n-1)
	var k keyboard
	for _, pr := range products[page*productsPerPage : min(len(products), (page+1)*productsPerPage)] {
		label := p.t("accounts.product_button", "Name", clip(pr.Name, 28), "Price", pr.Price, "Stock", pr.Stock)
		k = append(k, []button{btn(label, cbProduct, pr.ID)})
	}
	if row := pager(p, cbCategory, page, n, categoryTag(category)); row != nil {
		k = append(k, row)
	}
	k = append(k, []button{btn(p.t("accounts.all_categories"), cbCategories), btn(p.t("common.menu"), cbMenu)})
	return screen{text: p.t("accounts.products", "Category", category), kb: k}
}

func (r *req) onCategory(c callback) {
	products, err := r.b.d.Inventory.Catalog(r.ctx)
	if err != nil {
		r.fail(err)
		return
	}
	names, byName := categories(products)
	for _, n := range names {
		if categoryTag(n) == c.arg(0) {
			r.show(productsScreen(r.p, n, byName[n], c.page(1)))
			return
		}
	}
	r.show(r.categoriesScreen()) // the category sold out or was renamed
}

// product loads the active product named by callback argument 0.
func (r *req) product(c callback) (core.Product, bool) {
	id, ok := c.num(0)
	if !ok {
		r.show(r.categoriesScreen())
		return core.Product{}, false
	}
	pr, err := r.b.d.Inventory.CatalogItem(r.ctx, id)
	if err != nil {
		r.fail(err)
		return core.Product{}, false
	}
	return pr, true
}

// productScreen describes a product and asks how many.
func productScreen(p printer, pr core.Product) screen {
	text := p.t("accounts.product", "Name", pr.Name, "Price", pr.Price, "Stock", pr.Stock)
	if pr.Description != "" {
		text += "\n\n" + esc(clip(pr.Description, 1000))
	}
	back := []button{btn(p.t("common.back"), cbCategory, categoryTag(pr.Category), 0), btn(p.t("common.menu"), cbMenu)}
	if pr.Stock == 0 {
		return screen{text: text + "\n\n" + p.t("accounts.sold_out"), kb: keyboard{back}}
	}
	var quick []button
	for _, q := range quantityChoices {
		if q <= pr.Stock && q <= core.MaxPurchaseQuantity {
			quick = append(quick, btn(strconv.Itoa(q), cbAccountAsk, pr.ID, q))
		}
	}
	k := keyboard{quick, {btn(p.t("accounts.other_quantity"), cbQtyOther, pr.ID)}, back}
	return screen{text: text + "\n\n" + p.t("accounts.how_many"), kb: k}
}

func (r *req) onProduct(c callback) {
	if pr, ok := r.product(c); ok {
		r.clearSession()
		r.show(productScreen(r.p, pr))
	}
}

func (r *req) onQuantityOther(c callback) {
	pr, ok := r.product(c)
	if !ok {
		return
	}
	if err := r.saveSession(session{State: stateQuantity, ProductID: pr.ID}); err != nil {
		r.fail(err)
		return
	}
	most := min(pr.Stock, core.MaxPurchaseQuantity)
	r.show(screen{text: r.p.t("accounts.type_quantity", "Name", pr.Name, "Max", most),
		kb: keyboard{{btn(r.p.t("common.back"), cbProduct, pr.ID)}}})
}

// typedQuantity answers the quantity prompt with the confirm screen.
func (r *req) typedQuantity(productID int64, text string) {
	pr, err := r.b.d.Inventory.CatalogItem(r.ctx, productID)
	if err != nil {
		r.clearSession()
		r.fail(err)
		return
	}
	q, err := strconv.Atoi(text)
	most := min(pr.Stock, core.MaxPurchaseQuantity)
	if err != nil || q < 1 || q > most {
		r.reply(r.p.t("accounts.bad_quantity", "Max", most))
		return // the prompt stays open for another try
	}
	r.clearSession()
	r.send(r.accountConfirm(pr, q))
}

func (r *req) accountConfirm(pr core.Product, q int) screen {
	bal, err := r.b.d.Ledger.Balance(r.ctx, r.user.ID)
	if err != nil {
		return screen{text: r.errorText(err), kb: keyboard{backToMenu(r.p)}}
	}
	return confirmAccountScreen(r.p, pr, q, bal, nonce())
}

// confirmAccountScreen asks the user to pay for q items.
func confirmAccountScreen(p printer, pr core.Product, q int, balance decimal.Decimal, token string) screen {
	total := pr.Price.Mul(decimal.NewFromInt(int64(q)))
	text := p.t("accounts.confirm", "Quantity", q, "Name", pr.Name, "Price", pr.Price, "Total", total, "Balance", balance)
	var k keyboard
	if balance.LessThan(total) {
		text += "\n\n" + p.t("common.low_balance", "Missing", total.Sub(balance))
		k = append(k, []button{btn(p.t("common.top_up"), cbBalance)})
	} else {
		k = append(k, []button{btn(p.t("accounts.pay", "Total", total), cbAccountBuy, pr.ID, q, token)})
	}
	return screen{text: text, kb: append(k, []button{btn(p.t("common.back"), cbProduct, pr.ID), btn(p.t("common.menu"), cbMenu)})}
}

func (r *req) onAccountAsk(c callback) {
	pr, ok := r.product(c)
	if !ok {
		return
	}
	q, ok := c.num(1)
	if !ok || q < 1 || q > int64(min(pr.Stock, core.MaxPurchaseQuantity)) {
		r.show(productScreen(r.p, pr))
		return
	}
	r.show(r.accountConfirm(pr, int(q)))
}

// onAccountBuy buys; a double tap replays the same order (the idempotency
// key comes from the confirm screen's token).
func (r *req) onAccountBuy(c callback) {
	pr, ok := r.product(c)
	if !ok {
		return
	}
	q, qok := c.num(1)
	token := c.arg(2)
	if !qok || q < 1 || len(token) != 8 {
		r.show(productScreen(r.p, pr))
		return
	}
	o, err := r.b.d.Inventory.Purchase(r.ctx, core.PurchaseParams{
		UserID: r.user.ID, ProductID: pr.ID, Quantity: int(q),
		IdempotencyKey: "tg:" + strconv.FormatInt(r.chatID, 10) + ":" + token,
	})
	if err != nil {
		r.fail(err)
		return
	}
	r.answer(r.p.t("accounts.paid"), false)
	r.show(screen{
		text: r.p.t("accounts.bought", "Quantity", o.Quantity, "Name", o.ProductName, "Total", o.Total, "Order", shortUUID(o.ID)),
		kb:   keyboard{{btn(r.p.t("menu.orders"), cbAccOrders, 0), btn(r.p.t("common.menu"), cbMenu)}},
	})
	if !o.Replayed {
		r.deliverCredentials(o)
	}
}

// shortUUID is the first block of an order UUID, for display.
func shortUUID(id string) string {
	if len(id) >= 8 {
		return id[:8]
	}
	return id
}
