package api

import (
	"context"
	"net/http"
	"time"

	"accgen/core"
)

// Webhooks manages a key's webhook endpoint and shows its deliveries.
type Webhooks interface {
	SetEndpoint(ctx context.Context, apiKeyID int64, url string, rotate bool) (core.WebhookEndpoint, error)
	Endpoint(ctx context.Context, apiKeyID int64) (core.WebhookEndpoint, error)
	DeleteEndpoint(ctx context.Context, apiKeyID int64) error
	Deliveries(ctx context.Context, apiKeyID int64, limit, offset int) ([]core.WebhookDelivery, int, error)
	Delivery(ctx context.Context, apiKeyID int64, id string) (core.WebhookDelivery, []core.WebhookAttempt, error)
}

// WebhookTester sends a test event to a key's endpoint now.
type WebhookTester interface {
	Test(ctx context.Context, apiKeyID int64) (core.WebhookAttempt, error)
}

type endpointJSON struct {
	URL            string  `json:"url"`
	Secret         string  `json:"secret"`
	Enabled        bool    `json:"enabled"`
	DisabledReason *string `json:"disabled_reason"`
}

func endpointView(e core.WebhookEndpoint) endpointJSON {
	return endpointJSON{URL: e.URL, Secret: e.Secret, Enabled: e.Enabled, DisabledReason: nonEmpty(e.DisabledReason)}
}

// putWebhook answers PUT /api/v1/user/webhook {"url", "rotate_secret"}.
func (h *Handler) putWebhook(wh Webhooks) http.Handler {
	type request struct {
		URL          *string `json:"url"`
		RotateSecret bool    `json:"rotate_secret"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := decodeJSON(w, r, &req); err != nil {
			h.writeError(w, r, err)
			return
		}
		if req.URL == nil {
			h.writeError(w, r, core.ValidationError("url", "is required"))
			return
		}
		e, err := wh.SetEndpoint(r.Context(), principal(r).KeyID, *req.URL, req.RotateSecret)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, endpointView(e))
	})
}

// getWebhook answers GET /api/v1/user/webhook.
func (h *Handler) getWebhook(wh Webhooks) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := wh.Endpoint(r.Context(), principal(r).KeyID)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, endpointView(e))
	})
}

// deleteWebhook answers DELETE /api/v1/user/webhook.
func (h *Handler) deleteWebhook(wh Webhooks) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := wh.DeleteEndpoint(r.Context(), principal(r).KeyID); err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, map[string]bool{"deleted": true})
	})
}

type attemptJSON struct {
	Attempt    int       `json:"attempt"`
	URL        string    `json:"url"`
	StatusCode *int      `json:"status_code"`
	LatencyMS  int64     `json:"latency_ms"`
	Error      *string   `json:"error"`
	At         time.Time `json:"at"`
}

func attemptView(a core.WebhookAttempt) attemptJSON {
	v := attemptJSON{Attempt: a.Attempt, URL: a.URL, LatencyMS: a.Latency.Milliseconds(), Error: nonEmpty(a.Error), At: a.At.UTC()}
	if a.StatusCode != 0 {
		v.StatusCode = &a.StatusCode
	}
	return v
}

// testWebhook answers POST /api/v1/user/webhook/test: one attempt, now.
func (h *Handler) testWebhook(tester WebhookTester) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := tester.Test(r.Context(), principal(r).KeyID)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeData(w, http.StatusOK, map[string]any{"delivered": a.Error == "", "webhook_id": a.DeliveryID, "attempt": attemptView(a)})
	})
}

type deliveryJSON struct {
	ID            string        `json:"id"`
	Event         string        `json:"event"`
	OrderID       *string       `json:"order_id"`
	State         string        `json:"state"`
	Attempts      int           `json:"attempts"`
	LastStatus    *int          `json:"last_status"`
	LastError     *string       `json:"last_error"`
	CreatedAt     time.Time     `json:"created_at"`
	DeliveredAt   *time.Time    `json:"delivered_at"`
	NextAttemptAt *time.Time    `json:"next_attempt_at"`
	AttemptLog    []attemptJSON `json:"attempt_log,omitempty"`
}

func deliveryView(d core.WebhookDelivery) deliveryJSON {
	v := deliveryJSON{ID: d.ID, Event: d.Event, OrderID: nonEmpty(d.OrderID), State: d.State, Attempts: d.Attempts,
		LastError: nonEmpty(d.LastError), CreatedAt: d.CreatedAt.UTC(), DeliveredAt: utc(d.DeliveredAt)}
	if d.LastStatus != 0 {
		v.LastStatus = &d.LastStatus
	}
	if d.State == core.DeliveryPending {
		v.NextAttemptAt = utc(&d.NextAttemptAt)
	}
	return v
}

// listWebhookDeliveries answers GET /api/v1/user/webhook/deliveries, newest first.
func (h *Handler) listWebhookDeliveries(wh Webhooks) http.Handler {
	return listHandler(h, "deliveries", func(r *http.Request, limit, offset int) ([]core.WebhookDelivery, int, error) {
		return wh.Deliveries(r.Context(), principal(r).KeyID, limit, offset)
	}, deliveryView)
}

// getWebhookDelivery answers GET /api/v1/user/webhook/deliveries/{id} with every attempt.
func (h *Handler) getWebhookDelivery(wh Webhooks) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, attempts, err := wh.Delivery(r.Context(), principal(r).KeyID, r.PathValue("id"))
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		v := deliveryView(d)
		v.AttemptLog = make([]attemptJSON, len(attempts))
		for i, a := range attempts {
			v.AttemptLog[i] = attemptView(a)
		}
		writeData(w, http.StatusOK, v)
	})
}
