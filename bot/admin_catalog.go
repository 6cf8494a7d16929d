package bot

import (
	"strconv"
	"strings"

	"accgen/core"
)

// /products, /addproduct and /setprice: the account catalog and SMS price
// overrides.

// maxListRunes keeps a listing inside one Telegram message (4096).
const maxListRunes = 3500

func (r *req) cmdProducts(string) {
	products, err := r.b.d.Inventory.Catalog(r.ctx)
	if err != nil {
		r.fail(err)
		return
	}
	if len(products) == 0 {
		r.reply(r.p.t("admin.no_products"))
		return
	}
	var b strings.Builder
	b.WriteString(r.p.t("admin.products_title"))
	for _, p := range products {
		line := "\n" + r.p.t("admin.product_line", "ID", p.ID, "Name", p.Name, "Category", p.Category, "Price", p.Price, "Stock", p.Stock)
		if len([]rune(b.String()+line)) > maxListRunes {
			b.WriteString("\n…")
			break
		}
		b.WriteString(line)
	}
	r.reply(b.String())
}

// cmdAddProduct: /addproduct Category | Name | Price [| Description].
func (r *req) cmdAddProduct(args string) {
	parts := strings.Split(args, "|")
	if len(parts) < 3 || len(parts) > 4 {
		r.reply(r.p.t("admin.usage_addproduct"))
		return
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	price, err := core.ParseAmount("price", parts[2])
	if err != nil {
		r.fail(err)
		return
	}
	np := core.NewProduct{Category: parts[0], Name: parts[1], Price: price}
	if len(parts) == 4 {
		np.Description = parts[3]
	}
	p, err := r.b.d.Inventory.CreateProduct(r.ctx, np)
	if err != nil {
		r.fail(err)
		return
	}
	r.reply(r.p.t("admin.product_added", "ID", p.ID, "Name", p.Name, "Category", p.Category, "Price", p.Price))
}

// cmdSetPrice: /setprice <service> [country] <price|clear>.
func (r *req) cmdSetPrice(args string) {
	f := strings.Fields(args)
	if len(f) < 2 || len(f) > 3 {
		r.reply(r.p.t("admin.usage_setprice"))
		return
	}
	svc, last := f[0], f[len(f)-1]
	var country *int
	where := r.p.t("admin.all_countries")
	if len(f) == 3 {
		c, err := strconv.Atoi(f[1])
		if err != nil || c < 0 {
			r.reply(r.p.t("admin.usage_setprice"))
			return
		}
		country = &c
		where = "#" + f[1]
		if ct, ok := r.b.d.SMS.Catalog().Snapshot().Country(c); ok {
			where = ct.Name
		}
	}
	catalog := r.b.d.SMS.Catalog()
	if strings.EqualFold(last, "clear") {
		if err := catalog.ClearPriceOverride(r.ctx, svc, country); err != nil {
			r.fail(err)
			return
		}
		r.reply(r.p.t("admin.price_cleared", "Service", svc, "Where", where))
		return
	}
	price, err := core.ParseAmount("price", last)
	if err != nil {
		r.fail(err)
		return
	}
	if err := catalog.SetPriceOverride(r.ctx, core.PriceOverride{ServiceID: svc, CountryID: country, Price: price}); err != nil {
		r.fail(err)
		return
	}
	r.reply(r.p.t("admin.price_set", "Service", svc, "Where", where, "Price", price))
}
