package api

import (
	"encoding/json"
	"net/http"

	"github.com/shopspring/decimal"

	"accgen/core/httpx"
)

type envelope struct {
	Success bool       `json:"success"`
	Data    any        `json:"data,omitempty"`
	Error   *errorBody `json:"error,omitempty"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeData answers status with data in the success envelope.
func writeData(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, envelope{Success: true, Data: data})
}

func writeErrorStatus(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, envelope{Error: &errorBody{Code: code, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func requestID(r *http.Request) string { return httpx.RequestID(r.Context()) }

// Money is an NGN amount that encodes as a JSON number with exactly two
// decimals (5000.00), as the seed's examples show.
type Money decimal.Decimal

// MarshalJSON implements json.Marshaler.
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(decimal.Decimal(m).StringFixed(2)), nil
}

// listHandler answers a paginated list (?limit&offset) under name, newest
// first as fetch returns it, each item rendered by view.
func listHandler[T, V any](h *Handler, name string, fetch func(r *http.Request, limit, offset int) ([]T, int, error), view func(T) V) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, err := parsePage(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		items, total, err := fetch(r, page.Limit, page.Offset)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		views := make([]V, len(items))
		for i, it := range items {
			views[i] = view(it)
		}
		writeData(w, http.StatusOK, map[string]any{name: views, "limit": page.Limit, "offset": page.Offset, "total": total})
	})
}
