package postgres_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/storage/postgres/pgtest"
)

func TestBotUserLookups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	users := core.NewUsers(db)
	ada, created, err := users.Seen(ctx, core.NewUser{TelegramID: 101, Username: "Ada_X", TelegramLanguage: "yo"})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "yo", ada.TelegramLanguage)

	got, err := users.Find(ctx, "@ada_x")
	require.NoError(t, err)
	require.Equal(t, ada.ID, got.ID, "usernames match case-insensitively")
	got, err = users.Find(ctx, "tg:101")
	require.NoError(t, err)
	require.Equal(t, ada.ID, got.ID)
	got, err = users.Find(ctx, strconv.FormatInt(ada.ID, 10))
	require.NoError(t, err)
	require.Equal(t, int64(101), got.TelegramID)
	_, err = users.Find(ctx, "101")
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err), "a bare number is an account id, never a Telegram id")
	_, err = users.Find(ctx, "ada")
	require.Equal(t, core.CodeInvalid, core.ErrorCode(err))
	_, err = users.Find(ctx, "@nobody")
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err))

	require.NoError(t, users.SetBlocked(ctx, 101, true))
	got, err = users.ByTelegramID(ctx, 101)
	require.NoError(t, err)
	require.True(t, got.Blocked)
	got, _, err = users.Seen(ctx, core.NewUser{TelegramID: 101, Username: "ada_new", TelegramLanguage: "ha"})
	require.NoError(t, err)
	require.False(t, got.Blocked, "a user who writes again is not blocked")
	require.Equal(t, "ada_new", got.Username)
	got, err = users.ByTelegramID(ctx, 101)
	require.NoError(t, err)
	require.Equal(t, "ha", got.TelegramLanguage)
	require.False(t, got.Blocked)

	require.NoError(t, users.SetLanguage(ctx, ada.ID, "ig"))
	got, err = users.ByID(ctx, ada.ID)
	require.NoError(t, err)
	require.Equal(t, "ig", got.Language)

	// A stale username held by two users is ambiguous, not a guess.
	_, _, err = users.Seen(ctx, core.NewUser{TelegramID: 102, Username: "shared"})
	require.NoError(t, err)
	_, _, err = users.Seen(ctx, core.NewUser{TelegramID: 103, Username: "SHARED"})
	require.NoError(t, err)
	_, err = users.Find(ctx, "@shared")
	require.Equal(t, core.CodeConflict, core.ErrorCode(err))
}

func TestBotOutboxIsTransactionalAndLeased(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	u, _, err := core.NewUsers(db).Seen(ctx, core.NewUser{TelegramID: 201, TelegramLanguage: "ha-NG"})
	require.NoError(t, err)
	n := core.Notification{UserID: u.ID, ChatID: 201, Kind: "sms_code", DedupeKey: "sms:x:1", Payload: []byte(`{"code":"1"}`)}

	// Queued only if the surrounding transaction commits.
	boom := errors.New("rolled back")
	err = db.InTx(ctx, func(ctx context.Context) error {
		ok, err := db.EnqueueNotification(ctx, n)
		require.NoError(t, err)
		require.True(t, ok)
		return boom
	})
	require.ErrorIs(t, err, boom)
	claimed, err := db.ClaimNotifications(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, claimed)

	ok, err := db.EnqueueNotification(ctx, n)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = db.EnqueueNotification(ctx, n)
	require.NoError(t, err)
	require.False(t, ok, "the same event is queued once")

	claimed, err = db.ClaimNotifications(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	c := claimed[0]
	require.Equal(t, "ha-NG", c.Language, "Telegram's language until the user picks one")
	require.Equal(t, 1, c.Attempts)
	require.JSONEq(t, `{"code":"1"}`, string(c.Payload))
	again, err := db.ClaimNotifications(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, again, "a leased row is not claimed twice")

	require.NoError(t, db.ReleaseNotifications(ctx, []int64{c.ID}))
	claimed, err = db.ClaimNotifications(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1, "a released row is due at once")
	require.Equal(t, 1, claimed[0].Attempts, "releasing does not count an attempt")

	require.NoError(t, db.RetryNotification(ctx, c.ID, time.Now().Add(time.Hour), "429"))
	claimed, err = db.ClaimNotifications(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, claimed, "a retry waits for its time")
	require.NoError(t, db.RetryNotification(ctx, c.ID, time.Now().Add(-time.Second), "429"))
	claimed, err = db.ClaimNotifications(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	require.NoError(t, db.SettleNotification(ctx, c.ID, core.NotificationSent, ""))
	claimed, err = db.ClaimNotifications(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, claimed)
}

func TestBotBroadcastSkipsBlockedAndFinishesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	users := core.NewUsers(db)
	for _, id := range []int64{301, 302, 303} {
		_, _, err := users.Seen(ctx, core.NewUser{TelegramID: id})
		require.NoError(t, err)
	}
	require.NoError(t, users.SetBlocked(ctx, 303, true))

	b, created, err := db.CreateBroadcast(ctx, core.Broadcast{Reference: "tg-broadcast:1:9", AdminChatID: 301, Text: "hello"})
	require.NoError(t, err)
	require.True(t, created)
	again, created, err := db.CreateBroadcast(ctx, core.Broadcast{Reference: "tg-broadcast:1:9", AdminChatID: 301, Text: "hello"})
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, b.ID, again.ID)
	p, err := db.BroadcastProgress(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, core.BroadcastProgress{Total: 2, Pending: 2}, p, "blocked users are skipped, a repeat adds nobody")

	notes, err := db.ClaimNotifications(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Empty(t, notes, "broadcast messages have their own queue")
	msgs, err := db.ClaimBroadcastMessages(ctx, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.Equal(t, b.ID, msgs[0].BroadcastID)
	finished, err := db.FinishBroadcast(ctx, b.ID)
	require.NoError(t, err)
	require.False(t, finished, "not while messages are pending")
	require.NoError(t, db.SettleNotification(ctx, msgs[0].ID, core.NotificationSent, ""))
	require.NoError(t, db.SettleNotification(ctx, msgs[1].ID, core.NotificationBlocked, "403"))
	p, err = db.BroadcastProgress(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, core.BroadcastProgress{Total: 2, Sent: 1, Blocked: 1}, p)
	require.True(t, p.Done())
	require.NoError(t, db.SetBroadcastProgressMessage(ctx, b.ID, 77))
	finished, err = db.FinishBroadcast(ctx, b.ID)
	require.NoError(t, err)
	require.True(t, finished)
	finished, err = db.FinishBroadcast(ctx, b.ID)
	require.NoError(t, err)
	require.False(t, finished, "finished once")
	open, err := db.UnfinishedBroadcasts(ctx)
	require.NoError(t, err)
	require.Empty(t, open)
	got, err := db.BroadcastByID(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, 77, got.ProgressMessageID)
	require.NotNil(t, got.FinishedAt)
}
