// Package api serves the reseller REST API under /api/v1: the seed's JSON
// envelope on every answer, X-API-Key authentication, per-key rate limits,
// and one file per resource. Handlers decode, call one engine method,
// translate the error through errors.go, and encode.
package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/shopspring/decimal"

	"accgen/core"
	"accgen/core/httpx"
)

// Authenticator resolves an API key to its principal.
type Authenticator interface {
	Authenticate(ctx context.Context, key string) (core.Principal, error)
}

// Wallets reads wallet balances.
type Wallets interface {
	Balance(ctx context.Context, userID int64) (decimal.Decimal, error)
}

// Deps are what the API drives.
type Deps struct {
	Keys     Authenticator
	Wallets  Wallets
	SMS      SMSOrders
	Accounts Accounts
	// Webhooks and WebhookTester serve /api/v1/user/webhook.
	Webhooks      Webhooks
	WebhookTester WebhookTester
	Limiter       core.RateLimiter
	Logger        *slog.Logger
	// AuthGuard limits failed authentications per client IP; nil: no limit.
	AuthGuard *httpx.AuthGuard
}

// Handler is the /api/v1 HTTP handler.
type Handler struct {
	mux    *http.ServeMux
	logger *slog.Logger
}

// NewHandler builds the REST API.
func NewHandler(d Deps) *Handler {
	h := &Handler{mux: http.NewServeMux(), logger: d.Logger}
	h.routes(d)
	return h
}

// ServeHTTP routes the request, answering unknown routes and wrong methods
// with the envelope instead of ServeMux's plain-text pages.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.noRoute(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// noRoute answers 405 (with Allow) when the path exists for other methods,
// else 404.
func (h *Handler) noRoute(w http.ResponseWriter, r *http.Request) {
	probe := &headerProbe{header: http.Header{}}
	mh, _ := h.mux.Handler(r)
	mh.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeErrorStatus(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
			"Method "+r.Method+" is not allowed here; use "+probe.header.Get("Allow")+".")
		return
	}
	writeErrorStatus(w, http.StatusNotFound, "NOT_FOUND", "No route matches "+r.Method+" "+r.URL.Path+".")
}

// NotFound answers any request with the envelope's 404, for the parts of the
// server outside /api/v1 that have no page of their own.
func NotFound(w http.ResponseWriter, r *http.Request) {
	writeErrorStatus(w, http.StatusNotFound, "NOT_FOUND", "No route matches "+r.Method+" "+r.URL.Path+".")
}

// headerProbe captures what ServeMux's own 404/405 handler would send.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int)      { p.status = status }

// Route names the route r matches ("GET /api/v1/sms/orders/{id}"), or
// "unmatched": a bounded label for metrics.
func (h *Handler) Route(r *http.Request) string {
	if _, pattern := h.mux.Handler(r); pattern != "" {
		return pattern
	}
	return "unmatched"
}
