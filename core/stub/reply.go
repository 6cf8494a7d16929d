package stub

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Content types of the two kinds of answer.
const (
	contentText = "text/plain; charset=utf-8"
	contentJSON = "application/json; charset=utf-8"
)

// reply is one answer, built by an action and written by the handler.
type reply struct {
	status      int
	contentType string
	body        string
	retryAfter  time.Duration // 429 only
}

// ok answers a success token such as ACCESS_READY.
func ok(token string) reply {
	return reply{status: http.StatusOK, contentType: contentText, body: neutralize(token)}
}

// okJSON answers a JSON success body: compact, no trailing newline, HTML
// characters left alone (SMS texts contain & and <).
func okJSON(v any) (reply, error) {
	b, err := marshal(v)
	if err != nil {
		return reply{}, err
	}
	return reply{status: http.StatusOK, contentType: contentJSON, body: neutralize(string(b))}, nil
}

// fail answers an error token, with HTTP 200 as SMS-Activate always did.
func fail(token string) reply {
	return reply{status: http.StatusOK, contentType: contentText, body: token}
}

// failEnvelope answers SMS-Activate's JSON error object.
func failEnvelope(token string) reply {
	b, _ := marshal(orderedObject{{"status", "error"}, {"error", token}})
	return reply{status: http.StatusOK, contentType: contentJSON, body: string(b)}
}

// rateLimited is the one non-200 answer (see the package comment).
func rateLimited(retryAfter time.Duration) reply {
	return reply{status: http.StatusTooManyRequests, contentType: contentText, body: tokenRateLimit, retryAfter: retryAfter}
}

func (rep reply) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", rep.contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if rep.status == http.StatusTooManyRequests {
		h.Set("Retry-After", strconv.Itoa(max(1, int((rep.retryAfter+time.Second-1)/time.Second))))
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write([]byte(rep.body))
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
