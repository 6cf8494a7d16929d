package stub

import (
	"context"
	"strconv"

	"accgen/core"
)

// order finds the call's activation among the key's own orders.
func (h *Handler) order(ctx context.Context, c call) (core.SMSOrder, error) {
	id, err := c.params.activationID()
	if err != nil {
		return core.SMSOrder{}, err
	}
	return h.sms.OrderByShortID(ctx, c.scope, id)
}

// closed reports an order getStatus shows as STATUS_CANCEL: cancelled,
// expired or failed (all refunded), or finished with setStatus 6.
// SMS-Activate answers STATUS_CANCEL for "canceled or completed", and
// clients written against it stop polling on it; the code stays readable
// in getActivations, getHistory and the REST API.
func closed(o core.SMSOrder) bool {
	return o.Status.Refunded() || o.FinishedAt != nil
}

// getStatus answers STATUS_WAIT_CODE, STATUS_WAIT_RETRY:<previous code>,
// STATUS_OK:<code> or STATUS_CANCEL.
func (h *Handler) getStatus(ctx context.Context, c call) (reply, error) {
	o, err := h.order(ctx, c)
	if err != nil {
		return reply{}, err
	}
	switch {
	case closed(o):
		return ok("STATUS_CANCEL"), nil
	case o.Status == core.SMSCompleted:
		return ok("STATUS_OK:" + tokenField(o.Code)), nil
	case o.AwaitingAnother:
		return ok("STATUS_WAIT_RETRY:" + tokenField(o.Code)), nil
	default: // placing or pending
		return ok("STATUS_WAIT_CODE"), nil
	}
}

// getStatusV2 answers SMS-Activate's {"verificationType":0,"sms":…,"call":null}
// with sms {dateTime, code, text} once a code arrived and null while waiting
// (waiting for another SMS included: the old code there would read as the
// new one); a closed order is the plain STATUS_CANCEL, as in SMS-Activate.
func (h *Handler) getStatusV2(ctx context.Context, c call) (reply, error) {
	type sms struct {
		DateTime string `json:"dateTime"`
		Code     string `json:"code"`
		Text     string `json:"text"`
	}
	type statusV2 struct {
		VerificationType int  `json:"verificationType"` // 0: SMS
		SMS              *sms `json:"sms"`
		Call             any  `json:"call"`
	}
	o, err := h.order(ctx, c)
	if err != nil {
		return reply{}, err
	}
	if closed(o) {
		return ok("STATUS_CANCEL"), nil
	}
	out := statusV2{}
	if o.Status == core.SMSCompleted && o.ReceivedAt != nil {
		out.SMS = &sms{DateTime: protocolTime(*o.ReceivedAt), Code: o.Code, Text: o.Text}
	}
	return okJSON(out)
}

// setStatus values and their answers. -1 is the old documents' cancel,
// still sent by some clients (Grizzly documents it too).
var setStatusAnswers = map[int]string{
	1:  "ACCESS_READY",
	3:  "ACCESS_RETRY_GET",
	6:  "ACCESS_ACTIVATION",
	8:  "ACCESS_CANCEL",
	-1: "ACCESS_CANCEL",
}

// setStatus drives the engine: 1 is an acknowledgement of a live order,
// 3 asks for another SMS after a code, 6 finishes an order that has its
// code, 8 cancels and refunds in full. A value outside 1/3/6/8 and a change
// the order's state refuses (6 with no code, 8 after 6, anything on a closed
// order) are BAD_STATUS.
func (h *Handler) setStatus(ctx context.Context, c call) (reply, error) {
	id, err := c.params.activationID()
	if err != nil {
		return reply{}, err
	}
	status, err := strconv.Atoi(c.params.get("status"))
	answer, known := setStatusAnswers[status]
	if err != nil || !known {
		return reply{}, errBadStatus
	}
	o, err := h.sms.OrderByShortID(ctx, c.scope, id)
	if err != nil {
		return reply{}, err
	}
	switch status {
	case 1:
		if closed(o) {
			err = errBadStatus
		}
	case 3:
		_, err = h.sms.RequestAnother(ctx, c.scope, o.ID)
	case 6:
		_, err = h.sms.Finish(ctx, c.scope, o.ID)
	default: // 8, -1
		_, _, err = h.sms.Cancel(ctx, c.scope, o.ID)
	}
	if err != nil {
		return reply{}, err
	}
	return ok(answer), nil
}
