// Package postgres stores acc-gen's state in PostgreSQL through pgx v5: the
// ledger, users, API keys and orders, one file per aggregate. It implements
// the store interfaces declared in core and turns driver errors into core
// errors (errors.go); nothing pgx-specific leaks out.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"accgen/core"
)

// DB is the PostgreSQL store.
type DB struct {
	pool   *pgxpool.Pool
	logger *slog.Logger

	systemMu sync.Mutex
	system   map[string]int64 // system ledger account ids by code
}

// Open connects to dsn, registers NUMERIC↔decimal.Decimal, and checks the
// connection. It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgxpool's default (the number of CPUs, at least 4) starves a
		// server whose requests each hold a connection for a transaction.
		cfg.MaxConns = 20
	}
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		// The engine's queries are short index lookups; JIT compiling one
		// that the planner guesses to be costly (a poll over thousands of
		// live orders) costs more than running it.
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		pgxdecimal.Register(c.TypeMap())
		return nil
	}
	// Fail fast when the server is gone instead of hanging requests.
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{pool: pool, logger: logger}, nil
}

// Pool exposes the pool for wiring (health checks, job queues, tests).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the pool.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type txKey struct{}

// q returns the transaction carried by ctx, or the pool.
func (db *DB) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return tx
	}
	return db.pool
}

// maxTxAttempts bounds retries of a transaction that lost a deadlock or
// serialization race; each attempt reruns fn from scratch.
const maxTxAttempts = 5

// InTx implements core.Transactor. A nested call runs in a savepoint of the
// outer transaction, so a nested failure undoes only the nested writes.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if outer, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return runIn(ctx, outer.Begin, fn)
	}
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		err = db.runTx(ctx, fn)
		if !isRetryable(err) && !staleConnection(err) {
			return err
		}
		db.logger.WarnContext(ctx, "retrying transaction", "attempt", attempt, "err", err)
	}
	return err
}

// beginError is a failure to begin a transaction: fn never ran.
type beginError struct{ err error }

func (e beginError) Error() string { return "begin: " + e.err.Error() }
func (e beginError) Unwrap() error { return e.err }

// staleConnection reports a transaction that could not begin on a pooled
// connection the server had already closed (it restarted, or an operator
// terminated the session): nothing ran, so another connection may be tried.
// Without this every idle connection of the pool fails one request after a
// database restart.
func staleConnection(err error) bool {
	var be beginError
	if !errors.As(err, &be) {
		return false
	}
	var pgErr *pgconn.PgError
	return pgconn.SafeToRetry(be.err) || errors.As(be.err, &pgErr) && pgErr.Code == "57P01" // admin_shutdown
}

func (db *DB) runTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return runIn(ctx, db.pool.Begin, fn)
}

// runIn begins a transaction (or savepoint) with begin, runs fn with it in
// ctx, and commits unless fn fails.
func runIn(ctx context.Context, begin func(context.Context) (pgx.Tx, error), fn func(ctx context.Context) error) error {
	tx, err := begin(ctx)
	if err != nil {
		return mapErr(beginError{err})
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return mapErr(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// isRetryable reports a deadlock or serialization failure.
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

var _ core.Transactor = (*DB)(nil)

// pgxRepeatableReadReadOnly gives a consistent read-only snapshot.
var pgxRepeatableReadReadOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
