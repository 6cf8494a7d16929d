// Package metrics exposes acc-gen at /metrics for Prometheus: HTTP requests
// by route and status, upstream calls by action, SMS placements and polling,
// webhook attempts, and, read from the database at scrape time, orders by
// status, ledger totals and the webhook queue, plus connection pool stats.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"accgen/core"
)

// Metrics holds the process's collectors.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	upstreamCalls  *prometheus.CounterVec
	upstreamTime   *prometheus.HistogramVec
	smsPlaced      *prometheus.CounterVec
	sharedTx       *prometheus.HistogramVec
	pollTicks      *prometheus.CounterVec
	pollRequests   prometheus.Counter
	pollCodes      prometheus.Counter
	pollLive       prometheus.Gauge
	pollLastOK     prometheus.Gauge
	webhookAttempt *prometheus.CounterVec
	webhookLatency prometheus.Histogram
	botUpdates     *prometheus.CounterVec
}

// New registers every collector on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accgen_http_requests_total", Help: "HTTP requests by route (REST pattern or stub action) and status.",
		}, []string{"route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accgen_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		upstreamCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accgen_upstream_requests_total", Help: "Requests to the upstream provider by action and result (ok, http_<status>, error).",
		}, []string{"action", "result"}),
		upstreamTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accgen_upstream_request_duration_seconds", Help: "Upstream request latency by action.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20},
		}, []string{"action"}),
		smsPlaced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accgen_sms_orders_placed_total", Help: "SMS order placements handled by this instance, by outcome.",
		}, []string{"outcome"}),
		sharedTx: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "accgen_shared_transaction_size", Help: "Writes that arrived together and shared one transaction, by kind (sms_orders, sms_numbers, account_purchases).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}, []string{"kind"}),
		pollTicks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accgen_sms_poll_ticks_total", Help: "Poll ticks run by this instance, by result.",
		}, []string{"result"}),
		pollRequests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accgen_sms_poll_upstream_requests_total", Help: "Upstream requests made by poll ticks.",
		}),
		pollCodes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accgen_sms_codes_received_total", Help: "SMS codes recorded by this instance's poll ticks.",
		}),
		pollLive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "accgen_sms_poll_live_orders", Help: "Orders waiting for an SMS at this instance's last poll tick.",
		}),
		pollLastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "accgen_sms_poll_last_success_timestamp_seconds", Help: "When this instance last polled upstream successfully (poller lag = time() - max over instances).",
		}),
		webhookAttempt: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accgen_webhook_attempts_total", Help: "Webhook delivery attempts by outcome (delivered, failed).",
		}, []string{"outcome"}),
		webhookLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "accgen_webhook_attempt_duration_seconds", Help: "Webhook attempt latency.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		botUpdates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accgen_bot_updates_total", Help: "Telegram updates received by this instance, by kind (message, callback_query, my_chat_member, other) and result (ok, timeout, panic, dropped).",
		}, []string{"kind", "result"}),
	}
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.upstreamCalls, m.upstreamTime, m.smsPlaced, m.sharedTx, m.pollTicks,
		m.pollRequests, m.pollCodes, m.pollLive, m.pollLastOK, m.webhookAttempt, m.webhookLatency, m.botUpdates,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Register adds a collector (pool stats, database gauges).
func (m *Metrics) Register(c prometheus.Collector) { m.reg.MustRegister(c) }

// SharedTransaction observes how many writes of a kind shared a transaction.
func (m *Metrics) SharedTransaction(kind string, size int) {
	m.sharedTx.WithLabelValues(kind).Observe(float64(size))
}

// SMSPlaced counts a placement outcome.
func (m *Metrics) SMSPlaced(outcome string) { m.smsPlaced.WithLabelValues(outcome).Inc() }

// Polled records a poll tick.
func (m *Metrics) Polled(st core.PollStats, err error) {
	if err != nil {
		m.pollTicks.WithLabelValues("error").Inc()
		return
	}
	m.pollTicks.WithLabelValues("ok").Inc()
	m.pollRequests.Add(float64(st.Requests))
	m.pollCodes.Add(float64(st.Delivered))
	m.pollLive.Set(float64(st.Live))
	m.pollLastOK.SetToCurrentTime()
}

// WebhookAttempted records a webhook attempt.
func (m *Metrics) WebhookAttempted(a core.WebhookAttempt) {
	outcome := "delivered"
	if a.Error != "" {
		outcome = "failed"
	}
	m.webhookAttempt.WithLabelValues(outcome).Inc()
	m.webhookLatency.Observe(a.Latency.Seconds())
}

// BotUpdate records a handled Telegram update.
func (m *Metrics) BotUpdate(kind, result string) { m.botUpdates.WithLabelValues(kind, result).Inc() }

// statsCollector reads core.StatsSnapshot at scrape time (bounded by a
// timeout) and exports it as gauges.
type statsCollector struct {
	store                                                     core.StatsStore
	logger                                                    *slog.Logger
	orders, webhooks, accountOrders, itemsSold, money, oldest *prometheus.Desc
}

// RegisterStats exports the database's view of the shop.
func (m *Metrics) RegisterStats(store core.StatsStore, logger *slog.Logger) {
	m.reg.MustRegister(&statsCollector{
		store:         store,
		logger:        logger,
		orders:        prometheus.NewDesc("accgen_sms_orders", "SMS orders by status (all instances).", []string{"status"}, nil),
		webhooks:      prometheus.NewDesc("accgen_webhook_deliveries", "Webhook deliveries by state; pending is the queue depth.", []string{"state"}, nil),
		accountOrders: prometheus.NewDesc("accgen_account_orders", "Account orders ever placed.", nil, nil),
		itemsSold:     prometheus.NewDesc("accgen_account_items_sold", "Account stock items sold.", nil, nil),
		money:         prometheus.NewDesc("accgen_ledger_ngn", "Ledger totals in NGN: wallets (customer balances), sales (net of refunds), refunds, topups.", []string{"total"}, nil),
		oldest:        prometheus.NewDesc("accgen_sms_oldest_live_order_seconds", "Age of the oldest order waiting for an SMS.", nil, nil),
	})
}

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.orders, c.webhooks, c.accountOrders, c.itemsSold, c.money, c.oldest} {
		ch <- d
	}
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	s, err := c.store.StatsSnapshot(ctx)
	if err != nil {
		c.logger.Warn("metrics: reading shop stats failed", "err", err)
		return
	}
	for _, st := range []string{"placing", "pending", "completed", "cancelled", "expired", "failed"} {
		ch <- prometheus.MustNewConstMetric(c.orders, prometheus.GaugeValue, float64(s.SMSOrdersByStatus[st]), st)
	}
	for _, st := range []string{core.DeliveryPending, core.DeliveryDelivered, core.DeliveryFailed} {
		ch <- prometheus.MustNewConstMetric(c.webhooks, prometheus.GaugeValue, float64(s.WebhookDeliveriesByState[st]), st)
	}
	ch <- prometheus.MustNewConstMetric(c.accountOrders, prometheus.GaugeValue, float64(s.AccountOrders))
	ch <- prometheus.MustNewConstMetric(c.itemsSold, prometheus.GaugeValue, float64(s.AccountItemsSold))
	for name, v := range map[string]float64{"wallets": s.WalletBalances.InexactFloat64(), "sales": s.Sales.InexactFloat64(),
		"refunds": s.Refunds.InexactFloat64(), "topups": s.TopUps.InexactFloat64()} {
		ch <- prometheus.MustNewConstMetric(c.money, prometheus.GaugeValue, v, name)
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, s.OldestLiveOrderSeconds)
}
