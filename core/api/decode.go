package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"accgen/core"
)

// maxBodyBytes bounds every JSON request body.
const maxBodyBytes = 16 << 10

// decodeJSON reads exactly one JSON object into dst, refusing unknown
// fields, trailing data and oversized bodies with a VALIDATION_ERROR that
// says what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return core.ValidationError("body", "Content-Type must be application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if dec.More() || dec.Decode(&struct{}{}) != io.EOF {
			return core.ValidationError("body", "must contain a single JSON object")
		}
		return nil
	}
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
	)
	switch {
	case errors.Is(err, io.EOF):
		return core.ValidationError("body", "is empty; send a JSON object")
	case errors.As(err, &maxErr):
		return core.ValidationError("body", "must be at most %d bytes", maxBodyBytes)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return core.ValidationError("body", "is not valid JSON")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return core.ValidationError("body", "must be a JSON object")
		}
		return core.ValidationError(typeErr.Field, "must be a %s", jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return core.ValidationError("body", "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return core.ValidationError("body", "could not be read: %s", err.Error())
	}
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "string":
		return "string"
	case goKind == "bool":
		return "boolean"
	default:
		return fmt.Sprintf("JSON %s", goKind)
	}
}

// Page is a parsed limit/offset pair.
type Page struct {
	Limit, Offset int
}

// parsePage reads ?limit= (1..100, default 20) and ?offset= (≥ 0, default 0).
func parsePage(r *http.Request) (Page, error) {
	p := Page{Limit: 20}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return p, core.ValidationError("limit", "must be a whole number from 1 to 100")
		}
		p.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return p, core.ValidationError("offset", "must be a whole number from 0 to 1000000")
		}
		p.Offset = n
	}
	return p, nil
}

// idempotencyKey reads the optional Idempotency-Key header: 1 to 255
// printable ASCII characters.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > 255 {
		return "", core.ValidationError("Idempotency-Key", "must be at most 255 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", core.ValidationError("Idempotency-Key", "must be printable ASCII")
		}
	}
	return k, nil
}
