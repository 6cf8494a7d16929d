package core

import (
	"context"
	"strconv"
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
}

// String identifies the user in logs and references.
func (u User) String() string { return strconv.FormatInt(u.ID, 10) }

// NewUser is what is known when a user first appears.
type NewUser struct {
	TelegramID int64
	Username   string
	Language   string
	Referrer   string
}

// UserStore persists users. CreateUser also opens the user's wallet.
type UserStore interface {
	// CreateUser finds the user with u.TelegramID or creates it (with its
	// wallet); created reports which.
	CreateUser(ctx context.Context, u NewUser) (user User, created bool, err error)
	// UserByID returns CodeNotFound when there is none.
	UserByID(ctx context.Context, id int64) (User, error)
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

// checkText refuses over-long or control-character-laden free text.
func checkText(field, s string, maxRunes int) error {
	if !utf8.ValidString(s) {
		return ValidationError(field, "must be valid UTF-8")
	}
	if utf8.RuneCountInString(s) > maxRunes {
		return ValidationError(field, "must be at most %d characters", maxRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return ValidationError(field, "must not contain control characters")
		}
	}
	return nil
}
