package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"accgen/core/api"
	"accgen/core/httpx"
)

// pinger is a dependency readiness waits for.
type pinger interface {
	Ping(ctx context.Context) error
}

// routes is the whole HTTP surface of the engine: the REST API, health and
// readiness, and the envelope's 404 for everything else. Later front ends
// (the stub, metrics, the Telegram webhook) are mounted here too.
func routes(logger *slog.Logger, restAPI http.Handler, deps map[string]pinger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", restAPI)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(deps))
	mux.HandleFunc("/", api.NotFound)
	return httpx.WithRequestID(httpx.WithAccessLog(logger, mux))
}

// readyz answers 200 when every dependency answers within two seconds and
// 503 naming the ones that do not.
func readyz(deps map[string]pinger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		checks := map[string]string{}
		status := http.StatusOK
		for name, d := range deps {
			checks[name] = "ok"
			if err := d.Ping(ctx); err != nil {
				checks[name] = "unreachable"
				status = http.StatusServiceUnavailable
			}
		}
		writeStatus(w, status, map[string]any{"ready": status == http.StatusOK, "checks": checks})
	}
}

func writeStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
