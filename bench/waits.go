package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// waitSampler counts what accgen's database sessions are doing, sampled
// every few milliseconds: on CPU, or waiting (for a lock, the WAL flush, a
// client). It names the database side of a bottleneck.
type waitSampler struct {
	conn   *pgx.Conn
	wal0   walStats
	stop   context.CancelFunc
	done   chan struct{}
	counts map[string]int
	total  int
}

func startWaitSampler(ctx context.Context, dbURL string) (*waitSampler, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	wal0, err := readWAL(ctx, conn)
	if err != nil {
		conn.Close(ctx)
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &waitSampler{conn: conn, wal0: wal0, stop: cancel, done: make(chan struct{}), counts: map[string]int{}}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			rows, err := conn.Query(context.WithoutCancel(ctx), `
				SELECT COALESCE(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`)
			if err != nil {
				continue
			}
			for rows.Next() {
				var what string
				if rows.Scan(&what) == nil {
					w.counts[what]++
					w.total++
				}
			}
			rows.Close()
		}
	}()
	return w, nil
}

// walStats is the server's WAL counters (pg_stat_wal, PostgreSQL 14+).
type walStats struct{ records, fpi, bytes float64 }

func readWAL(ctx context.Context, conn *pgx.Conn) (walStats, error) {
	var s walStats
	err := conn.QueryRow(ctx, `SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal`).Scan(&s.records, &s.fpi, &s.bytes)
	return s, err
}

// report stops sampling and says what busy sessions did, most common
// first, and how much WAL each of ops operations wrote.
func (w *waitSampler) report(ops int64) string {
	w.stop()
	<-w.done
	defer w.conn.Close(context.Background())
	wal := ""
	if w1, err := readWAL(context.Background(), w.conn); err == nil && ops > 0 {
		n := float64(ops)
		wal = fmt.Sprintf("; WAL per operation: %.1f kB, %.1f records, %.2f full-page images (server-wide)",
			(w1.bytes-w.wal0.bytes)/n/1024, (w1.records-w.wal0.records)/n, (w1.fpi-w.wal0.fpi)/n)
	}
	type share struct {
		what string
		n    int
	}
	var shares []share
	for what, n := range w.counts {
		shares = append(shares, share{what, n})
	}
	slices.SortFunc(shares, func(a, b share) int { return b.n - a.n })
	var parts []string
	for _, s := range shares[:min(len(shares), 5)] {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", s.what, 100*float64(s.n)/float64(w.total)))
	}
	return "busy database sessions: " + strings.Join(parts, ", ") + wal
}
