package core

import (
	"errors"
	"fmt"
)

// Code classifies an error for every front end. Append only: front ends map
// each code once (REST envelope code, stub token, bot message).
type Code string

// Error codes.
const (
	CodeInvalid             Code = "invalid"
	CodeUnauthorized        Code = "unauthorized"
	CodeForbidden           Code = "forbidden"
	CodeNotFound            Code = "not_found"
	CodeConflict            Code = "conflict"
	CodeInsufficientFunds   Code = "insufficient_funds"
	CodeInsufficientStock   Code = "insufficient_stock"
	CodeRateLimited         Code = "rate_limited"
	CodeUpstreamUnavailable Code = "upstream_unavailable"
	CodeInternal            Code = "internal"
)

// Error is the engine's error. Message is safe to show a client; Err is the
// internal cause, logged once at the boundary and never shown.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	default:
		return e.Message
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a client-safe formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. Its cause is for logs only.
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal for anything else (nil gives "").
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of err. Internal errors never
// reveal their cause.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal && e.Message != "" {
		return e.Message
	}
	return "An unexpected server error occurred."
}

// ValidationError names the field that failed validation.
func ValidationError(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Message: field + ": " + fmt.Sprintf(format, args...)}
}
