package core

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is a customer or reseller, keyed by their Telegram id.
type User struct {
	ID         int64
	TelegramID int64
	Username   string // without the leading @; may be empty
	Language   string // chosen language; empty means "use Telegram's"
	Referrer   string // /start payload that brought the user, if any
	CreatedAt  time.Time
	// TelegramLanguage is the language_code Telegram last reported; the bot
	// speaks it until the user picks a Language.
	TelegramLanguage string
	// Blocked is set when Telegram refused a message because the user
	// blocked the bot; the next update from the user clears it.
	Blocked bool
}

// String identifies the user in logs and references.
func (u User) String() string { return strconv.FormatInt(u.ID, 10) }

// NewUser is what is known when a user first appears.
type NewUser struct {
	TelegramID int64
	Username   string
	Language   string
	Referrer   string
	// TelegramLanguage is Telegram's language_code for the user.
	TelegramLanguage string
}

// UserStore persists users. CreateUser also opens the user's wallet.
type UserStore interface {
	// CreateUser finds the user with u.TelegramID or creates it (with its
	// wallet); created reports which.
	CreateUser(ctx context.Context, u NewUser) (user User, created bool, err error)
	// UserByID returns CodeNotFound when there is none.
	UserByID(ctx context.Context, id int64) (User, error)
	// UserByTelegramID returns CodeNotFound when there is none.
	UserByTelegramID(ctx context.Context, telegramID int64) (User, error)
	// UserByUsername finds a user by @username, case-insensitively:
	// CodeNotFound when none has it, CodeConflict when several do (a stale
	// name kept by a user who has not been seen since).
	UserByUsername(ctx context.Context, username string) (User, error)
	// UpdateUserTelegram stores the username and Telegram language last
	// seen and clears Blocked.
	UpdateUserTelegram(ctx context.Context, id int64, username, telegramLanguage string) error
	// SetUserLanguage stores the language the user chose ("" forgets it).
	SetUserLanguage(ctx context.Context, id int64, language string) error
	// SetUserBlocked marks (or clears) that the user blocked the bot.
	SetUserBlocked(ctx context.Context, telegramID int64, blocked bool) error
}

// Users manages accounts of customers and resellers.
type Users struct {
	store UserStore
}

// NewUsers returns a Users service over store.
func NewUsers(store UserStore) *Users { return &Users{store: store} }

// Ensure validates u and finds or creates the user.
func (s *Users) Ensure(ctx context.Context, u NewUser) (User, bool, error) {
	if u.TelegramID <= 0 {
		return User{}, false, ValidationError("telegram_id", "must be a positive integer")
	}
	if err := checkText("username", u.Username, 64); err != nil {
		return User{}, false, err
	}
	if err := checkText("referrer", u.Referrer, 64); err != nil {
		return User{}, false, err
	}
	return s.store.CreateUser(ctx, u)
}

// ByID returns a user.
func (s *Users) ByID(ctx context.Context, id int64) (User, error) { return s.store.UserByID(ctx, id) }

// ByTelegramID returns the user with a Telegram id.
func (s *Users) ByTelegramID(ctx context.Context, telegramID int64) (User, error) {
	return s.store.UserByTelegramID(ctx, telegramID)
}

// Seen finds or creates the user an update came from and keeps what
// Telegram says about them current (username, language, not blocked). It
// writes only when something changed.
func (s *Users) Seen(ctx context.Context, u NewUser) (User, bool, error) {
	if err := checkText("telegram_language", u.TelegramLanguage, 35); err != nil {
		u.TelegramLanguage = ""
	}
	user, created, err := s.Ensure(ctx, u)
	if err != nil {
		return User{}, false, err
	}
	if user.Username == u.Username && user.TelegramLanguage == u.TelegramLanguage && !user.Blocked {
		return user, created, nil
	}
	if err := s.store.UpdateUserTelegram(ctx, user.ID, u.Username, u.TelegramLanguage); err != nil {
		return User{}, false, err
	}
	user.Username, user.TelegramLanguage, user.Blocked = u.Username, u.TelegramLanguage, false
	return user, created, nil
}

// Find resolves how an operator names a user: "@name" is a username,
// "tg:123" a Telegram id, and a bare number the account id customers see
// on their balance screen. Bare numbers never fall back to Telegram ids, so
// a typo cannot credit a stranger.
func (s *Users) Find(ctx context.Context, ref string) (User, error) {
	ref = strings.TrimSpace(ref)
	switch {
	case strings.HasPrefix(ref, "@") && len(ref) > 1:
		return s.store.UserByUsername(ctx, ref[1:])
	case strings.HasPrefix(strings.ToLower(ref), "tg:"):
		id, err := strconv.ParseInt(ref[3:], 10, 64)
		if err != nil || id <= 0 {
			return User{}, ValidationError("user", "%q is not a Telegram id", ref)
		}
		return s.store.UserByTelegramID(ctx, id)
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return User{}, ValidationError("user", "give an account id, tg:<telegram id> or @username")
	}
	return s.store.UserByID(ctx, id)
}

// SetLanguage stores the language a user picked.
func (s *Users) SetLanguage(ctx context.Context, id int64, language string) error {
	if err := checkText("language", language, 35); err != nil {
		return err
	}
	return s.store.SetUserLanguage(ctx, id, language)
}

// SetBlocked records that the user with a Telegram id blocked the bot (or
// came back).
func (s *Users) SetBlocked(ctx context.Context, telegramID int64, blocked bool) error {
	return s.store.SetUserBlocked(ctx, telegramID, blocked)
}

// checkText refuses over-long or control-character-laden free text, and
// text that would display as something else: bidirectional embeddings,
// overrides and isolates (a name like "gnp.exe" spelled backwards) and the
// Unicode line and paragraph separators (a one-line name that breaks the
// line where it is shown). Letters and emoji of any script are fine.
func checkText(field, s string, maxRunes int) error {
	if !utf8.ValidString(s) {
		return ValidationError(field, "must be valid UTF-8")
	}
	if utf8.RuneCountInString(s) > maxRunes {
		return ValidationError(field, "must be at most %d characters", maxRunes)
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return ValidationError(field, "must not contain control characters")
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return ValidationError(field, "must not contain text-direction overrides")
		case r == '\u2028' || r == '\u2029':
			return ValidationError(field, "must not contain line or paragraph separators")
		}
	}
	return nil
}
