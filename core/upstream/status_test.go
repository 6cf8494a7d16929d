package upstream_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/core/upstream"
)

func TestGetStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		want upstream.Status
	}{
		{"STATUS_WAIT_CODE", upstream.Status{State: upstream.StatusWaiting}},
		{"STATUS_WAIT_RETRY:123456", upstream.Status{State: upstream.StatusWaitRetry, Code: "123456"}},
		{"STATUS_WAIT_RESEND", upstream.Status{State: upstream.StatusWaitResend}},
		{"STATUS_OK:123456", upstream.Status{State: upstream.StatusReceived, Code: "123456"}},
		{"STATUS_OK:G-1234:x", upstream.Status{State: upstream.StatusReceived, Code: "G-1234:x"}},
		{"STATUS_CANCEL", upstream.Status{State: upstream.StatusCancelled}},
		{"STATUS_CANCEL\r\n", upstream.Status{State: upstream.StatusCancelled}},
	} {
		t.Run(tc.body, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(http.StatusOK, tc.body))
			got, err := b.client.GetStatus(t.Context(), "635468024")
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			q := b.rec.last().URL.Query()
			require.Equal(t, "getStatus", q.Get("action"))
			require.Equal(t, "635468024", q.Get("id"))
		})
	}
}

func TestGetStatusErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"no activation", 200, "NO_ACTIVATION", upstream.ErrNoActivation},
		{"wrong id", 200, "WRONG_ACTIVATION_ID", upstream.ErrWrongActivationID},
		{"hero not found", 404, `{"title":"NOT_FOUND","details":"Activation Not Found"}`, upstream.ErrNoActivation},
	} {
		b := setup(t, reply(tc.status, tc.body))
		_, err := b.client.GetStatus(t.Context(), "1")
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	for _, body := range []string{"STATUS_OK:", "STATUS_SOMETHING_NEW", "ok", "{}"} {
		b := setup(t, reply(http.StatusOK, body))
		_, err := b.client.GetStatus(t.Context(), "1")
		var pe *upstream.ProtocolError
		require.ErrorAs(t, err, &pe, body)
	}
	b := setup(t, reply(http.StatusOK, "STATUS_WAIT_CODE"))
	_, err := b.client.GetStatus(t.Context(), "")
	require.Error(t, err)
	require.Empty(t, b.rec.actions())
}

func TestGetStatusV2(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       upstream.Status
	}{
		{"sa sms", `{"verificationType":0,"sms":{"dateTime":"2022-06-01 17:30:57","code":"123456","text":"Your code is 123456"},"call":null}`,
			upstream.Status{State: upstream.StatusReceived, Code: "123456", Text: "Your code is 123456"}},
		{"sa call", `{"verificationType":2,"sms":null,"call":{"from":"123","text":"voice","code":"12345","dateTime":"x","url":null,"parsingCount":1}}`,
			upstream.Status{State: upstream.StatusReceived, Code: "12345", Text: "voice"}},
		{"sa waiting", `{"verificationType":0,"sms":null,"call":null}`, upstream.Status{State: upstream.StatusWaiting}},
		{"sa waiting empty sms", `{"verificationType":0,"sms":{"dateTime":"0000-00-00 00:00:00","code":null,"text":null}}`,
			upstream.Status{State: upstream.StatusWaiting}},
		{"hero data", `{"verificationType":"sms","data":{"id":5,"phoneFrom":"Google","code":"G-4321","text":"G-4321 is your code","service":"go","date":"2025-01-01T12:00:00Z","type":"sms"}}`,
			upstream.Status{State: upstream.StatusReceived, Code: "G-4321", Text: "G-4321 is your code"}},
		{"hero data list", `{"verificationType":"sms","data":[{"code":"1111","text":"a"},{"code":"2222","text":"b"}]}`,
			upstream.Status{State: upstream.StatusReceived, Code: "2222", Text: "b"}},
		{"hero waiting", `{"verificationType":"sms","data":null}`, upstream.Status{State: upstream.StatusWaiting}},
		{"numeric code", `{"sms":{"code":123456,"text":"x"}}`, upstream.Status{State: upstream.StatusReceived, Code: "123456", Text: "x"}},
		{"plain cancel", "STATUS_CANCEL", upstream.Status{State: upstream.StatusCancelled}},
		{"plain wait", "STATUS_WAIT_CODE", upstream.Status{State: upstream.StatusWaiting}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, reply(http.StatusOK, tc.body))
			got, err := b.client.GetStatusV2(t.Context(), "7")
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, "getStatusV2", b.rec.last().URL.Query().Get("action"))
		})
	}
	for _, body := range []string{`{"foo":1}`, `{"sms":"x"}`, `{"sms":{"code":[1]}}`, `{"sms":`} {
		b := setup(t, reply(http.StatusOK, body))
		_, err := b.client.GetStatusV2(t.Context(), "7")
		var pe *upstream.ProtocolError
		require.ErrorAs(t, err, &pe, body)
	}
}

func TestSetStatus(t *testing.T) {
	t.Parallel()
	for status, token := range map[int]string{1: "ACCESS_READY", 3: "ACCESS_RETRY_GET", 6: "ACCESS_ACTIVATION", 8: "ACCESS_CANCEL"} {
		b := setup(t, reply(http.StatusOK, token))
		got, err := b.client.SetStatus(t.Context(), "55", status)
		require.NoError(t, err)
		require.Equal(t, token, got)
		q := b.rec.last().URL.Query()
		require.Equal(t, "setStatus", q.Get("action"))
		require.Equal(t, "55", q.Get("id"))
		require.Equal(t, strconv.Itoa(status), q.Get("status"))
	}
}

func TestSetStatusRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"early cancel", 200, "EARLY_CANCEL_DENIED", upstream.ErrEarlyCancelDenied},
		{"hero early cancel", 409, `{"title":"EARLY_CANCEL_DENIED","details":"x","info":{"minActivationTime":120}}`, upstream.ErrEarlyCancelDenied},
		{"bad status", 200, "BAD_STATUS", upstream.ErrBadStatus},
		{"hero otp received", 409, `{"title":"OTP_RECEIVED"}`, upstream.ErrBadStatus},
		{"no activation", 200, "NO_ACTIVATION", upstream.ErrNoActivation},
		{"wrong id", 200, "WRONG_ACTIVATION_ID", upstream.ErrWrongActivationID},
	} {
		b := setup(t, reply(tc.status, tc.body))
		_, err := b.client.SetStatus(t.Context(), "55", upstream.SetStatusCancel)
		require.ErrorIs(t, err, tc.want, tc.name)
		require.False(t, upstream.IsOutcomeUnknown(err), tc.name)
	}

	// DaisySMS answers a refused cancel with ACCESS_READY.
	b := setup(t, reply(http.StatusOK, "ACCESS_READY"))
	token, err := b.client.SetStatus(t.Context(), "55", upstream.SetStatusCancel)
	require.ErrorIs(t, err, upstream.ErrBadStatus)
	require.Equal(t, "ACCESS_READY", token)

	_, err = b.client.SetStatus(t.Context(), "55", 2)
	require.Error(t, err)
	_, err = b.client.SetStatus(t.Context(), "", 8)
	require.Error(t, err)
	require.Len(t, b.rec.actions(), 1, "invalid arguments send nothing")

	b = setup(t, reply(http.StatusOK, "ACCESS_WHATEVER"))
	_, err = b.client.SetStatus(t.Context(), "55", 6)
	var pe *upstream.ProtocolError
	require.ErrorAs(t, err, &pe)
}
