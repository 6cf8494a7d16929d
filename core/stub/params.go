package stub

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
)

// maxBodyBytes bounds a POST body. Real requests are a few hundred bytes.
const maxBodyBytes = 64 << 10

// errBodyTooLarge refuses a body over maxBodyBytes.
var errBodyTooLarge = errors.New("request body too large")

// params are a request's parameters, query string and body merged.
type params struct {
	values url.Values
}

// parseParams merges the query string and the body of a request. The query
// string wins for a name present in both, and within one source the first
// value of a repeated name wins. Malformed pairs are skipped, not fatal:
// clients in the wild send sloppy encodings and only the names we read
// matter. The body is read as a form when its Content-Type says so (or says
// nothing at all); any other body is ignored.
func parseParams(rawQuery, contentType string, body []byte) (params, error) {
	if len(body) > maxBodyBytes {
		return params{}, errBodyTooLarge
	}
	merged, _ := url.ParseQuery(rawQuery)
	if merged == nil {
		merged = url.Values{}
	}
	for name, vals := range parseBody(contentType, body) {
		if _, inQuery := merged[name]; !inQuery {
			merged[name] = vals
		}
	}
	return params{values: merged}, nil
}

// parseBody reads a form body; anything unreadable yields no parameters.
func parseBody(contentType string, body []byte) url.Values {
	if len(body) == 0 {
		return nil
	}
	if contentType == "" {
		v, _ := url.ParseQuery(string(body))
		return v
	}
	mediaType, ps, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		v, _ := url.ParseQuery(string(body))
		return v
	case "multipart/form-data": // PHP's curl with an array of POST fields
		return parseMultipart(ps["boundary"], body)
	}
	return nil
}

// parseMultipart reads the plain (non-file) fields of a multipart body.
func parseMultipart(boundary string, body []byte) url.Values {
	if boundary == "" {
		return nil
	}
	out := url.Values{}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err != nil {
			return out // io.EOF or a malformed part: keep what was read
		}
		name := part.FormName()
		if name == "" || part.FileName() != "" {
			continue
		}
		value, err := io.ReadAll(io.LimitReader(part, maxBodyBytes))
		if err != nil {
			return out
		}
		out.Add(name, string(value))
	}
}

// get returns the first value of name with surrounding spaces trimmed, or "".
func (p params) get(name string) string {
	return strings.TrimSpace(p.values.Get(name))
}

// has reports whether name was sent with a non-blank value.
func (p params) has(name string) bool { return p.get(name) != "" }

// firstOf returns the value of the first of names that was sent.
func (p params) firstOf(names ...string) string {
	for _, n := range names {
		if v := p.get(n); v != "" {
			return v
		}
	}
	return ""
}

// Activation ids are our orders' 8-digit short ids (first digit 1–9).
const (
	minShortID = 10_000_000
	maxShortID = 99_999_999
)

// activationID reads the id parameter: WRONG_ACTIVATION_ID when it is not a
// number; NO_ACTIVATION when it is a number that cannot be one of ours, so
// no lookup is spent on it.
func (p params) activationID() (int64, error) {
	s := p.get("id")
	if !digitsOnly(s) {
		return 0, errWrongActivationID
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < minShortID || n > maxShortID {
		return 0, errNoActivation
	}
	return n, nil
}

// page reads limit (or HeroSMS's size) and the offset named offsetName
// (getHistory's offset; getActiveActivations' start, which in getHistory is
// a timestamp instead). Out-of-range values are clamped rather than refused:
// a listing is harmless and clients disagree on bounds.
func (p params) page(offsetName string) (limit, offset int) {
	limit = defaultPageSize
	if n, err := strconv.Atoi(p.firstOf("limit", "size")); err == nil && n > 0 {
		limit = min(n, maxPageSize)
	}
	if n, err := strconv.Atoi(p.get(offsetName)); err == nil && n > 0 {
		offset = min(n, 1_000_000)
	}
	return limit, offset
}

// List sizes: the seed's getActivations defaults to 20 and allows 100.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// country reads an optional country id; ok is false when it is present but
// not a whole number.
func (p params) country() (id int, present, ok bool) {
	s := p.get("country")
	if s == "" {
		return 0, false, true
	}
	n, err := strconv.Atoi(s)
	return n, true, err == nil
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
