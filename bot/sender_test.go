package bot

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/stretchr/testify/require"
)

func newTestSender(t *testing.T, cfg SenderConfig) (*Sender, *fakeTG) {
	t.Helper()
	tg := newFakeTG(t)
	api, err := tgbot.New(testToken, tgbot.WithServerURL(tg.URL()), tgbot.WithSkipGetMe())
	require.NoError(t, err)
	return NewSender(api, cfg), tg
}

func TestSenderHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	s, tg := newTestSender(t, SenderConfig{})
	var n atomic.Int32
	tg.SetFail(func(method string, _ map[string]string) *tgError {
		if method == "sendMessage" && n.Add(1) == 1 {
			return &tgError{Code: 429, Desc: "Too Many Requests: retry after 1", RetryAfter: 1}
		}
		return nil
	})
	_, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: int64(1), Text: "hi"})
	require.NoError(t, err)
	calls := tg.CallsOf("sendMessage")
	require.Len(t, calls, 2)
	require.GreaterOrEqual(t, calls[1].At.Sub(calls[0].At), time.Second)
}

func TestSenderMarksBlockedUsers(t *testing.T) {
	t.Parallel()
	var blocked atomic.Int64
	s, tg := newTestSender(t, SenderConfig{OnBlocked: func(_ context.Context, chat int64) { blocked.Store(chat) }})
	tg.SetFail(func(string, map[string]string) *tgError {
		return &tgError{Code: 403, Desc: "Forbidden: bot was blocked by the user"}
	})
	_, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: int64(77), Text: "hi"})
	require.ErrorIs(t, err, ErrBlocked)
	require.Equal(t, int64(77), blocked.Load())
	require.Len(t, tg.CallsOf("sendMessage"), 1, "a 403 is not retried")
}

func TestSenderTreatsNotModifiedAsDone(t *testing.T) {
	t.Parallel()
	s, tg := newTestSender(t, SenderConfig{})
	tg.SetFail(func(string, map[string]string) *tgError {
		return &tgError{Code: 400, Desc: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"}
	})
	require.NoError(t, s.EditMessageText(context.Background(), &tgbot.EditMessageTextParams{ChatID: int64(1), MessageID: 1, Text: "x"}))
	tg.SetFail(func(string, map[string]string) *tgError {
		return &tgError{Code: 400, Desc: "Bad Request: chat not found"}
	})
	require.ErrorIs(t, s.EditMessageText(context.Background(), &tgbot.EditMessageTextParams{ChatID: int64(1), MessageID: 1, Text: "x"}), tgbot.ErrorBadRequest)
}

// New messages to one chat are spaced by the per-chat rate; other chats
// are not held up by it.
func TestSenderLimitsEachChat(t *testing.T) {
	t.Parallel()
	s, tg := newTestSender(t, SenderConfig{GlobalRate: 1000, ChatRate: 5, ChatBurst: 1})
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < 4; i++ {
		_, err := s.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: int64(1), Text: "a"})
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, time.Since(start), 550*time.Millisecond, "4 messages at 5/s take 600 ms")
	start = time.Now()
	for chat := int64(2); chat < 6; chat++ {
		_, err := s.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chat, Text: "b"})
		require.NoError(t, err)
	}
	require.Less(t, time.Since(start), 300*time.Millisecond, "other chats go at once")
	// Edits are not new messages: no per-chat wait.
	start = time.Now()
	for i := 0; i < 4; i++ {
		require.NoError(t, s.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: int64(1), MessageID: 1, Text: "e"}))
	}
	require.Less(t, time.Since(start), 300*time.Millisecond)
	require.Len(t, tg.CallsOf("sendMessage"), 8)
}

// Stopping while waiting for a token sends nothing.
func TestSenderStopsWhileWaiting(t *testing.T) {
	t.Parallel()
	s, tg := newTestSender(t, SenderConfig{GlobalRate: 1000, ChatRate: 0.1, ChatBurst: 1})
	_, err := s.SendMessage(context.Background(), &tgbot.SendMessageParams{ChatID: int64(1), Text: "a"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: int64(1), Text: "b"})
	require.Error(t, err)
	require.Len(t, tg.CallsOf("sendMessage"), 1)
}
