package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"accgen/core"
)

// Accounts is the account inventory as the REST API drives it.
type Accounts interface {
	Catalog(ctx context.Context) ([]core.Product, error)
	CatalogItem(ctx context.Context, id int64) (core.Product, error)
	Purchase(ctx context.Context, p core.PurchaseParams) (core.AccountOrder, error)
	Order(ctx context.Context, owner core.Scope, id string) (core.AccountOrder, error)
	Orders(ctx context.Context, owner core.Scope, limit, offset int) ([]core.AccountOrder, int, error)
}

// catalogItemJSON is the design's catalog item.
type catalogItemJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Category    string `json:"category"`
	Description string `json:"description"`
	Price       Money  `json:"price_ngn"`
	Stock       int    `json:"stock"`
	InStock     bool   `json:"in_stock"`
}

func catalogItemView(p core.Product) catalogItemJSON {
	return catalogItemJSON{ID: p.ID, Name: p.Name, Category: p.Category, Description: p.Description,
		Price: Money(p.Price), Stock: p.Stock, InStock: p.Stock > 0}
}

// accountOrderJSON is the design's account order.
type accountOrderJSON struct {
	ID          string    `json:"id"`
	AccountID   int64     `json:"account_id"`
	ProductName string    `json:"product_name"`
	Quantity    int       `json:"quantity"`
	UnitPrice   Money     `json:"unit_price_ngn"`
	Total       Money     `json:"total_ngn"`
	Credentials []string  `json:"credentials"`
	CreatedAt   time.Time `json:"created_at"`
}

func accountOrderView(o core.AccountOrder) accountOrderJSON {
	creds := o.Credentials
	if creds == nil {
		creds = []string{}
	}
	return accountOrderJSON{ID: o.ID, AccountID: o.ProductID, ProductName: o.ProductName, Quantity: o.Quantity,
		UnitPrice: Money(o.UnitPrice), Total: Money(o.Total), Credentials: creds, CreatedAt: o.CreatedAt.UTC()}
}

// getAccountCatalog answers GET /api/v1/accounts/catalog.
func (h *Handler) getAccountCatalog(accounts Accounts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		products, err := accounts.Catalog(r.Context())
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		items := make([]catalogItemJSON, len(products))
		for i, p := range products {
			items[i] = catalogItemView(p)
		}
		writeData(w, http.StatusOK, map[string]any{"items": items})
	})
}

// getAccountCatalogItem answers GET /api/v1/accounts/catalog/{id}.
func (h *Handler) getAccountCatalogItem(accounts Accounts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			h.writeError(w, r, core.Errorf(core.CodeNotFound, "Account product not found: ids are positive numbers such as 15."))
			return
		}
		p, err := accounts.CatalogItem(r.Context(), id)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, catalogItemView(p))
	})
}

// postAccountOrder answers POST /api/v1/accounts/orders {"account_id","quantity"}.
// A repeated Idempotency-Key answers 201 again with the first order and
// Idempotency-Replayed: true.
func (h *Handler) postAccountOrder(accounts Accounts) http.Handler {
	type request struct {
		AccountID json.RawMessage `json:"account_id"`
		Quantity  json.RawMessage `json:"quantity"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := idempotencyKey(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		var req request
		if err := decodeJSON(w, r, &req); err != nil {
			h.writeError(w, r, err)
			return
		}
		productID, present, err := intField("account_id", req.AccountID, 1, math.MaxInt64, "must be a positive whole number")
		if err == nil && !present {
			err = core.ValidationError("account_id", "is required")
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		quantity, present, err := intField("quantity", req.Quantity, 1, core.MaxPurchaseQuantity,
			fmt.Sprintf("must be a whole number from 1 to %d", core.MaxPurchaseQuantity))
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if !present {
			quantity = 1 // the seed's default
		}
		p := principal(r)
		o, err := accounts.Purchase(r.Context(), core.PurchaseParams{
			UserID: p.UserID, APIKeyID: p.KeyID, ProductID: productID, Quantity: int(quantity),
			IdempotencyKey: key, Fingerprint: core.PurchaseFingerprint(productID, int(quantity)),
		})
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if o.Replayed {
			w.Header().Set("Idempotency-Replayed", "true")
		}
		writeData(w, http.StatusCreated, accountOrderView(o))
	})
}

// intField reads an integer JSON field within [lo, hi]; present is false
// when the field is missing or null. Strings, fractions and exponents are
// refused (with rule, naming the field) rather than coerced.
func intField(field string, raw json.RawMessage, lo, hi int64, rule string) (n int64, present bool, err error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, false, nil
	}
	if raw[0] == '"' {
		return 0, true, core.ValidationError(field, "must be a number, not a string")
	}
	n, err = strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, true, core.ValidationError(field, "%s", rule)
	}
	return n, true, nil
}

// getAccountOrder answers GET /api/v1/accounts/orders/{id}: the calling
// key's order with its credentials.
func (h *Handler) getAccountOrder(accounts Accounts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, err := accounts.Order(r.Context(), scope(r), r.PathValue("id"))
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, accountOrderView(o))
	})
}

// listAccountOrders answers GET /api/v1/accounts/orders?limit&offset: the
// calling key's orders, newest first, credentials included.
func (h *Handler) listAccountOrders(accounts Accounts) http.Handler {
	return listHandler(h, "orders", func(r *http.Request, limit, offset int) ([]core.AccountOrder, int, error) {
		return accounts.Orders(r.Context(), scope(r), limit, offset)
	}, accountOrderView)
}
