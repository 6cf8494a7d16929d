package upstream

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// envelopeMax bounds the JSON bodies examined for an error envelope. Error
// envelopes are tiny; a large object is a success shape (getPrices) and is
// left to the action's parser instead of being decoded twice.
const envelopeMax = 4096

// checkAnswer returns the error an answer stands for, or nil when its body
// should be parsed as a success. A protocol word wins over the HTTP status,
// because HeroSMS sends its words with 4xx statuses and Tiger sends BAD_KEY
// with 401; the status decides only when the body says nothing known.
func (c *Client) checkAnswer(a answer) error {
	if err := c.bodyError(a, trimBody(a.body)); err != nil {
		return err
	}
	switch {
	case a.status >= 200 && a.status < 300:
		return nil
	case a.status == http.StatusUnauthorized:
		return fmt.Errorf("upstream %s: HTTP %d: %w", a.action, a.status, ErrBadKey)
	case a.status == http.StatusTooManyRequests:
		return fmt.Errorf("upstream %s: HTTP %d: %w", a.action, a.status, ErrRateLimited)
	case a.status >= 500:
		return &TransportError{Action: a.action, StatusCode: a.status, RequestSent: true,
			Err: fmt.Errorf("%w: %q", ErrServer, c.red.snippet(a.body))}
	default:
		return c.protocolError(a, fmt.Errorf("unexpected HTTP status %d", a.status))
	}
}

// bodyError recognises a protocol error word in a body, bare or in a JSON
// envelope; nil when there is none.
func (c *Client) bodyError(a answer, body string) error {
	if body == "" || body[0] == '[' {
		return nil
	}
	if body[0] == '{' {
		if len(body) > envelopeMax {
			return nil
		}
		return c.envelopeError(a, body)
	}
	head, rest, ok := splitToken(body)
	if !ok {
		return nil
	}
	if err := errorFromToken(head, rest); err != nil {
		return c.wordError(a, body, "", err)
	}
	return nil
}

// envelope holds the fields of every JSON error shape seen in the wild:
// HeroSMS {"title","details"}, SMS-Activate {"status":"error","error"},
// rent {"status":"error","message"}, HeroSMS getPrices {"status":"false",
// "msg"} and SMSBower {"error":"Bad country"}. Fields are any because
// providers disagree on types (status may be false or "false").
type envelope struct {
	Title   any `json:"title"`
	Details any `json:"details"`
	Status  any `json:"status"`
	Error   any `json:"error"`
	Message any `json:"message"`
	Msg     any `json:"msg"`
}

// envelopeError maps a JSON error envelope; nil when body is not one or
// carries a word this package does not know (the parser then decides).
func (c *Client) envelopeError(a answer, body string) error {
	var env envelope
	if json.Unmarshal([]byte(body), &env) != nil {
		return nil
	}
	str := func(v any) string { s, _ := v.(string); return strings.TrimSpace(s) }
	if title := str(env.Title); title != "" {
		head, rest, ok := splitToken(title)
		if !ok {
			return nil
		}
		if err := errorFromToken(head, rest); err != nil {
			return c.wordError(a, title, str(env.Details), err)
		}
		return nil
	}
	switch env.Status {
	case "false", false: // HeroSMS getPrices with a bad filter
		msg := str(env.Msg)
		if strings.Contains(strings.ToLower(msg), "service") {
			return c.wordError(a, "status false", msg, ErrBadService)
		}
		return c.wordError(a, "status false", msg, ErrBadRequest)
	case "error":
		word := cmp.Or(str(env.Error), str(env.Message))
		head, rest, ok := splitToken(word)
		if !ok {
			return nil
		}
		if err := errorFromToken(head, rest); err != nil {
			return c.wordError(a, word, "", err)
		}
		return nil
	case nil:
		if word := str(env.Error); word != "" { // SMSBower
			head, rest, _ := splitToken(word)
			if err := errorFromToken(head, rest); err != nil {
				return c.wordError(a, word, "", err)
			}
			return c.wordError(a, "error", word, ErrBadRequest)
		}
	}
	return nil
}

// wordError wraps a sentinel with the action, the word the provider used
// and its details, all redacted: "upstream getNumber: NO_MONEY: …".
func (c *Client) wordError(a answer, word, details string, sentinel error) error {
	var wmp *WrongMaxPriceError
	if errors.As(sentinel, &wmp) {
		return fmt.Errorf("upstream %s: %w", a.action, sentinel)
	}
	prefix := "upstream " + a.action + ": "
	if a.status < 200 || a.status >= 300 {
		prefix += fmt.Sprintf("HTTP %d ", a.status)
	}
	text := c.red.text(word, 96)
	if details != "" {
		text += " (" + c.red.text(details, 96) + ")"
	}
	return fmt.Errorf("%s%s: %w", prefix, text, sentinel)
}
