package core

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Account inventory: operator-supplied credentials (one per stock item),
// encrypted at rest, sold whole from a catalog of products. The plaintext of
// a credential exists only at import and at delivery.

// Product is a catalog item. Stock counts its available items.
type Product struct {
	ID          int64
	Name        string
	Category    string // the platform, e.g. "Instagram"
	Description string
	Price       decimal.Decimal // NGN per item
	Active      bool
	Stock       int
	CreatedAt   time.Time
}

// NewProduct is what an operator supplies to add a catalog item.
type NewProduct struct {
	Name        string
	Category    string
	Description string
	Price       decimal.Decimal
}

// StockItem is one sealed credential as stored. The plaintext is bound to
// (ID, ProductID) as additional data, see stockAAD.
type StockItem struct {
	ID          int64
	ProductID   int64
	KeyID       string
	Ciphertext  []byte
	Fingerprint []byte
}

// AccountOrder is a purchase of Quantity items of one product. Credentials
// are the opened items sold to it, in the order they were sold.
type AccountOrder struct {
	ID                 string // UUID
	UserID             int64
	APIKeyID           int64 // 0 for orders placed outside the REST API (the bot)
	ProductID          int64
	ProductName        string // snapshot at purchase
	Quantity           int
	UnitPrice          decimal.Decimal
	Total              decimal.Decimal
	LedgerReference    string
	IdempotencyKey     string
	RequestFingerprint string
	CreatedAt          time.Time
	Credentials        []string
	// Replayed is true when the order was placed earlier with the same
	// idempotency key and is being returned again; nothing moved.
	Replayed bool
}

// Crypter seals credentials at rest; *secret.Keyring implements it.
type Crypter interface {
	// Seal encrypts under the current key, bound to aad.
	Seal(plaintext, aad []byte) (keyID string, ciphertext []byte, err error)
	// Open decrypts what Seal returned, given the same aad.
	Open(keyID string, ciphertext, aad []byte) ([]byte, error)
	// Fingerprints are keyed hashes of plaintext under every key, current first.
	Fingerprints(plaintext []byte) [][]byte
}

// InventoryStore persists products, stock and account orders. Methods take
// part in the transaction carried by ctx (see Transactor).
type InventoryStore interface {
	// CreateProduct adds an active product with no stock.
	CreateProduct(ctx context.Context, p NewProduct) (Product, error)
	// ProductByID returns active and inactive products with their stock;
	// CodeNotFound if none.
	ProductByID(ctx context.Context, id int64) (Product, error)
	// ProductForSale is ProductByID without counting stock (Stock is 0):
	// the purchase path takes items instead of counting them.
	ProductForSale(ctx context.Context, id int64) (Product, error)
	// ListProducts returns active products by id.
	ListProducts(ctx context.Context) ([]Product, error)

	// ReserveStockItemIDs returns n fresh item ids, so items can be sealed
	// with their id as additional data before they are inserted.
	ReserveStockItemIDs(ctx context.Context, n int) ([]int64, error)
	// ExistingFingerprints returns which of fps the product's items carry.
	ExistingFingerprints(ctx context.Context, productID int64, fps [][]byte) ([][]byte, error)
	// AddStockItems inserts items as available, skipping any whose
	// fingerprint the product already has; it returns how many it added.
	AddStockItems(ctx context.Context, productID int64, items []StockItem) (int, error)
	// SoldStockItems returns the items sold to each order, by item id.
	SoldStockItems(ctx context.Context, orderIDs []string) (map[string][]StockItem, error)

	// PurchaseAccounts makes purchases, all in one transaction. For each it
	// records the order (setting CreatedAt), sells it up to Quantity
	// available items of its product (oldest first, skipping items other
	// buyers hold), hands the items sold to Accept and posts Charge; it
	// commits only if every Accept returns nil and every charge is posted.
	// An order row is written first, so a concurrent purchase with the same
	// idempotency key waits for this one and then gets ErrIdempotencyKeyTaken.
	// An unknown user or API key is CodeNotFound.
	PurchaseAccounts(ctx context.Context, purchases []NewAccountPurchase) error
	// AccountOrderByIdempotencyKey finds the order placed with key by the API
	// key apiKeyID (or, when 0, by the user outside the API); CodeNotFound if none.
	AccountOrderByIdempotencyKey(ctx context.Context, userID, apiKeyID int64, key string) (AccountOrder, error)
	// AccountOrderByID returns owner's order; CodeNotFound for another's.
	AccountOrderByID(ctx context.Context, owner Scope, id string) (AccountOrder, error)
	// ListAccountOrders returns a page of owner's orders, newest first, and
	// how many there are in all.
	ListAccountOrders(ctx context.Context, owner Scope, limit, offset int) ([]AccountOrder, int, error)
}

// NewAccountPurchase is a purchase about to be made (InventoryStore.PurchaseAccounts).
type NewAccountPurchase struct {
	Order  *AccountOrder
	Charge Posting
	Accept func([]StockItem) error
}

// Inventory runs the catalog, stock imports and account purchases.
type Inventory struct {
	store  InventoryStore
	tx     Transactor
	ledger *Ledger
	crypt  Crypter
	// Purchases made together share a transaction (group.go).
	purchases group[NewAccountPurchase, struct{}]
}

// NewInventory returns the inventory service. crypt may be nil when no
// encryption key is configured: the catalog then works, but importing and
// selling credentials fail with an internal error.
func NewInventory(store InventoryStore, tx Transactor, ledger *Ledger, crypt Crypter) *Inventory {
	inv := &Inventory{store: store, tx: tx, ledger: ledger, crypt: crypt}
	inv.purchases = group[NewAccountPurchase, struct{}]{max: maxGroup, parallel: groupParallel,
		run: func(ctx context.Context, in []NewAccountPurchase) []groupResult[struct{}] {
			return allOrEach(ctx, in, store.PurchaseAccounts)
		}}
	return inv
}

// ObserveBatches reports the size of each shared purchase transaction
// (kind "account_purchases"), for metrics. Call it before serving.
func (inv *Inventory) ObserveBatches(observe func(kind string, size int)) {
	inv.purchases.observe = func(n int) { observe("account_purchases", n) }
}

// errNoCrypter is the failure of a credential operation without a key.
var errNoCrypter = Internal(errors.New("inventory: no encryption key configured (ACCGEN_ENCRYPTION_KEY)"))

// Product limits.
const (
	maxProductNameLen     = 100
	maxProductCategoryLen = 64
	maxProductDescLen     = 2000
)

// CreateProduct validates and adds a catalog item (active, no stock).
func (inv *Inventory) CreateProduct(ctx context.Context, p NewProduct) (Product, error) {
	p.Name, p.Category, p.Description = strings.TrimSpace(p.Name), strings.TrimSpace(p.Category), strings.TrimSpace(p.Description)
	switch {
	case p.Name == "":
		return Product{}, ValidationError("name", "is required")
	case p.Category == "":
		return Product{}, ValidationError("category", "is required")
	}
	if err := checkText("name", p.Name, maxProductNameLen); err != nil {
		return Product{}, err
	}
	if err := checkText("category", p.Category, maxProductCategoryLen); err != nil {
		return Product{}, err
	}
	if err := checkDescription(p.Description); err != nil {
		return Product{}, err
	}
	if err := CheckAmount("price", p.Price); err != nil {
		return Product{}, err
	}
	return inv.store.CreateProduct(ctx, p)
}

// checkDescription allows line breaks, which checkText refuses.
func checkDescription(s string) error {
	return checkText("description", strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s), maxProductDescLen)
}

// Catalog lists the active products with their stock.
func (inv *Inventory) Catalog(ctx context.Context) ([]Product, error) {
	return inv.store.ListProducts(ctx)
}

// CatalogItem returns an active product; inactive ones are CodeNotFound.
func (inv *Inventory) CatalogItem(ctx context.Context, id int64) (Product, error) {
	p, err := inv.store.ProductByID(ctx, id)
	if err == nil && !p.Active {
		return Product{}, productNotFound(id)
	}
	return p, err
}

func productNotFound(id int64) error {
	return Errorf(CodeNotFound, "Account product %d does not exist.", id)
}

// stockAAD binds a sealed credential to its row and product, so a
// ciphertext copied to another row (or product) fails to open.
func stockAAD(productID, itemID int64) []byte {
	b := make([]byte, 0, 32)
	b = append(b, "accgen/stock-item/v1"...)
	b = binary.BigEndian.AppendUint64(b, uint64(productID))
	return binary.BigEndian.AppendUint64(b, uint64(itemID))
}

// openItems decrypts items for delivery.
func (inv *Inventory) openItems(items []StockItem) ([]string, error) {
	if inv.crypt == nil {
		return nil, errNoCrypter
	}
	out := make([]string, len(items))
	for i, it := range items {
		plain, err := inv.crypt.Open(it.KeyID, it.Ciphertext, stockAAD(it.ProductID, it.ID))
		if err != nil {
			return nil, Internal(fmt.Errorf("open stock item %d: %w", it.ID, err))
		}
		out[i] = string(plain)
	}
	return out, nil
}
