package upstream

import (
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// snippetLen bounds ProtocolError.Snippet: enough to recognise an nginx page
// or a new token, short enough for a log line.
const snippetLen = 64

// redactedMark replaces the API key wherever it would be shown.
const redactedMark = "REDACTED"

// redactor removes the API key from text that may quote our request URL
// (every *url.Error does) or echo it back (error pages often do).
type redactor struct {
	secrets []string
}

// newRedactor redacts key in its raw and URL-escaped spellings.
func newRedactor(key string) redactor {
	var r redactor
	for _, s := range []string{key, url.QueryEscape(key), url.PathEscape(key)} {
		if s != "" && !containsString(r.secrets, s) {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// redact replaces every secret in s.
func (r redactor) redact(s string) string {
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, redactedMark)
	}
	return s
}

// maxSecretLen is the length of the longest secret spelling.
func (r redactor) maxSecretLen() int {
	n := 0
	for _, s := range r.secrets {
		n = max(n, len(s))
	}
	return n
}

// text redacts s, makes it printable and cuts it to at most limit bytes.
// The prefix taken before redacting is long enough to hold a whole key
// that starts inside the limit, so no key fragment survives the cut.
func (r redactor) text(s string, limit int) string {
	if cut := limit + r.maxSecretLen(); len(s) > cut {
		s = s[:cut]
	}
	return truncate(printable(r.redact(s)), limit)
}

// snippet is text applied to a response body, for ProtocolError.Snippet.
func (r redactor) snippet(body []byte) string {
	if cut := snippetLen + r.maxSecretLen(); len(body) > cut {
		body = body[:cut]
	}
	return r.text(string(body), snippetLen)
}

// wrap returns err with the key removed from its message. A *url.Error is
// cloned with safeURL in place of the real one, so unwrapping it does not
// reveal the key either; the causes below it (net errors) never hold it.
func (r redactor) wrap(err error, safeURL string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: safeURL, Err: ue.Err}
	}
	return &redactedError{msg: r.redact(err.Error()), err: err}
}

// redactedError carries a message already stripped of the key.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// printable replaces invalid UTF-8 with '?' and control characters with a
// space, so a snippet cannot break a log line or a terminal.
func printable(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size <= 1:
			b.WriteByte('?')
		case unicode.IsControl(c):
			b.WriteByte(' ')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// truncate cuts s to at most n bytes without splitting a rune.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
