package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"accgen/core"
)

// Round trips, not statements, dominate a short write on a busy machine:
// measured with pgbench on one client, a placement's BEGIN, INSERT, posting
// and COMMIT took 1.11 ms sent one by one and 0.58 ms sent as one pipeline.
// The writes that pay for something (an order and its charge) are therefore
// sent together, with the BEGIN; the COMMIT follows once their results have
// been read.

// pipeline begins a transaction and sends b in the same round trip, hands
// the results to read, in order, and commits in a second round trip only if
// read returns nil: a statement that fails, or a result read refuses, rolls
// the whole batch back. (Sent without BEGIN the batch would be an implicit
// transaction, committed by the server before read sees the results.) A
// deadlock, a serialization failure or a pooled connection the server had
// closed reruns the batch. Inside a caller's transaction the batch joins it.
func (db *DB) pipeline(ctx context.Context, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return sendBatch(ctx, tx, fresh(b), read)
	}
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		err = db.pipelineOnce(ctx, b, read)
		if !isRetryable(err) && !pgconn.SafeToRetry(err) {
			return err
		}
		db.logger.WarnContext(ctx, "retrying transaction", "attempt", attempt, "err", err)
	}
	return err
}

func (db *DB) pipelineOnce(ctx context.Context, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return mapErr(beginError{err})
	}
	// A connection left inside a transaction (a failed ROLLBACK, a COMMIT
	// never sent) is closed by the pool on release rather than reused.
	defer conn.Release()
	withBegin := fresh(b)
	withBegin.QueuedQueries = append([]*pgx.QueuedQuery{{SQL: "BEGIN"}}, withBegin.QueuedQueries...)
	err = sendBatch(ctx, conn, withBegin, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return mapErr(beginError{err})
		}
		return read(br)
	})
	if err != nil {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	tag, err := conn.Exec(ctx, "COMMIT")
	var pgErr *pgconn.PgError
	switch {
	case err == nil && tag.String() != "COMMIT":
		return core.Internal(errors.New("commit: the server rolled the transaction back"))
	case errors.As(err, &pgErr):
		return mapErr(fmt.Errorf("commit: %w", err)) // refused: rolled back
	case err != nil:
		return core.Internal(fmt.Errorf("commit: %w: %w", core.ErrOutcomeUnknown, err))
	}
	return nil
}

// fresh copies b's statements into a new batch: pgx records on each queued
// statement how the connection that first sent it prepared it, so a batch
// sent again (a retry, on another connection) must start anew.
func fresh(b *pgx.Batch) *pgx.Batch {
	out := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, len(b.QueuedQueries))}
	for i, q := range b.QueuedQueries {
		out.QueuedQueries[i] = &pgx.QueuedQuery{SQL: q.SQL, Arguments: q.Arguments}
	}
	return out
}

type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

func sendBatch(ctx context.Context, to batchSender, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	br := to.SendBatch(ctx, b)
	err := read(br)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = mapErr(fmt.Errorf("pipeline: %w", cerr))
	}
	return err
}
