package bot

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/stretchr/testify/require"
)

func chatUpdate(id int64, chat int64) *models.Update {
	return &models.Update{ID: id, Message: &models.Message{ID: int(id), Chat: models.Chat{ID: chat}}}
}

// Each chat's updates run one at a time in arrival order; different chats
// run at the same time.
func TestSerializerKeepsEachChatInOrder(t *testing.T) {
	t.Parallel()
	s := newSerializer(8, 1000, time.Second, slog.New(slog.DiscardHandler))
	var (
		mu      sync.Mutex
		seen    = map[int64][]int64{}
		running atomic.Int32
		peak    atomic.Int32
		perChat sync.Map
		overlap atomic.Bool
	)
	h := s.middleware(func(ctx context.Context, _ *tgbot.Bot, u *models.Update) {
		chat := u.Message.Chat.ID
		n, _ := perChat.LoadOrStore(chat, new(atomic.Int32))
		if n.(*atomic.Int32).Add(1) != 1 {
			overlap.Store(true) // two updates of one chat at once
		}
		defer n.(*atomic.Int32).Add(-1)
		if r := running.Add(1); r > peak.Load() {
			peak.Store(r)
		}
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		running.Add(-1)
		mu.Lock()
		seen[chat] = append(seen[chat], u.ID)
		mu.Unlock()
	})
	var id int64
	for i := 0; i < 50; i++ {
		for chat := int64(1); chat <= 4; chat++ {
			id++
			h(context.Background(), nil, chatUpdate(id, chat))
		}
	}
	require.NoError(t, s.wait(context.Background()))
	require.False(t, overlap.Load(), "two updates of one chat ran at once")
	for chat, ids := range seen {
		require.Len(t, ids, 50)
		for i := 1; i < len(ids); i++ {
			require.Less(t, ids[i-1], ids[i], "chat %d reordered", chat)
		}
	}
	require.Greater(t, peak.Load(), int32(1), "chats ran in parallel")
}

// A panic is recovered (and reported) and the chat goes on; a slow handler
// gets a deadline and holds up only its own chat.
func TestSerializerSurvivesPanicAndSlowHandler(t *testing.T) {
	t.Parallel()
	s := newSerializer(4, 10, 50*time.Millisecond, slog.New(slog.DiscardHandler))
	var apologized atomic.Int32
	s.onPanic = func(context.Context, *models.Update) { apologized.Add(1) }
	var (
		mu      sync.Mutex
		order   []string
		slowErr error
	)
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	h := s.middleware(func(ctx context.Context, _ *tgbot.Bot, u *models.Update) {
		switch u.ID {
		case 1:
			panic("boom")
		case 2:
			note("after-panic")
		case 3:
			<-ctx.Done()
			slowErr = ctx.Err()
			time.Sleep(100 * time.Millisecond) // ignores its deadline for a while
			note("slow")
		case 4:
			note("chat1-after-slow")
		case 5:
			note("other-chat")
		}
	})
	h(context.Background(), nil, chatUpdate(1, 1))
	h(context.Background(), nil, chatUpdate(2, 1))
	h(context.Background(), nil, chatUpdate(3, 1))
	h(context.Background(), nil, chatUpdate(4, 1))
	time.Sleep(10 * time.Millisecond)
	h(context.Background(), nil, chatUpdate(5, 2))
	require.NoError(t, s.wait(context.Background()))
	require.Equal(t, int32(1), apologized.Load())
	require.ErrorIs(t, slowErr, context.DeadlineExceeded)
	require.Equal(t, []string{"after-panic", "other-chat", "slow", "chat1-after-slow"}, order)
}

// A chat that floods faster than it is served loses the excess instead of
// growing memory.
func TestSerializerBoundsAChatsQueue(t *testing.T) {
	t.Parallel()
	s := newSerializer(1, 3, time.Second, slog.New(slog.DiscardHandler))
	release := make(chan struct{})
	var handled atomic.Int32
	h := s.middleware(func(context.Context, *tgbot.Bot, *models.Update) {
		<-release
		handled.Add(1)
	})
	for i := int64(1); i <= 10; i++ {
		h(context.Background(), nil, chatUpdate(i, 1))
	}
	close(release)
	require.NoError(t, s.wait(context.Background()))
	require.LessOrEqual(t, handled.Load(), int32(4), "the running one and three queued")
	require.GreaterOrEqual(t, handled.Load(), int32(3))
}
