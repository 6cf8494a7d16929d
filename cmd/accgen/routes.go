package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"accgen/core/api"
	"accgen/core/httpx"
	"accgen/core/metrics"
)

// pinger is a dependency readiness waits for.
type pinger interface {
	Ping(ctx context.Context) error
}

// surface is everything the engine serves over HTTP.
type surface struct {
	rest     *api.Handler
	stub     http.Handler
	telegram http.Handler // nil unless the bot runs in webhook mode
	metrics  *metrics.Metrics
	deps     map[string]pinger // what readiness checks

	// telegramPath is where telegram is mounted (the path of
	// ACCGEN_TELEGRAM_WEBHOOK_URL); empty means telegramWebhookPath.
	telegramPath string
}

// telegramWebhookPath is where Telegram posts updates in webhook mode.
const telegramWebhookPath = "/telegram/webhook"

// routes is the whole HTTP surface of the engine in one place: the REST API,
// the SMS-Activate-compatible stub, the Telegram webhook, metrics, health
// and readiness, and the envelope's 404 for everything else.
func routes(logger *slog.Logger, s surface) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", s.rest)
	mux.Handle("/stubs/handler_api.php", s.stub)
	if s.telegram != nil {
		path := s.telegramPath
		if path == "" {
			path = telegramWebhookPath
		}
		// Every method goes to the bot, which answers 405 itself, so a GET
		// cannot fall through to the REST 404.
		mux.Handle(path, s.telegram)
	}
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(s.deps))
	mux.HandleFunc("/", api.NotFound)
	routeOf := func(r *http.Request) string {
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/v1/"):
			return s.rest.Route(r)
		case r.URL.Path == "/stubs/handler_api.php":
			return "stub:" + stubAction(r)
		}
		if _, pattern := mux.Handler(r); pattern != "/" {
			return pattern
		}
		return "unmatched"
	}
	return httpx.WithRequestID(httpx.WithAccessLog(logger, s.metrics.Middleware(routeOf, mux)))
}

// stubActions bounds the stub's metric label to the actions clients use.
var stubActions = map[string]bool{}

func init() {
	for _, a := range strings.Fields(`getBalance getBalanceAndCashBack getServicesList getCountries getPrices getNumber
		getNumberV2 getStatus getStatusV2 setStatus getActivations getHistory getActiveActivations
		getTopCountriesByService getOperators`) {
		stubActions[a] = true
	}
}

// stubAction reads the action from the query string, or from the form the
// stub already parsed (the body cannot be read twice).
func stubAction(r *http.Request) string {
	a := r.URL.Query().Get("action")
	if a == "" && r.Form != nil {
		a = r.Form.Get("action")
	}
	if stubActions[a] {
		return a
	}
	return "other"
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
