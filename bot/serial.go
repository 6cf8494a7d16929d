package bot

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// serializer runs each chat's updates one at a time, in the order they
// arrived, on a goroutine per busy chat; different chats run in parallel up
// to a limit. The library hands it updates from a single dispatcher
// goroutine (WithWorkers(1) + WithNotAsyncHandlers), which is what makes the
// arrival order the Telegram order: several library workers would race
// for a chat's lock and could reorder its updates.
type serializer struct {
	timeout  time.Duration
	maxQueue int
	sem      chan struct{}
	logger   *slog.Logger
	// onPanic tells the user something went wrong (the handler died).
	onPanic func(ctx context.Context, upd *models.Update)
	// onDone hears how each update ended: ok, timeout (the handler
	// outlived its deadline), panic, or dropped (its chat's queue was full).
	onDone func(upd *models.Update, result string)

	mu    sync.Mutex
	chats map[int64]*mailbox
	busy  sync.WaitGroup
}

type mailbox struct {
	queue []job
}

type job struct {
	ctx  context.Context
	api  *tgbot.Bot
	upd  *models.Update
	next tgbot.HandlerFunc
}

func newSerializer(workers, maxQueue int, timeout time.Duration, logger *slog.Logger) *serializer {
	return &serializer{
		timeout: timeout, maxQueue: maxQueue, sem: make(chan struct{}, workers), logger: logger,
		onPanic: func(context.Context, *models.Update) {}, onDone: func(*models.Update, string) {},
		chats: map[int64]*mailbox{},
	}
}

// middleware queues the update on its chat's mailbox and returns at once.
func (s *serializer) middleware(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, api *tgbot.Bot, upd *models.Update) {
		chat := updateChat(upd)
		s.mu.Lock()
		mb, running := s.chats[chat]
		if !running {
			mb = &mailbox{}
			s.chats[chat] = mb
		}
		if len(mb.queue) >= s.maxQueue {
			s.mu.Unlock()
			// A chat flooding faster than it can be served loses the
			// excess rather than growing memory without bound.
			s.logger.WarnContext(ctx, "chat queue full; update dropped", "chat", chat, "update", upd.ID)
			s.onDone(upd, "dropped")
			return
		}
		mb.queue = append(mb.queue, job{ctx: context.WithoutCancel(ctx), api: api, upd: upd, next: next})
		if !running {
			s.busy.Add(1)
			go s.drain(chat, mb)
		}
		s.mu.Unlock()
	}
}

// drain runs a chat's queued updates until the queue is empty.
func (s *serializer) drain(chat int64, mb *mailbox) {
	defer s.busy.Done()
	for {
		s.mu.Lock()
		if len(mb.queue) == 0 {
			delete(s.chats, chat)
			s.mu.Unlock()
			return
		}
		j := mb.queue[0]
		mb.queue = mb.queue[1:]
		s.mu.Unlock()
		s.sem <- struct{}{}
		s.run(j)
		<-s.sem
	}
}

// run calls the handler with a deadline, surviving its panic.
func (s *serializer) run(j job) {
	ctx, cancel := context.WithTimeout(j.ctx, s.timeout)
	defer cancel()
	slow := time.AfterFunc(s.timeout, func() {
		s.logger.Warn("a handler outlived its timeout; its chat waits for it", "update", j.upd.ID, "chat", updateChat(j.upd))
	})
	defer slow.Stop()
	defer func() {
		if p := recover(); p != nil {
			s.logger.Error("bot handler panicked", "update", j.upd.ID, "panic", p, "stack", string(debug.Stack()))
			s.onPanic(context.WithoutCancel(ctx), j.upd)
			s.onDone(j.upd, "panic")
		}
	}()
	j.next(ctx, j.api, j.upd)
	result := "ok"
	if ctx.Err() == context.DeadlineExceeded {
		result = "timeout"
	}
	s.onDone(j.upd, result)
}

// wait blocks until every queued update has been handled or ctx ends.
func (s *serializer) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.busy.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recoverMiddleware is the outermost middleware: nothing that goes wrong
// while routing an update may take the dispatcher goroutine down.
func recoverMiddleware(logger *slog.Logger) tgbot.Middleware {
	return func(next tgbot.HandlerFunc) tgbot.HandlerFunc {
		return func(ctx context.Context, api *tgbot.Bot, upd *models.Update) {
			defer func() {
				if p := recover(); p != nil {
					logger.Error("bot dispatch panicked", "update", upd.ID, "panic", p, "stack", string(debug.Stack()))
				}
			}()
			next(ctx, api, upd)
		}
	}
}

// updateKind names an update's kind for metrics.
func updateKind(upd *models.Update) string {
	switch {
	case upd.Message != nil:
		return "message"
	case upd.CallbackQuery != nil:
		return "callback_query"
	case upd.MyChatMember != nil:
		return "my_chat_member"
	}
	return "other"
}

// updateChat is the chat an update belongs to (0 for updates without one,
// which then share one queue).
func updateChat(upd *models.Update) int64 {
	switch {
	case upd.Message != nil:
		return upd.Message.Chat.ID
	case upd.CallbackQuery != nil:
		if m := upd.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		return upd.CallbackQuery.From.ID
	case upd.MyChatMember != nil:
		return upd.MyChatMember.Chat.ID
	case upd.EditedMessage != nil:
		return upd.EditedMessage.Chat.ID
	}
	return 0
}
