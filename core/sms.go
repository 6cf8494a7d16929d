package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
)

// SMSConfig tunes the SMS engine.
type SMSConfig struct {
	TTL time.Duration // order lifetime (default 20m)
	// KeepChargeAfterCode refuses to cancel (and refund) an order once its
	// code arrived. Off by default: the seed refunds completed orders too.
	KeepChargeAfterCode bool
	BuyTimeout          time.Duration // bound on the upstream purchase (default 20s)
	PlacingTimeout      time.Duration // an order placing longer than this was interrupted (default 2m)
	OrphanGrace         time.Duration // an unowned upstream activation older than this is cancelled (default 1m)
	Now                 func() time.Time
	// BreakerThreshold consecutive upstream failures for a service and
	// country stop its sales for BreakerCooldown (defaults 5 and 1m).
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// OnPlaced and OnPoll observe placements and poll ticks (metrics); optional.
	OnPlaced func(outcome string)
	OnPoll   func(PollStats, error)
	// OnBatch observes the size of each shared transaction (group.go), by
	// kind: "sms_orders" (orders and charges), "sms_numbers"; optional.
	OnBatch func(kind string, size int)
}

// SMSEvents is told, inside the transaction that records an SMS, that one
// arrived; consumers (webhooks, the bot) enqueue their durable work there so
// nothing is lost if the process dies right after.
type SMSEvents interface {
	SMSReceived(ctx context.Context, o SMSOrder, m SMSMessage) error
}

// SMSExpiryEvents is optionally implemented by an SMSEvents consumer that
// wants to hear, inside the sweeper's transaction that expires an order and
// refunds it, that this happened (the bot announces it to the customer).
type SMSExpiryEvents interface {
	SMSExpired(ctx context.Context, o SMSOrder, refund Transaction) error
}

// SMS sells verification numbers: placement, cancel, another SMS, finish,
// polling upstream for codes, and the sweeper that expires and repairs.
type SMS struct {
	tx       Transactor
	store    SMSStore
	ledger   *Ledger
	catalog  *Catalog
	provider Provider
	events   SMSEvents
	cfg      SMSConfig
	logger   *slog.Logger
	breaker  *breaker
	recent   orderCache
	// Placements share commits (group.go): the charges of orders placed
	// together, then the numbers bought for them.
	charges group[NewSMSOrder, struct{}]
	issues  group[IssuedNumber, issuedOrder]
	// lastActivations is the poller's latest upstream list, reused by the
	// sweeper's orphan check.
	lastActivations atomic.Pointer[activationList]
}

// NewSMS returns the SMS engine. events may be nil.
func NewSMS(tx Transactor, store SMSStore, ledger *Ledger, catalog *Catalog, provider Provider, events SMSEvents, cfg SMSConfig, logger *slog.Logger) *SMS {
	if cfg.TTL <= 0 {
		cfg.TTL = 20 * time.Minute
	}
	if cfg.BuyTimeout <= 0 {
		cfg.BuyTimeout = 20 * time.Second
	}
	if cfg.PlacingTimeout <= 0 {
		cfg.PlacingTimeout = 2 * time.Minute
	}
	if cfg.OrphanGrace <= 0 {
		cfg.OrphanGrace = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BreakerThreshold <= 0 {
		cfg.BreakerThreshold = 5
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = time.Minute
	}
	if cfg.OnPlaced == nil {
		cfg.OnPlaced = func(string) {}
	}
	if cfg.OnPoll == nil {
		cfg.OnPoll = func(PollStats, error) {}
	}
	if cfg.OnBatch == nil {
		cfg.OnBatch = func(string, int) {}
	}
	s := &SMS{tx: tx, store: store, ledger: ledger, catalog: catalog, provider: provider, events: events, cfg: cfg, logger: logger,
		breaker: newBreaker(cfg.BreakerThreshold, cfg.BreakerCooldown, cfg.Now)}
	s.charges = group[NewSMSOrder, struct{}]{max: maxGroup, parallel: groupParallel,
		run: func(ctx context.Context, in []NewSMSOrder) []groupResult[struct{}] {
			return allOrEach(ctx, in, store.CreateSMSOrders)
		},
		observe: func(n int) { cfg.OnBatch("sms_orders", n) }}
	s.issues = group[IssuedNumber, issuedOrder]{run: s.recordNumbers, max: maxGroup, parallel: groupParallel,
		observe: func(n int) { cfg.OnBatch("sms_numbers", n) }}
	return s
}

// Catalog returns the catalog the engine sells from.
func (s *SMS) Catalog() *Catalog { return s.catalog }

// ProviderBalance is our balance at the upstream provider, in its currency
// (operators watch it to top up upstream before numbers run out).
func (s *SMS) ProviderBalance(ctx context.Context) (decimal.Decimal, error) {
	return s.provider.Balance(ctx)
}

// SetEvents installs the SMS event consumer (wiring order convenience).
func (s *SMS) SetEvents(e SMSEvents) { s.events = e }

// Scope is who is asking: a user, narrowed to one API key for API callers
// (orders are visible only to the key that placed them).
type Scope struct {
	UserID   int64
	APIKeyID int64 // 0: every order of the user (the bot)
}

func (sc Scope) allows(o SMSOrder) bool {
	return o.UserID == sc.UserID && (sc.APIKeyID == 0 || o.APIKeyID == sc.APIKeyID)
}

// PlaceSMSParams is an order request.
type PlaceSMSParams struct {
	Scope
	Source         OrderSource
	ServiceID      string
	CountryID      int
	MaxPrice       *decimal.Decimal // refuse when our price is higher
	IdempotencyKey string
	TelegramChatID int64
}

// PriceAboveMaxError refuses an order whose price exceeds the client's maximum.
type PriceAboveMaxError struct {
	Price decimal.Decimal
}

func (e *PriceAboveMaxError) Error() string {
	return fmt.Sprintf("the price is %s, above the maximum given", FormatNGN(e.Price))
}

// Fingerprint is the SHA-256 of a request's defining fields, compared when an
// idempotency key is reused.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Place buys a number: the order and its charge are committed first, then
// the number is bought upstream and recorded; if upstream refuses, the
// charge is refunded in the same step. A repeated idempotency key returns
// the first order (replayed true).
func (s *SMS) Place(ctx context.Context, p PlaceSMSParams) (SMSOrder, bool, error) {
	o, replayed, err := s.place(ctx, p)
	s.cfg.OnPlaced(placementOutcome(replayed, err))
	return o, replayed, err
}

// placementOutcome names a placement's result for metrics.
func placementOutcome(replayed bool, err error) string {
	var above *PriceAboveMaxError
	switch code := ErrorCode(err); {
	case err == nil && replayed:
		return "replayed"
	case err == nil:
		return "issued"
	case errors.As(err, &above):
		return "above_max_price"
	case code == CodeInsufficientFunds:
		return "insufficient_funds"
	case code == CodeInsufficientStock:
		return "no_numbers"
	case code == CodeUpstreamUnavailable:
		return "upstream_failed"
	case code == CodeInvalid || code == CodeConflict:
		return "invalid"
	default:
		return "error"
	}
}

func (s *SMS) place(ctx context.Context, p PlaceSMSParams) (SMSOrder, bool, error) {
	offer, err := s.catalog.Snapshot().FindOffer(p.ServiceID, p.CountryID)
	if err != nil {
		return SMSOrder{}, false, err
	}
	if p.MaxPrice != nil && offer.Price.GreaterThan(*p.MaxPrice) {
		return SMSOrder{}, false, &PriceAboveMaxError{Price: offer.Price}
	}
	fp := Fingerprint(p.ServiceID, fmt.Sprint(p.CountryID))
	if p.IdempotencyKey != "" {
		if o, replayed, err := s.replay(ctx, p, fp); replayed || err != nil {
			return o, replayed, err
		}
	}
	if !s.breaker.allow(offer.Service.ID, offer.Country.ID) {
		return SMSOrder{}, false, Errorf(CodeUpstreamUnavailable,
			"%s numbers in %s are temporarily unavailable; please try again in a minute. You were not charged.", offer.Service.Name, offer.Country.Name)
	}
	o, err := s.charge(ctx, p, offer, fp)
	if errors.Is(err, ErrIdempotencyKeyTaken) {
		return s.replay(ctx, p, fp)
	}
	if err != nil {
		return SMSOrder{}, false, err
	}
	o, err = s.buy(ctx, o)
	return o, false, err
}

// replay returns the order already placed with p's idempotency key, if any.
func (s *SMS) replay(ctx context.Context, p PlaceSMSParams, fp string) (SMSOrder, bool, error) {
	o, err := s.store.SMSOrderByIdempotencyKey(ctx, p.APIKeyID, p.IdempotencyKey)
	if ErrorCode(err) == CodeNotFound {
		return SMSOrder{}, false, nil
	}
	if err != nil {
		return SMSOrder{}, false, err
	}
	if o.Fingerprint != fp {
		return SMSOrder{}, false, ValidationError("Idempotency-Key", "was already used with a different request")
	}
	return o, true, nil
}

// charge commits the order (placing) and its debit in one transaction.
func (s *SMS) charge(ctx context.Context, p PlaceSMSParams, offer Offer, fp string) (SMSOrder, error) {
	for range 5 {
		short, id, err := newShortID()
		if err != nil {
			return SMSOrder{}, Internal(err)
		}
		o := SMSOrder{
			ID: id, ShortID: short, UserID: p.UserID, APIKeyID: p.APIKeyID, Source: p.Source,
			ServiceID: offer.Service.ID, ServiceName: offer.Service.Name,
			CountryID: offer.Country.ID, CountryName: offer.Country.Name,
			Price: offer.Price, Status: SMSPlacing, ChargeReference: "sms:" + id,
			IdempotencyKey: p.IdempotencyKey, Fingerprint: fp, TelegramChatID: p.TelegramChatID,
			CreatedAt: s.cfg.Now(),
		}
		memo := fmt.Sprintf("SMS number: %s, %s", o.ServiceName, o.CountryName)
		charge, err := s.ledger.PurchasePosting(o.UserID, o.Price, o.ChargeReference, memo)
		if err != nil {
			return SMSOrder{}, err
		}
		_, err = s.charges.do(ctx, NewSMSOrder{Order: o, Charge: charge})
		if errors.Is(err, ErrShortIDTaken) {
			continue
		}
		return o, err
	}
	return SMSOrder{}, Internal(errors.New("could not allocate a short id"))
}

// issuedOrder is an order whose number was recorded, or found false when it
// was no longer placing.
type issuedOrder struct {
	order SMSOrder
	found bool
}

// recordNumbers records numbers bought for placing orders in one
// transaction, and each alone if that fails, so that one bad number (or a
// transient failure) costs no other buyer their number.
func (s *SMS) recordNumbers(ctx context.Context, numbers []IssuedNumber) []groupResult[issuedOrder] {
	out := make([]groupResult[issuedOrder], len(numbers))
	orders, err := s.store.IssueSMSNumbers(ctx, numbers)
	if err != nil {
		for i, n := range numbers {
			out[i].val, out[i].err = s.recordNumber(ctx, n)
		}
		return out
	}
	byID := make(map[string]SMSOrder, len(orders))
	for _, o := range orders {
		byID[o.ID] = o
	}
	for i, n := range numbers {
		o, found := byID[n.OrderID]
		out[i].val = issuedOrder{order: o, found: found}
	}
	return out
}

// recordNumber records one number. Recording is idempotent: when the order
// is no longer placing because an earlier attempt (whose commit went
// unanswered) recorded this very number, that is success.
func (s *SMS) recordNumber(ctx context.Context, n IssuedNumber) (issuedOrder, error) {
	orders, err := s.store.IssueSMSNumbers(ctx, []IssuedNumber{n})
	if err == nil && len(orders) == 1 {
		return issuedOrder{order: orders[0], found: true}, nil
	}
	if o, rerr := s.store.SMSOrderByID(ctx, n.OrderID); rerr == nil && o.Status != SMSPlacing && o.UpstreamID == n.Number.ActivationID {
		return issuedOrder{order: o, found: true}, nil
	}
	return issuedOrder{}, err
}

// buy gets the number upstream and records the outcome. It does not follow
// the caller's cancellation: once charged, the purchase runs to a recorded
// end so the customer is either given the number or refunded.
func (s *SMS) buy(ctx context.Context, o SMSOrder) (SMSOrder, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.BuyTimeout)
	defer cancel()
	n, err := s.provider.BuyNumber(ctx, o.ServiceID, o.CountryID)
	s.breaker.record(o.ServiceID, o.CountryID, err != nil && ProviderErrorKindOf(err) != ProviderNoNumbers)
	if err != nil {
		return s.fail(ctx, o, err)
	}
	rec, err := s.issues.do(ctx, IssuedNumber{OrderID: o.ID, Number: n, ExpiresAt: s.cfg.Now().Add(s.cfg.TTL)})
	issued := rec.order
	if err == nil && !rec.found {
		err = Errorf(CodeConflict, "the order is no longer placing")
	}
	if err != nil {
		// The sweeper gave up on the order meanwhile (or the database is
		// gone); the activation is an orphan the sweeper will cancel.
		s.logger.ErrorContext(ctx, "could not record a bought number", "order", o.ID, "activation", n.ActivationID, "err", err)
		if ErrorCode(err) == CodeConflict {
			// Only the sweeper moves a placing order on: it failed and
			// refunded this one while upstream took its time.
			return SMSOrder{}, &Error{Code: CodeUpstreamUnavailable, Err: err,
				Message: "The number provider took too long to answer. You were not charged."}
		}
		return SMSOrder{}, Internal(fmt.Errorf("record number: %w", err))
	}
	return issued, nil
}

// fail marks a placing order failed and refunds it, and turns the upstream
// error into the client's error.
func (s *SMS) fail(ctx context.Context, o SMSOrder, cause error) (SMSOrder, error) {
	kind := ProviderErrorKindOf(cause)
	s.logger.WarnContext(ctx, "upstream did not supply a number", "order", o.ID, "service", o.ServiceID,
		"country", o.CountryID, "kind", kind, "err", cause)
	// A conflict means the sweeper already failed and refunded the order
	// while upstream took its time: the customer's answer is the same.
	if err := s.refundFailed(ctx, o.ID, o.ChargeReference, cause.Error()); err != nil && ErrorCode(err) != CodeConflict {
		return SMSOrder{}, err
	}
	if kind == ProviderNoNumbers {
		return SMSOrder{}, Errorf(CodeInsufficientStock, "No numbers available for %s in %s right now. You were not charged.", o.ServiceName, o.CountryName)
	}
	return SMSOrder{}, &Error{Code: CodeUpstreamUnavailable, Err: cause,
		Message: "The number provider could not supply a number right now. You were not charged."}
}

func (s *SMS) refundFailed(ctx context.Context, id, chargeRef, reason string) error {
	return s.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.store.FailSMSOrder(ctx, id, truncate(reason, 200)); err != nil {
			return err
		}
		_, err := s.ledger.Refund(ctx, chargeRef, "SMS order failed")
		return err
	})
}

// Order returns one order the scope may see (CodeNotFound otherwise).
func (s *SMS) Order(ctx context.Context, sc Scope, id string) (SMSOrder, error) {
	o, err := s.store.SMSOrderByID(ctx, id)
	if err == nil && !sc.allows(o) {
		err = Errorf(CodeNotFound, "Order not found.")
	}
	return o, err
}

// OrderByShortID returns one order by its 8-digit id.
// It may answer from a cache up to a second old (see orderCache).
func (s *SMS) OrderByShortID(ctx context.Context, sc Scope, shortID int64) (SMSOrder, error) {
	o, ok := s.recent.get(shortID)
	var err error
	if !ok {
		if o, err = s.store.SMSOrderByShortID(ctx, shortID); err == nil {
			s.recent.put(o)
		}
	}
	if err == nil && !sc.allows(o) {
		err = Errorf(CodeNotFound, "Order not found.")
	}
	return o, err
}

// Orders lists the scope's orders, newest first, with the total count.
func (s *SMS) Orders(ctx context.Context, sc Scope, limit, offset int) ([]SMSOrder, int, error) {
	return s.store.ListSMSOrders(ctx, SMSOrderFilter{UserID: sc.UserID, APIKeyID: sc.APIKeyID, Limit: limit, Offset: offset})
}

// Messages lists every SMS an order received.
func (s *SMS) Messages(ctx context.Context, sc Scope, id string) ([]SMSMessage, error) {
	if _, err := s.Order(ctx, sc, id); err != nil {
		return nil, err
	}
	return s.store.SMSMessages(ctx, id)
}

// Cancel cancels a pending (or completed, when allowed) order and refunds it
// in full, then releases the number upstream (retried later if upstream
// refuses for now). It returns the order and the amount refunded.
func (s *SMS) Cancel(ctx context.Context, sc Scope, id string) (SMSOrder, decimal.Decimal, error) {
	o, err := s.Order(ctx, sc, id)
	if err != nil {
		return SMSOrder{}, decimal.Zero, err
	}
	var (
		cancelled SMSOrder
		refund    Transaction
	)
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if cancelled, err = s.store.CancelSMSOrder(ctx, id, !s.cfg.KeepChargeAfterCode); err != nil {
			return err
		}
		refund, err = s.ledger.Refund(ctx, cancelled.ChargeReference, "SMS order cancelled")
		return err
	})
	s.recent.evict(o.ShortID)
	if err != nil {
		return SMSOrder{}, decimal.Zero, s.explainConflict(err, o, "cancelled")
	}
	s.releaseUpstream(ctx, cancelled)
	return cancelled, refund.Amount, nil
}

// RequestAnother asks upstream for one more SMS on a completed order's
// number; the order waits again (keeping the codes it has).
func (s *SMS) RequestAnother(ctx context.Context, sc Scope, id string) (SMSOrder, error) {
	o, err := s.Order(ctx, sc, id)
	if err != nil {
		return SMSOrder{}, err
	}
	if o.Status != SMSCompleted || o.FinishedAt != nil {
		return SMSOrder{}, s.explainConflict(Errorf(CodeConflict, ""), o, "asked for another SMS")
	}
	if err := s.provider.RequestAnother(ctx, o.UpstreamID); err != nil {
		s.logger.WarnContext(ctx, "upstream refused another SMS", "order", o.ID, "err", err)
		return SMSOrder{}, &Error{Code: CodeUpstreamUnavailable, Err: err, Message: "The number provider could not send another SMS for this number."}
	}
	waiting, err := s.store.RequestAnotherSMS(ctx, id, s.cfg.Now())
	s.recent.evict(o.ShortID)
	return waiting, s.explainConflict(err, o, "asked for another SMS")
}

// Finish marks a completed order as done; it can no longer be cancelled.
func (s *SMS) Finish(ctx context.Context, sc Scope, id string) (SMSOrder, error) {
	o, err := s.Order(ctx, sc, id)
	if err != nil {
		return SMSOrder{}, err
	}
	fo, err := s.store.FinishSMSOrder(ctx, id)
	s.recent.evict(o.ShortID)
	if err != nil {
		return SMSOrder{}, s.explainConflict(err, o, "finished")
	}
	if err := s.provider.Finish(ctx, fo.UpstreamID); err != nil {
		s.logger.WarnContext(ctx, "upstream finish failed; it will close at its own expiry", "order", id, "err", err)
	}
	return fo, nil
}

// explainConflict turns a state conflict into a message naming the state.
func (s *SMS) explainConflict(err error, o SMSOrder, verb string) error {
	if ErrorCode(err) != CodeConflict {
		return err
	}
	cur, lerr := s.store.SMSOrderByID(context.Background(), o.ID)
	if lerr != nil {
		cur = o
	}
	return Errorf(CodeConflict, "This order cannot be %s: it is %s.", verb, describeState(cur))
}

func describeState(o SMSOrder) string {
	switch {
	case o.Status == SMSCompleted && o.FinishedAt != nil:
		return "finished"
	case o.Status == SMSPending && o.AwaitingAnother:
		return "waiting for another SMS"
	default:
		return o.Status.Public()
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
