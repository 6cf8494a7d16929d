package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// MaxPurchaseQuantity is the most items one account order may buy.
const MaxPurchaseQuantity = 50

// AccountOrderReferencePrefix starts the ledger reference of every account
// order's charge ("account-order:<order id>").
const AccountOrderReferencePrefix = "account-order:"

// PurchaseParams is an account order request.
type PurchaseParams struct {
	UserID    int64
	APIKeyID  int64 // 0 for orders placed outside the REST API (the bot)
	ProductID int64
	Quantity  int // 1..MaxPurchaseQuantity
	// IdempotencyKey, when set, makes a repeat of the request return the
	// first order instead of buying again.
	IdempotencyKey string
	// Fingerprint identifies the request under IdempotencyKey; empty means
	// PurchaseFingerprint(ProductID, Quantity).
	Fingerprint string
}

// PurchaseFingerprint is the SHA-256 (hex) of the normalised purchase
// request: the same product and quantity give the same fingerprint however
// the client spelled its JSON.
func PurchaseFingerprint(productID int64, quantity int) string {
	return Fingerprint("account_id", strconv.FormatInt(productID, 10), "quantity", strconv.Itoa(quantity))
}

// Purchase sells Quantity items of a product to the user in one
// transaction: the order is recorded, the items are taken (skipping those
// other buyers hold), the wallet is charged and the items are marked sold to
// the order. Not enough stock is CodeInsufficientStock, not enough money
// CodeInsufficientFunds, and in both cases nothing is taken. A repeat with
// the same idempotency key returns the first order (Replayed set); the same
// key with another request is CodeConflict.
func (inv *Inventory) Purchase(ctx context.Context, p PurchaseParams) (AccountOrder, error) {
	if p.Quantity < 1 || p.Quantity > MaxPurchaseQuantity {
		return AccountOrder{}, ValidationError("quantity", "must be a whole number from 1 to %d", MaxPurchaseQuantity)
	}
	if p.ProductID <= 0 {
		return AccountOrder{}, productNotFound(p.ProductID)
	}
	if inv.crypt == nil {
		return AccountOrder{}, errNoCrypter
	}
	if p.IdempotencyKey == "" {
		p.Fingerprint = ""
	} else {
		if p.Fingerprint == "" {
			p.Fingerprint = PurchaseFingerprint(p.ProductID, p.Quantity)
		}
		if o, found, err := inv.replay(ctx, p); found || err != nil {
			return o, err
		}
	}
	o, err := inv.purchase(ctx, p)
	if errors.Is(err, ErrIdempotencyKeyTaken) {
		// A concurrent request with the same key committed first; its
		// order is the answer (or the key was used for something else).
		o, found, err := inv.replay(ctx, p)
		if err == nil && !found {
			err = Internal(errors.New("idempotency key taken but its order is not found"))
		}
		return o, err
	}
	return o, err
}

// purchase records the order, takes the stock and charges the wallet in one
// transaction (InventoryStore.PurchaseAccounts), shared with purchases
// made at the same moment.
func (inv *Inventory) purchase(ctx context.Context, p PurchaseParams) (AccountOrder, error) {
	prod, err := inv.store.ProductForSale(ctx, p.ProductID)
	if err != nil {
		return AccountOrder{}, err
	}
	if !prod.Active {
		return AccountOrder{}, productNotFound(p.ProductID)
	}
	id := newUUID()
	o := AccountOrder{
		ID: id, UserID: p.UserID, APIKeyID: p.APIKeyID,
		ProductID: prod.ID, ProductName: prod.Name, Quantity: p.Quantity,
		UnitPrice: prod.Price, Total: prod.Price.Mul(decimal.NewFromInt(int64(p.Quantity))),
		LedgerReference: AccountOrderReferencePrefix + id,
		IdempotencyKey:  p.IdempotencyKey, RequestFingerprint: p.Fingerprint,
	}
	memo := fmt.Sprintf("account order: %d × %s", p.Quantity, prod.Name)
	charge, err := inv.ledger.PurchasePosting(p.UserID, o.Total, o.LedgerReference, memo)
	if err != nil {
		return AccountOrder{}, err
	}
	_, err = inv.purchases.do(ctx, NewAccountPurchase{Order: &o, Charge: charge, Accept: func(items []StockItem) error {
		if len(items) < p.Quantity {
			return Errorf(CodeInsufficientStock, "Not enough stock: %d available", len(items))
		}
		// Opened before the transaction commits: an item that cannot be
		// delivered is never paid for, and stays in stock.
		var err error
		o.Credentials, err = inv.openItems(items)
		return err
	}})
	if err != nil {
		return AccountOrder{}, err
	}
	return o, nil
}

// replay returns the order already placed with p's idempotency key, if any.
func (inv *Inventory) replay(ctx context.Context, p PurchaseParams) (AccountOrder, bool, error) {
	o, err := inv.store.AccountOrderByIdempotencyKey(ctx, p.UserID, p.APIKeyID, p.IdempotencyKey)
	if ErrorCode(err) == CodeNotFound {
		return AccountOrder{}, false, nil
	}
	if err != nil {
		return AccountOrder{}, false, err
	}
	if o.RequestFingerprint != p.Fingerprint {
		return AccountOrder{}, false, Errorf(CodeConflict, "Idempotency-Key %q was used with a different request.", p.IdempotencyKey)
	}
	orders := []AccountOrder{o}
	if err := inv.withCredentials(ctx, orders); err != nil {
		return AccountOrder{}, false, err
	}
	orders[0].Replayed = true
	return orders[0], true, nil
}

// Order returns one of owner's account orders with its credentials. Another
// owner's order, and a malformed id, are CodeNotFound.
func (inv *Inventory) Order(ctx context.Context, owner Scope, id string) (AccountOrder, error) {
	if !IsUUID(id) {
		return AccountOrder{}, Errorf(CodeNotFound, "Account order not found: order ids are UUIDs.")
	}
	o, err := inv.store.AccountOrderByID(ctx, owner, strings.ToLower(id))
	if err != nil {
		return AccountOrder{}, err
	}
	orders := []AccountOrder{o}
	if err := inv.withCredentials(ctx, orders); err != nil {
		return AccountOrder{}, err
	}
	return orders[0], nil
}

// Orders returns a page of owner's account orders, newest first, with their
// credentials, and how many orders owner has in all.
func (inv *Inventory) Orders(ctx context.Context, owner Scope, limit, offset int) ([]AccountOrder, int, error) {
	orders, total, err := inv.store.ListAccountOrders(ctx, owner, min(max(limit, 1), 100), max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	return orders, total, inv.withCredentials(ctx, orders)
}

// withCredentials opens the items sold to each order, in place.
func (inv *Inventory) withCredentials(ctx context.Context, orders []AccountOrder) error {
	if len(orders) == 0 {
		return nil
	}
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	sold, err := inv.store.SoldStockItems(ctx, ids)
	if err != nil {
		return err
	}
	for i := range orders {
		if orders[i].Credentials, err = inv.openItems(sold[orders[i].ID]); err != nil {
			return err
		}
	}
	return nil
}
