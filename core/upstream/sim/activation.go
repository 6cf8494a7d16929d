package sim

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// actState is where an activation is in the SMS-Activate lifecycle.
type actState int

const (
	stateWaiting   actState = iota // STATUS_WAIT_CODE
	stateReceived                  // STATUS_OK:<code>
	stateWaitRetry                 // STATUS_WAIT_RETRY:<last code>, after setStatus 3
	stateFinished                  // setStatus 6 or TTL after a code: charged
	stateCancelled                 // setStatus 8 or TTL without a code: refunded
)

// String is the status name used by the control API.
func (st actState) String() string {
	return [...]string{"waiting", "received", "wait_retry", "finished", "cancelled"}[st]
}

func (st actState) terminal() bool { return st == stateFinished || st == stateCancelled }

// smsRecord is one delivered message.
type smsRecord struct {
	code string
	text string
	at   time.Time
}

// activation is one sold number.
type activation struct {
	id      int64
	phone   string
	service string
	country int
	cost    decimal.Decimal
	created time.Time
	expires time.Time
	state   actState
	expired bool
	sms     []smsRecord
}

func (a *activation) lastSMS() smsRecord {
	if len(a.sms) == 0 {
		return smsRecord{}
	}
	return a.sms[len(a.sms)-1]
}

// Errors returned by InjectSMS.
var (
	// ErrUnknownActivation: no such activation id (control API 404).
	ErrUnknownActivation = errors.New("sim: unknown activation")
	// ErrNotWaiting: the activation is not waiting for an SMS: it already
	// has one (ask for another with setStatus 3 first) or it ended (409).
	ErrNotWaiting = errors.New("sim: activation is not waiting for an SMS")
	// ErrNoCode: no code given and none in the text (400).
	ErrNoCode = errors.New("sim: no code given and no 4-8 digit run in the text")
)

// codePattern finds a 4–8 digit run that is not part of a longer number,
// so a phone number in the text is not mistaken for the code.
var codePattern = regexp.MustCompile(`(?:^|\D)(\d{4,8})(?:\D|$)`)

// extractCode returns the first 4–8 digit run of text, or "".
func extractCode(text string) string {
	if m := codePattern.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// InjectSMS delivers an SMS to an activation that is waiting for one (just
// bought, or after setStatus 3). An empty code is taken from the text; an
// empty text becomes "Your verification code is <code>".
func (s *Sim) InjectSMS(activationID, text, code string) error {
	id, err := strconv.ParseInt(strings.TrimSpace(activationID), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrUnknownActivation, activationID)
	}
	code = strings.TrimSpace(code)
	if code == "" {
		code = extractCode(text)
	}
	if code == "" {
		return ErrNoCode
	}
	if text == "" {
		text = "Your verification code is " + code
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliverLocked(id, text, code)
}

func (s *Sim) deliverLocked(id int64, text, code string) error {
	a, ok := s.acts[id]
	if !ok {
		return fmt.Errorf("%w: %d", ErrUnknownActivation, id)
	}
	now := s.now()
	s.expireLocked(a, now)
	if a.state != stateWaiting && a.state != stateWaitRetry {
		return fmt.Errorf("%w: %d is %s", ErrNotWaiting, id, a.state)
	}
	a.sms = append(a.sms, smsRecord{code: code, text: text, at: now})
	a.state = stateReceived
	s.logger.Debug("sim sms delivered", "activation", id, "code", code)
	return nil
}

// expireLocked ends a once its TTL has passed. Expiry is evaluated lazily
// whenever an activation or the balance is looked at, so a fake clock
// moves activations along without timers.
func (s *Sim) expireLocked(a *activation, now time.Time) {
	if a.state.terminal() || now.Before(a.expires) {
		return
	}
	a.expired = true
	if len(a.sms) == 0 {
		s.endLocked(a, stateCancelled)
		return
	}
	s.endLocked(a, stateFinished)
}

// expireDueLocked ends every activation whose TTL has passed. All share
// one TTL, so they expire in purchase order and the sweep stops at the
// first one still running: constant work per request however many numbers
// are live, which keeps the lock short under benchmark load.
func (s *Sim) expireDueLocked(now time.Time) {
	for len(s.byAge) > 0 {
		a := s.byAge[0]
		if !a.state.terminal() && now.Before(a.expires) {
			return
		}
		s.expireLocked(a, now)
		s.byAge[0] = nil // let the backing array drop it
		s.byAge = s.byAge[1:]
	}
}

// endLocked moves a to a terminal state; a cancellation is refunded.
func (s *Sim) endLocked(a *activation, st actState) {
	a.state = st
	delete(s.live, a.id)
	if st == stateCancelled {
		s.balance = s.balance.Add(a.cost)
	}
}

// scheduleAutoSMSLocked arranges the auto-SMS for activation id.
func (s *Sim) scheduleAutoSMSLocked(id int64) {
	if s.autoSMS <= 0 || s.closed {
		return
	}
	code := strconv.Itoa(100_000 + s.rng.IntN(900_000))
	var t *time.Timer
	s.timersWG.Add(1)
	t = time.AfterFunc(s.autoSMS, func() {
		defer s.timersWG.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		// Reading t is safe: it was assigned while mu was held, and mu
		// is taken above before reading it.
		delete(s.timers, t)
		if s.closed {
			return
		}
		// The activation may have been cancelled meanwhile; that is fine.
		_ = s.deliverLocked(id, "Your verification code is "+code, code)
	})
	s.timers[t] = struct{}{}
}

// ActivationView is an activation as the control API shows it.
type ActivationView struct {
	ID      string `json:"id"`
	Phone   string `json:"phone"`
	Service string `json:"service"`
	Country int    `json:"country"`
	// Status is waiting, received, wait_retry, finished or cancelled.
	Status string `json:"status"`
	// Expired is true when the TTL, not a setStatus, ended the activation.
	Expired   bool            `json:"expired,omitempty"`
	Cost      decimal.Decimal `json:"cost"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at"`
	SMS       []SMSView       `json:"sms"`
}

// SMSView is one delivered SMS.
type SMSView struct {
	Code string    `json:"code"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Activations returns every activation sold so far, oldest first.
func (s *Sim) Activations() []ActivationView {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireDueLocked(s.now())
	acts := slices.SortedFunc(maps.Values(s.acts), func(x, y *activation) int { return cmp.Compare(x.id, y.id) })
	out := make([]ActivationView, 0, len(acts))
	for _, a := range acts {
		v := ActivationView{
			ID: strconv.FormatInt(a.id, 10), Phone: a.phone, Service: a.service, Country: a.country,
			Status: a.state.String(), Expired: a.expired, Cost: a.cost,
			CreatedAt: a.created, ExpiresAt: a.expires, SMS: make([]SMSView, 0, len(a.sms)),
		}
		for _, m := range a.sms {
			v.SMS = append(v.SMS, SMSView{Code: m.code, Text: m.text, At: m.at})
		}
		out = append(out, v)
	}
	return out
}
