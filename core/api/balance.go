package api

import (
	"net/http"
)

// getBalance answers GET /api/v1/user/balance.
func (h *Handler) getBalance(wallets Wallets) http.Handler {
	type response struct {
		BalanceNGN Money  `json:"balance_ngn"`
		Currency   string `json:"currency"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bal, err := wallets.Balance(r.Context(), principal(r).UserID)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, response{BalanceNGN: Money(bal), Currency: "NGN"})
	})
}
