package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// errNoID is returned before any request when the activation id is empty.
var errNoID = errors.New("activation id is required")

// GetStatus returns the state of an activation (getStatus). Unknown ids are
// ErrNoActivation.
func (c *Client) GetStatus(ctx context.Context, id string) (Status, error) {
	if id == "" {
		return Status{}, fmt.Errorf("upstream getStatus: %w", errNoID)
	}
	a, err := c.do(ctx, "getStatus", url.Values{"id": {id}})
	if err != nil {
		return Status{}, err
	}
	s, err := parseStatus(trimBody(a.body))
	if err != nil {
		return Status{}, c.protocolError(a, err)
	}
	return s, nil
}

// GetStatusV2 is GetStatus through getStatusV2, which also returns the SMS
// text. It cannot tell StatusWaitRetry from StatusWaiting: the JSON shape
// has no such state.
func (c *Client) GetStatusV2(ctx context.Context, id string) (Status, error) {
	if id == "" {
		return Status{}, fmt.Errorf("upstream getStatusV2: %w", errNoID)
	}
	a, err := c.do(ctx, "getStatusV2", url.Values{"id": {id}})
	if err != nil {
		return Status{}, err
	}
	s, err := parseStatusV2(trimBody(a.body))
	if err != nil {
		return Status{}, c.protocolError(a, err)
	}
	return s, nil
}

// SetStatus changes an activation's status: SetStatusReady (1),
// SetStatusRetry (3), SetStatusFinish (6) or SetStatusCancel (8). It returns
// the provider's ACCESS_* token. An ACCESS_* token other than the one the
// status expects (DaisySMS answers a refused cancel with ACCESS_READY) is
// returned together with an error wrapping ErrBadStatus.
func (c *Client) SetStatus(ctx context.Context, id string, status int) (string, error) {
	want, ok := setStatusAnswers[status]
	if !ok {
		return "", fmt.Errorf("upstream setStatus: status %d is not 1, 3, 6 or 8", status)
	}
	if id == "" {
		return "", fmt.Errorf("upstream setStatus: %w", errNoID)
	}
	a, err := c.do(ctx, "setStatus", url.Values{"id": {id}, "status": {strconv.Itoa(status)}})
	if err != nil {
		return "", err
	}
	token, err := parseSetStatus(trimBody(a.body))
	if err != nil {
		return "", c.protocolError(a, err)
	}
	if token != want {
		return token, fmt.Errorf("upstream setStatus %d: answered %s: %w", status, token, ErrBadStatus)
	}
	return token, nil
}
