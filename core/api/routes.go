package api

import "net/http"

// routes is the whole /api/v1 surface in one place.
func (h *Handler) routes(d Deps) {
	auth := func(next http.Handler) http.Handler { return h.authenticate(d.Keys, d.Limiter, d.AuthGuard, next) }

	h.mux.Handle("GET /api/v1/user/balance", auth(h.getBalance(d.Wallets)))

	h.mux.Handle("GET /api/v1/sms/services", auth(h.getSMSServices(d.SMS)))
	h.mux.Handle("GET /api/v1/sms/stock", auth(h.getSMSStock(d.SMS)))
	h.mux.Handle("POST /api/v1/sms/orders", auth(h.postSMSOrder(d.SMS)))
	h.mux.Handle("GET /api/v1/sms/orders", auth(h.listSMSOrders(d.SMS)))
	h.mux.Handle("GET /api/v1/sms/orders/{id}", auth(h.getSMSOrder(d.SMS)))
	h.mux.Handle("DELETE /api/v1/sms/orders/{id}", auth(h.cancelSMSOrder(d.SMS)))

	h.mux.Handle("PUT /api/v1/user/webhook", auth(h.putWebhook(d.Webhooks)))
	h.mux.Handle("GET /api/v1/user/webhook", auth(h.getWebhook(d.Webhooks)))
	h.mux.Handle("DELETE /api/v1/user/webhook", auth(h.deleteWebhook(d.Webhooks)))
	h.mux.Handle("POST /api/v1/user/webhook/test", auth(h.testWebhook(d.WebhookTester)))
	h.mux.Handle("GET /api/v1/user/webhook/deliveries", auth(h.listWebhookDeliveries(d.Webhooks)))
	h.mux.Handle("GET /api/v1/user/webhook/deliveries/{id}", auth(h.getWebhookDelivery(d.Webhooks)))

	h.mux.Handle("GET /api/v1/accounts/catalog", auth(h.getAccountCatalog(d.Accounts)))
	h.mux.Handle("GET /api/v1/accounts/catalog/{id}", auth(h.getAccountCatalogItem(d.Accounts)))
	h.mux.Handle("POST /api/v1/accounts/orders", auth(h.postAccountOrder(d.Accounts)))
	h.mux.Handle("GET /api/v1/accounts/orders", auth(h.listAccountOrders(d.Accounts)))
	h.mux.Handle("GET /api/v1/accounts/orders/{id}", auth(h.getAccountOrder(d.Accounts)))
}
