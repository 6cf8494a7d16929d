package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"accgen/core"
)

// mapErr turns driver errors into core errors: no rows → NotFound, a broken
// wallet balance check → InsufficientFunds; anything else is Internal with
// the driver error kept for the logs. Constraint-specific mapping (unique
// references and the like) is done where the constraint is known.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &core.Error{Code: core.CodeNotFound, Message: "The requested resource was not found.", Err: err}
	}
	if isRetryable(err) {
		// Keep the pg error visible to InTx's retry loop.
		return err
	}
	if constraintName(err) == "ledger_accounts_balance_nonnegative" {
		return core.InsufficientFunds()
	}
	if sqlState(err) == "22021" {
		// character_not_in_repertoire: text with a NUL byte, which no
		// PostgreSQL text value can hold. Only client input carries one.
		return &core.Error{Code: core.CodeInvalid, Message: "The request contains a character that cannot be stored (a NUL byte).", Err: err}
	}
	return core.Internal(err)
}

// sqlState returns the SQLSTATE of a pg error, if any.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// constraintName returns the violated constraint of a pg error, if any.
func constraintName(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}
