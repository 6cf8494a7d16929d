package core

import "context"

// Transactor runs fn in one database transaction. Store methods called with
// the ctx handed to fn take part in that transaction, which is how a use case
// commits, for example, an order and its debit together. fn may be retried
// after a serialization failure or deadlock, so it must have no side effects
// outside the database.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}
