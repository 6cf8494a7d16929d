package api

import "net/http"

// routes is the whole /api/v1 surface in one place.
func (h *Handler) routes(d Deps) {
	auth := func(next http.Handler) http.Handler { return h.authenticate(d.Keys, d.Limiter, next) }

	h.mux.Handle("GET /api/v1/user/balance", auth(h.getBalance(d.Wallets)))
}
