package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"accgen/core/metrics"
	"accgen/storage/postgres"
	"accgen/storage/redis"
)

// newMetrics builds the process's metrics: everything the code counts, the
// shop's state read from the database at scrape time, and pool stats.
func newMetrics(db *postgres.DB, rdb *redis.Client, logger *slog.Logger) *metrics.Metrics {
	m := metrics.New()
	m.RegisterStats(db, logger)
	pool := db.Pool()
	for name, f := range map[string]func() float64{
		"accgen_pg_pool_total_conns":    func() float64 { return float64(pool.Stat().TotalConns()) },
		"accgen_pg_pool_acquired_conns": func() float64 { return float64(pool.Stat().AcquiredConns()) },
		"accgen_pg_pool_idle_conns":     func() float64 { return float64(pool.Stat().IdleConns()) },
		"accgen_pg_pool_max_conns":      func() float64 { return float64(pool.Stat().MaxConns()) },
		"accgen_redis_pool_total_conns": func() float64 { return float64(rdb.Raw().PoolStats().TotalConns) },
		"accgen_redis_pool_idle_conns":  func() float64 { return float64(rdb.Raw().PoolStats().IdleConns) },
	} {
		m.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: "Connection pool: " + name[7:] + "."}, f))
	}
	for name, f := range map[string]func() float64{
		"accgen_pg_pool_acquires_total":       func() float64 { return float64(pool.Stat().AcquireCount()) },
		"accgen_pg_pool_empty_acquires_total": func() float64 { return float64(pool.Stat().EmptyAcquireCount()) },
		"accgen_redis_pool_timeouts_total":    func() float64 { return float64(rdb.Raw().PoolStats().Timeouts) },
	} {
		m.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: "Connection pool: " + name[7:] + "."}, f))
	}
	return m
}
