package bot

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/stretchr/testify/require"

	"accgen/core"
)

// A broadcast to 100 users goes out at Telegram's pace (≤ 25 messages a
// second overall), honours a 429's retry_after, marks a user who blocked
// the bot, reports progress to the admin, and, stopped half way, is
// finished by a restarted bot without sending anyone the message twice.
func TestBroadcastRateLimitedAndResumesAfterRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}, config: func(c *Config) {
		c.Sender = SenderConfig{} // the production limits
		c.OutboxInterval = 20 * time.Millisecond
	}})
	admin := tgUser{ID: adminID, Name: "Boss"}
	h.send(admin, "/start")
	const (
		first     = 8001
		blockedID = 8050 // blocked the bot: Telegram answers 403
		floodedID = 8020 // Telegram answers 429 once
	)
	for id := int64(first); id < first+99; id++ {
		_, _, err := h.env.Users.Ensure(h.ctx, core.NewUser{TelegramID: id})
		require.NoError(t, err)
	}
	const text = "Big sale today & tomorrow!"
	flooded := false
	h.tg.SetFail(func(method string, f map[string]string) *tgError {
		if method != "sendMessage" {
			return nil
		}
		switch f["chat_id"] {
		case strconv.Itoa(blockedID):
			return &tgError{Code: 403, Desc: "Forbidden: bot was blocked by the user"}
		case strconv.Itoa(floodedID):
			if !flooded {
				flooded = true
				return &tgError{Code: 429, Desc: "Too Many Requests: retry after 1", RetryAfter: 1}
			}
		}
		return nil
	})

	h.send(admin, "/broadcast "+text)
	require.Equal(t, h.text("en", "admin.broadcast_progress", "Sent", 0, "Blocked", 0, "Failed", 0, "Total", 100), h.lastSent(admin))
	progressMsg := h.tg.Latest(admin.ID).ID

	broadcastCalls := func() []tgCall {
		var out []tgCall
		for _, c := range h.tg.CallsOf("sendMessage") {
			if c.Fields["text"] == "Big sale today &amp; tomorrow!" {
				out = append(out, c)
			}
		}
		return out
	}

	// First run, stopped part way.
	ctx1, stop1 := context.WithCancel(h.ctx)
	done1 := make(chan struct{})
	go func() { h.bot.RunOutbox(ctx1); close(done1) }()
	require.Eventually(t, func() bool { return len(broadcastCalls()) >= 30 }, 20*time.Second, 10*time.Millisecond)
	stop1()
	<-done1
	sentBefore := len(broadcastCalls())
	require.Less(t, sentBefore, 100, "the first run was stopped before the end")

	// A restarted bot finishes the job.
	h.bot = h.newBot()
	ctx2, stop2 := context.WithCancel(h.ctx)
	defer stop2()
	done2 := make(chan struct{})
	go func() { h.bot.RunOutbox(ctx2); close(done2) }()
	final := h.text("en", "admin.broadcast_done", "Sent", 99, "Blocked", 1, "Failed", 0, "Total", 100)
	require.Eventually(t, func() bool {
		return h.tg.Message(admin.ID, progressMsg).Text == final
	}, 30*time.Second, 20*time.Millisecond, "the admin's progress message ends with the totals")
	stop2()
	<-done2

	calls := broadcastCalls()
	perChat := map[string]int{}
	var at []time.Time
	for _, c := range calls {
		perChat[c.Fields["chat_id"]]++
		at = append(at, c.At)
	}
	require.Len(t, perChat, 100, "every user was tried")
	for chat, n := range perChat {
		want := 1
		if chat == strconv.Itoa(floodedID) {
			want = 2 // the 429, then the retry
		}
		require.Equal(t, want, n, "chat %s got the broadcast %d times", chat, n)
	}

	// Pace: the limiter spaces calls 40 ms apart, so a one-second window
	// holds 25 calls, plus at most one more at its edge from network jitter.
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j].Sub(at[i]) < time.Second; j++ {
			n++
		}
		require.LessOrEqual(t, n, 26, "more than 25 messages in the second after %s", at[i])
	}
	var floodAt []time.Time
	for _, c := range calls {
		if c.Fields["chat_id"] == strconv.Itoa(floodedID) {
			floodAt = append(floodAt, c.At)
		}
	}
	require.GreaterOrEqual(t, floodAt[1].Sub(floodAt[0]), time.Second, "retry_after was honoured")

	blocked, err := h.env.Users.ByTelegramID(h.ctx, blockedID)
	require.NoError(t, err)
	require.True(t, blocked.Blocked, "a 403 marks the user blocked")
	open, err := h.env.DB.UnfinishedBroadcasts(h.ctx)
	require.NoError(t, err)
	require.Empty(t, open)
}

// A worker may start sending a broadcast before the admin's command has
// recorded its progress message (another instance's worker, or this one's
// between two statements). It must neither post progress messages of its
// own meanwhile nor report the end anywhere but in that message, once it
// is recorded. With a Locker, as in serve, reports go one at a time.
func TestBroadcastProgressMessageRecordedLate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{admins: []int64{adminID}})
	h.deps.Locker = h.env.DB
	h.bot = h.newBot()
	for id := int64(8101); id <= 8130; id++ {
		_, _, err := h.env.Users.Ensure(h.ctx, core.NewUser{TelegramID: id})
		require.NoError(t, err)
	}
	bc, created, err := h.env.DB.CreateBroadcast(h.ctx, core.Broadcast{Reference: "late-progress", AdminChatID: adminID, Text: "hello"})
	require.NoError(t, err)
	require.True(t, created)

	n, err := h.bot.DeliverBroadcasts(h.ctx) // caches the row, with no progress message yet
	require.NoError(t, err)
	require.Equal(t, broadcastBatch, n)
	require.Empty(t, h.tg.SentTo(adminID), "no progress message of the worker's own")

	m, err := h.bot.send.SendMessage(h.ctx, &tgbot.SendMessageParams{ChatID: int64(adminID), Text: "progress"})
	require.NoError(t, err)
	require.NoError(t, h.env.DB.SetBroadcastProgressMessage(h.ctx, bc.ID, m.ID))
	for {
		n, err := h.bot.DeliverBroadcasts(h.ctx)
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	require.Equal(t, []string{"progress"}, h.tg.SentTo(adminID), "the end is reported by editing, not by a new message")
	require.Equal(t, h.text("en", "admin.broadcast_done", "Sent", 30, "Blocked", 0, "Failed", 0, "Total", 30), h.tg.Message(adminID, m.ID).Text)
	open, err := h.env.DB.UnfinishedBroadcasts(h.ctx)
	require.NoError(t, err)
	require.Empty(t, open)
}
