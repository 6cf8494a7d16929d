package stub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
	"accgen/core/httpx"
)

// Authenticator resolves an API key (the REST API's key) to its principal.
type Authenticator interface {
	Authenticate(ctx context.Context, key string) (core.Principal, error)
}

// Wallets reads wallet balances.
type Wallets interface {
	Balance(ctx context.Context, userID int64) (decimal.Decimal, error)
}

// SMSOrders is the SMS engine as the stub drives it.
type SMSOrders interface {
	Catalog() *core.Catalog
	Place(ctx context.Context, p core.PlaceSMSParams) (core.SMSOrder, bool, error)
	OrderByShortID(ctx context.Context, sc core.Scope, shortID int64) (core.SMSOrder, error)
	Orders(ctx context.Context, sc core.Scope, limit, offset int) ([]core.SMSOrder, int, error)
	Messages(ctx context.Context, sc core.Scope, id string) ([]core.SMSMessage, error)
	Cancel(ctx context.Context, sc core.Scope, id string) (core.SMSOrder, decimal.Decimal, error)
	RequestAnother(ctx context.Context, sc core.Scope, id string) (core.SMSOrder, error)
	Finish(ctx context.Context, sc core.Scope, id string) (core.SMSOrder, error)
}

// AuthGuard limits failed authentications per client address, so keys
// cannot be guessed at speed; httpx.AuthGuard implements it.
type AuthGuard interface {
	Blocked(ip string) (time.Duration, bool)
	Failed(ctx context.Context, ip string)
}

// Deps are what the stub drives. Limiter and AuthGuard must be the REST
// API's instances: one allowance per key, and one failure count per
// address, across both front ends.
type Deps struct {
	Keys      Authenticator
	Wallets   Wallets
	SMS       SMSOrders
	Limiter   core.RateLimiter
	AuthGuard AuthGuard // nil: failed authentications are not limited
	Logger    *slog.Logger
	Now       func() time.Time // default time.Now; tells live orders from expired ones
}

// Handler serves /stubs/handler_api.php.
type Handler struct {
	keys    Authenticator
	wallets Wallets
	sms     SMSOrders
	limiter core.RateLimiter
	guard   AuthGuard
	logger  *slog.Logger
	now     func() time.Time
}

// NewHandler builds the SMS-Activate-compatible endpoint.
func NewHandler(d Deps) *Handler {
	if d.Keys == nil || d.Wallets == nil || d.SMS == nil || d.Limiter == nil || d.Logger == nil {
		panic("stub.NewHandler: Keys, Wallets, SMS, Limiter and Logger are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.AuthGuard == nil {
		d.AuthGuard = noGuard{}
	}
	return &Handler{keys: d.Keys, wallets: d.Wallets, sms: d.SMS, limiter: d.Limiter, guard: d.AuthGuard, logger: d.Logger, now: d.Now}
}

// ServeHTTP answers one protocol request. Only GET and POST exist: a HEAD
// must not buy a number the way a GET getNumber does.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		reply{status: http.StatusMethodNotAllowed, contentType: contentText, body: tokenBadAction}.write(w)
		return
	}
	var body []byte
	if r.Method == http.MethodPost && r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if err != nil {
			return // the client went away mid-body
		}
	}
	p, err := parseParams(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
	if errors.Is(err, errBodyTooLarge) { // not a client in the wild: no protocol answer fits
		reply{status: http.StatusRequestEntityTooLarge, contentType: contentText, body: tokenErrorSQL}.write(w)
		return
	}
	h.serve(r.Context(), httpx.ClientIP(r), p).write(w)
}

// serve authenticates (an address with too many failures is refused before
// any lookup), applies the key's rate limit and dispatches.
func (h *Handler) serve(ctx context.Context, ip string, p params) reply {
	if wait, blocked := h.guard.Blocked(ip); blocked {
		return rateLimited(wait)
	}
	action := p.get("action")
	key := p.get("api_key")
	if key == "" {
		h.guard.Failed(ctx, ip)
		return h.errorReply(ctx, action, errNoKey)
	}
	principal, err := h.keys.Authenticate(ctx, key)
	if err != nil {
		if core.ErrorCode(err) == core.CodeUnauthorized {
			h.guard.Failed(ctx, ip)
		}
		return h.errorReply(ctx, action, err)
	}
	// The REST API's key for the same limiter: one allowance per key.
	d, err := h.limiter.Allow(ctx, "apikey:"+strconv.FormatInt(principal.KeyID, 10))
	if err != nil {
		return h.errorReply(ctx, action, core.Internal(err))
	}
	if !d.Allowed {
		return rateLimited(d.RetryAfter)
	}
	return h.dispatch(ctx, call{params: p, scope: core.Scope{UserID: principal.UserID, APIKeyID: principal.KeyID}, action: action})
}

// noGuard never blocks.
type noGuard struct{}

func (noGuard) Blocked(string) (time.Duration, bool) { return 0, false }
func (noGuard) Failed(context.Context, string)       {}

// call is one authenticated request.
type call struct {
	params params
	scope  core.Scope
	action string
}
