package upstream

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// The parsers in this file read the bare-token answers. They are pure
// functions of the trimmed body so they can be fuzzed; their errors are
// reasons for a *ProtocolError, never shown without redaction.

// errUnknownAnswer is the reason for a body that is no answer this action has.
var errUnknownAnswer = errors.New("unknown answer")

// parseBalance reads "ACCESS_BALANCE:<amount>".
func parseBalance(body string) (decimal.Decimal, error) {
	head, rest, ok := splitToken(body)
	if !ok || head != "ACCESS_BALANCE" {
		return decimal.Zero, errUnknownAnswer
	}
	d, err := decimal.NewFromString(strings.TrimSpace(rest))
	if err != nil {
		return decimal.Zero, errors.New("balance is not a number")
	}
	return d, nil
}

// parseAccessNumber reads "ACCESS_NUMBER:<id>:<phone>".
func parseAccessNumber(body string) (Number, error) {
	head, rest, ok := splitToken(body)
	if !ok || head != "ACCESS_NUMBER" {
		return Number{}, errUnknownAnswer
	}
	id, phone, ok := strings.Cut(rest, ":")
	if !ok {
		return Number{}, errors.New("ACCESS_NUMBER without a phone")
	}
	return newNumber(id, phone, decimal.Zero)
}

// newNumber validates an activation id and phone from any answer shape.
func newNumber(id, phone string, cost decimal.Decimal) (Number, error) {
	id = strings.TrimSpace(id)
	if !isDigits(id) {
		return Number{}, errors.New("activation id is not a number")
	}
	p, err := phoneDigits(phone)
	if err != nil {
		return Number{}, err
	}
	return Number{ActivationID: id, Phone: p, Cost: cost}, nil
}

// parseStatus reads the getStatus tokens.
func parseStatus(body string) (Status, error) {
	head, rest, ok := splitToken(body)
	if !ok {
		return Status{}, errUnknownAnswer
	}
	switch head {
	case "STATUS_WAIT_CODE":
		return Status{State: StatusWaiting}, nil
	case "STATUS_WAIT_RESEND":
		return Status{State: StatusWaitResend}, nil
	case "STATUS_WAIT_RETRY":
		return Status{State: StatusWaitRetry, Code: strings.TrimSpace(rest)}, nil
	case "STATUS_CANCEL":
		return Status{State: StatusCancelled}, nil
	case "STATUS_OK":
		code := strings.TrimSpace(rest)
		if code == "" {
			return Status{}, errors.New("STATUS_OK without a code")
		}
		return Status{State: StatusReceived, Code: code}, nil
	}
	return Status{}, errUnknownAnswer
}

// setStatusAnswers is the answer each setStatus value expects.
var setStatusAnswers = map[int]string{
	SetStatusReady:  "ACCESS_READY",
	SetStatusRetry:  "ACCESS_RETRY_GET",
	SetStatusFinish: "ACCESS_ACTIVATION",
	SetStatusCancel: "ACCESS_CANCEL",
}

// parseSetStatus reads a setStatus answer: one of the ACCESS_* tokens.
func parseSetStatus(body string) (string, error) {
	head, _, ok := splitToken(body)
	if !ok {
		return "", errUnknownAnswer
	}
	for _, want := range setStatusAnswers {
		if head == want {
			return head, nil
		}
	}
	return "", errUnknownAnswer
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
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

// phoneDigits keeps the digits of a phone number. Formatting characters
// are dropped; anything else (letters, masks like "79584******") means the
// answer is not a usable number.
func phoneDigits(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' || c == ' ' || c == '-' || c == '(' || c == ')':
		default:
			return "", errors.New("phone is not a number")
		}
	}
	if n := b.Len(); n < 5 || n > 20 {
		return "", fmt.Errorf("phone has %d digits", n)
	}
	return b.String(), nil
}
