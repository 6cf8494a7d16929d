package core

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Ledger account codes. Each user has one wallet; the system accounts are
// the other side of every wallet movement.
const (
	// AccountFunding mirrors money that entered from outside (top-ups). It is
	// the only account whose balance may go negative.
	AccountFunding = "system:funding"
	// AccountSales collects purchases; refunds reverse out of it.
	AccountSales = "system:sales"
	// AccountAdjustments collects admin deductions.
	AccountAdjustments = "system:adjustments"
)

// WalletAccount is the ledger account code of a user's NGN wallet.
func WalletAccount(userID int64) string { return walletPrefix + strconv.FormatInt(userID, 10) }

const walletPrefix = "wallet:"

// TxKind says why money moved.
type TxKind string

// Transaction kinds.
const (
	TxTopUp    TxKind = "topup"
	TxPurchase TxKind = "purchase"
	TxRefund   TxKind = "refund"
	TxDeduct   TxKind = "deduct"
)

// Leg is one side of a posting: Amount is added to the account's balance
// (negative takes money out).
type Leg struct {
	Account string
	Amount  decimal.Decimal
}

// Posting is a balanced journal transaction about to be written.
type Posting struct {
	Reference string // unique idempotency reference
	Kind      TxKind
	UserID    int64
	Amount    decimal.Decimal // the user-facing amount, always positive
	Reverses  int64           // id of the transaction a refund reverses
	Memo      string
	Legs      []Leg
}

// maxReferenceLen bounds idempotency references (they arrive from clients).
const maxReferenceLen = 200

// Validate checks the double-entry rules that do not need the database.
func (p Posting) Validate() error {
	if p.Reference == "" || len(p.Reference) > maxReferenceLen {
		return ValidationError("reference", "must be 1 to %d characters", maxReferenceLen)
	}
	if err := CheckAmount("amount", p.Amount); err != nil {
		return err
	}
	if len(p.Legs) < 2 {
		return Internal(errorString("posting needs at least two legs"))
	}
	sum := decimal.Zero
	seen := make(map[string]bool, len(p.Legs))
	wallets := 0
	for _, l := range p.Legs {
		if l.Amount.IsZero() || !l.Amount.Equal(l.Amount.Round(2)) || seen[l.Account] {
			return Internal(errorString("posting has a zero, sub-kobo or repeated leg"))
		}
		seen[l.Account] = true
		sum = sum.Add(l.Amount)
		if strings.HasPrefix(l.Account, walletPrefix) {
			wallets++
		}
	}
	// Money moves between one customer's wallet and the shop's accounts;
	// no posting touches two wallets.
	if wallets != 1 {
		return Internal(errorString("posting must move exactly one wallet"))
	}
	if !sum.IsZero() {
		return Internal(errorString("posting legs do not sum to zero"))
	}
	if (p.Kind == TxRefund) != (p.Reverses != 0) {
		return Internal(errorString("only refunds reverse a transaction"))
	}
	return nil
}

// Transaction is a journal transaction as recorded.
type Transaction struct {
	ID         int64
	Reference  string
	Kind       TxKind
	UserID     int64
	Amount     decimal.Decimal
	ReversesID int64
	Memo       string
	CreatedAt  time.Time
	// Balance is the user's wallet balance right after this transaction
	// (the current balance when Replayed).
	Balance decimal.Decimal
	// Replayed is true when the reference was already recorded and nothing moved.
	Replayed bool
}

// Legs of a recorded transaction, used to build its reversal.
type Entry struct {
	Account string
	Amount  decimal.Decimal
}

// LedgerStore persists the journal. Post must run inside the caller's
// transaction when the context carries one (see Transactor).
type LedgerStore interface {
	// Post writes p atomically: locks the accounts in a fixed order, refuses
	// to take any non-funding account below zero (CodeInsufficientFunds), and
	// is idempotent on p.Reference: a repeat with the same kind, user and
	// amount returns the recorded transaction with Replayed set; a repeat
	// that differs is CodeConflict.
	Post(ctx context.Context, p Posting) (Transaction, error)
	// TransactionByReference returns CodeNotFound when there is none.
	TransactionByReference(ctx context.Context, ref string) (Transaction, []Entry, error)
	// Balance returns an account's cached balance (CodeNotFound if unknown).
	Balance(ctx context.Context, account string) (decimal.Decimal, error)
	// History lists a user's transactions, newest first.
	History(ctx context.Context, userID int64, limit int) ([]Transaction, error)
}

// Ledger moves NGN between wallets and the system accounts.
type Ledger struct {
	store LedgerStore
}

// NewLedger returns a Ledger over store.
func NewLedger(store LedgerStore) *Ledger { return &Ledger{store: store} }

// TopUp credits a user's wallet from outside, once per reference.
func (l *Ledger) TopUp(ctx context.Context, userID int64, amount decimal.Decimal, reference, memo string) (Transaction, error) {
	return l.move(ctx, TxTopUp, userID, amount, +1, reference, memo, AccountFunding)
}

// Charge debits a user's wallet for a purchase, once per reference.
func (l *Ledger) Charge(ctx context.Context, userID int64, amount decimal.Decimal, reference, memo string) (Transaction, error) {
	return l.move(ctx, TxPurchase, userID, amount, -1, reference, memo, AccountSales)
}

// Deduct takes money out of a wallet by admin decision, once per reference.
func (l *Ledger) Deduct(ctx context.Context, userID int64, amount decimal.Decimal, reference, memo string) (Transaction, error) {
	return l.move(ctx, TxDeduct, userID, amount, -1, reference, memo, AccountAdjustments)
}

// move posts a transfer of amount between a wallet and one system account;
// sign says which way the wallet moves.
func (l *Ledger) move(ctx context.Context, kind TxKind, userID int64, amount decimal.Decimal, sign int64, reference, memo, counter string) (Transaction, error) {
	p, err := transfer(kind, userID, amount, sign, reference, memo, counter)
	if err != nil {
		return Transaction{}, err
	}
	return l.store.Post(ctx, p)
}

// PurchasePosting is the charge Charge would post, validated but not
// posted: for a store that writes a purchase and its charge together.
func (l *Ledger) PurchasePosting(userID int64, amount decimal.Decimal, reference, memo string) (Posting, error) {
	return transfer(TxPurchase, userID, amount, -1, reference, memo, AccountSales)
}

func transfer(kind TxKind, userID int64, amount decimal.Decimal, sign int64, reference, memo, counter string) (Posting, error) {
	if err := CheckAmount("amount", amount); err != nil {
		return Posting{}, err
	}
	delta := amount.Mul(decimal.NewFromInt(sign))
	p := Posting{
		Reference: reference,
		Kind:      kind,
		UserID:    userID,
		Amount:    amount,
		Memo:      memo,
		Legs: []Leg{
			{Account: WalletAccount(userID), Amount: delta},
			{Account: counter, Amount: delta.Neg()},
		},
	}
	return p, p.Validate()
}

// RefundReference is the reference of the reversal of the transaction
// recorded under ref; deriving it makes refunds idempotent.
func RefundReference(ref string) string { return "refund:" + ref }

// Refund reverses the purchase or deduction recorded under reference, in
// full and at most once. Repeating it returns the recorded refund.
func (l *Ledger) Refund(ctx context.Context, reference, memo string) (Transaction, error) {
	orig, entries, err := l.store.TransactionByReference(ctx, reference)
	if err != nil {
		return Transaction{}, err
	}
	if orig.Kind != TxPurchase && orig.Kind != TxDeduct {
		return Transaction{}, Errorf(CodeInvalid, "only purchases and deductions can be refunded")
	}
	p := Posting{
		Reference: RefundReference(reference),
		Kind:      TxRefund,
		UserID:    orig.UserID,
		Amount:    orig.Amount,
		Reverses:  orig.ID,
		Memo:      memo,
	}
	for _, e := range entries {
		p.Legs = append(p.Legs, Leg{Account: e.Account, Amount: e.Amount.Neg()})
	}
	if err := p.Validate(); err != nil {
		return Transaction{}, err
	}
	return l.store.Post(ctx, p)
}

// Balance returns a user's wallet balance.
func (l *Ledger) Balance(ctx context.Context, userID int64) (decimal.Decimal, error) {
	return l.store.Balance(ctx, WalletAccount(userID))
}

// History returns a user's recent transactions, newest first.
func (l *Ledger) History(ctx context.Context, userID int64, limit int) ([]Transaction, error) {
	return l.store.History(ctx, userID, min(max(limit, 1), 100))
}

// InsufficientFunds is the error for a debit the wallet cannot cover.
func InsufficientFunds() error {
	return Errorf(CodeInsufficientFunds, "Your account balance is too low to complete the order.")
}

// Violation is one broken ledger invariant found by a verification.
type Violation struct {
	Check  string
	Detail string
}

// errorString is a tiny error for internal invariant failures.
type errorString string

func (e errorString) Error() string { return string(e) }
