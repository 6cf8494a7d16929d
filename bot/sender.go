package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"
)

// ErrBlocked is returned for a message Telegram refused with 403: the user
// blocked the bot (or deleted their account).
var ErrBlocked = errors.New("bot: the user blocked the bot")

// SenderConfig tunes the outgoing limits. Telegram allows about 30
// messages a second overall and one a second per chat (short bursts
// tolerated); the defaults stay under both.
type SenderConfig struct {
	GlobalRate float64 // API calls per second overall (default 25)
	ChatRate   float64 // new messages per second per chat (default 1)
	ChatBurst  int     // new messages a chat may get at once (default 3)
	MaxRetries int     // retries after 429 (default 5)
	// CallTimeout bounds one API call (default 30s). A call is never
	// aborted half way by the caller's cancellation: a message either went
	// or did not, so a stopping worker does not send it twice.
	CallTimeout time.Duration
	// OnBlocked is told the chat of a 403 (the bot marks the user blocked).
	OnBlocked func(ctx context.Context, chatID int64)
	Logger    *slog.Logger
}

// Sender is the only way the bot talks to Telegram. It waits for a global
// token on every call and for a per-chat token on every new message (edits
// and callback answers do not notify, and answers must be quick), retries
// after 429 honouring retry_after (pausing every send meanwhile: Telegram's
// flood limit is per bot), treats "message is not modified" as success and
// turns 403 into ErrBlocked.
type Sender struct {
	api    *tgbot.Bot
	cfg    SenderConfig
	global *rate.Limiter

	mu         sync.Mutex
	chats      map[int64]*rate.Limiter
	pauseUntil time.Time
	calls      int
}

// NewSender returns a sender over api.
func NewSender(api *tgbot.Bot, cfg SenderConfig) *Sender {
	if cfg.GlobalRate <= 0 {
		cfg.GlobalRate = 25
	}
	if cfg.ChatRate <= 0 {
		cfg.ChatRate = 1
	}
	if cfg.ChatBurst <= 0 {
		cfg.ChatBurst = 3
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	if cfg.OnBlocked == nil {
		cfg.OnBlocked = func(context.Context, int64) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{
		api: api, cfg: cfg,
		// Burst 1: calls are spaced evenly, so no one-second window ever
		// holds more than the rate.
		global: rate.NewLimiter(rate.Limit(cfg.GlobalRate), 1),
		chats:  map[int64]*rate.Limiter{},
	}
}

// SendMessage sends a new message.
func (s *Sender) SendMessage(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error) {
	var m *models.Message
	err := s.call(ctx, chatOf(p.ChatID), true, func(ctx context.Context) error {
		var err error
		m, err = s.api.SendMessage(ctx, p)
		return err
	})
	return m, err
}

// SendDocument sends a file.
func (s *Sender) SendDocument(ctx context.Context, p *tgbot.SendDocumentParams) (*models.Message, error) {
	var m *models.Message
	err := s.call(ctx, chatOf(p.ChatID), true, func(ctx context.Context) error {
		var err error
		m, err = s.api.SendDocument(ctx, p)
		return err
	})
	return m, err
}

// EditMessageText edits a message; an edit to identical content succeeds.
func (s *Sender) EditMessageText(ctx context.Context, p *tgbot.EditMessageTextParams) error {
	return s.call(ctx, chatOf(p.ChatID), false, func(ctx context.Context) error {
		_, err := s.api.EditMessageText(ctx, p)
		return err
	})
}

// AnswerCallbackQuery stops the button's spinner, with an optional toast.
func (s *Sender) AnswerCallbackQuery(ctx context.Context, p *tgbot.AnswerCallbackQueryParams) error {
	return s.call(ctx, 0, false, func(ctx context.Context) error {
		_, err := s.api.AnswerCallbackQuery(ctx, p)
		return err
	})
}

// Do runs any other API call under the global limit (setWebhook,
// setMyCommands, getFile, …).
func (s *Sender) Do(ctx context.Context, fn func(ctx context.Context, api *tgbot.Bot) error) error {
	return s.call(ctx, 0, false, func(ctx context.Context) error { return fn(ctx, s.api) })
}

func (s *Sender) call(ctx context.Context, chatID int64, newMessage bool, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		if err := s.wait(ctx, chatID, newMessage); err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.CallTimeout)
		err := fn(cctx)
		cancel()
		var flood *tgbot.TooManyRequestsError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &flood) && attempt < s.cfg.MaxRetries:
			s.pause(time.Duration(max(flood.RetryAfter, 1)) * time.Second)
			s.cfg.Logger.WarnContext(ctx, "telegram asked us to slow down", "retry_after", flood.RetryAfter, "chat", chatID)
		case errors.Is(err, tgbot.ErrorForbidden) && chatID != 0:
			s.cfg.OnBlocked(ctx, chatID)
			return ErrBlocked
		case notModified(err):
			return nil
		default:
			return err
		}
	}
}

// wait blocks until a 429 pause is over and the call's tokens are there.
func (s *Sender) wait(ctx context.Context, chatID int64, newMessage bool) error {
	s.mu.Lock()
	until := s.pauseUntil
	var chat *rate.Limiter
	if newMessage && chatID != 0 {
		chat = s.chatLimiter(chatID)
	}
	s.mu.Unlock()
	if d := time.Until(until); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if chat != nil {
		if err := chat.Wait(ctx); err != nil {
			return err
		}
	}
	return s.global.Wait(ctx)
}

func (s *Sender) pause(d time.Duration) {
	s.mu.Lock()
	if until := time.Now().Add(d); until.After(s.pauseUntil) {
		s.pauseUntil = until
	}
	s.mu.Unlock()
}

// chatLimiter returns the chat's limiter (s.mu held). Idle limiters are
// dropped now and then so the map does not grow with every chat ever seen.
func (s *Sender) chatLimiter(chatID int64) *rate.Limiter {
	s.calls++
	if s.calls%1024 == 0 {
		now := time.Now()
		for id, l := range s.chats {
			if l.TokensAt(now) >= float64(l.Burst()) {
				delete(s.chats, id)
			}
		}
	}
	l, ok := s.chats[chatID]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.cfg.ChatRate), s.cfg.ChatBurst)
		s.chats[chatID] = l
	}
	return l
}

func notModified(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified")
}

func chatOf(id any) int64 {
	if v, ok := id.(int64); ok {
		return v
	}
	return 0
}
