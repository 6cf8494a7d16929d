package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"accgen/core"
)

// Config is everything the engine reads from ACCGEN_* variables.
type Config struct {
	DatabaseURL           string
	RedisURL              string
	RedisPrefix           string
	HTTPAddr              string
	UpstreamURL           string
	UpstreamAPIKey        string
	FXRate                decimal.Decimal
	MarkupPercent         decimal.Decimal
	PriceStep             decimal.Decimal
	PollInterval          time.Duration
	SMSTTL                time.Duration
	SMSRefundCompleted    bool
	SMSPlacingTimeout     time.Duration
	SMSOrphanGrace        time.Duration
	BreakerCooldown       time.Duration
	EncryptionKey         []byte
	RateLimit             core.RateLimit
	TelegramToken         string
	TelegramAPIURL        string
	TelegramWebhookURL    string
	TelegramWebhookSecret string
	AdminTelegramIDs      []int64
	WebhookAllowPrivate   bool
	LogFormat             string
	LogLevel              slog.Level
	// PprofAddr serves net/http/pprof for profiling; empty (the default)
	// serves nothing. Bind it to loopback: profiles reveal internals.
	PprofAddr string

	// EncryptionKeysPrevious still open credentials sealed before a key
	// rotation; only EncryptionKey seals.
	EncryptionKeysPrevious [][]byte

	// TopUpInstructions tells customers how to pay in (the bot's balance
	// screen); "\n" in the variable starts a new line.
	TopUpInstructions string
	// UpstreamBalanceAlert warns the bot's admins when the upstream balance
	// (provider currency) is below it; 0 turns it off.
	UpstreamBalanceAlert decimal.Decimal
}

// loadConfig reads and validates the configuration. Every problem names its
// variable; all problems are reported at once.
func loadConfig(getenv func(string) string) (Config, error) {
	e := envReader{getenv: getenv}
	c := Config{
		DatabaseURL:           e.url("ACCGEN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/accgen?sslmode=disable", "postgres", "postgresql"),
		RedisURL:              e.url("ACCGEN_REDIS_URL", "redis://127.0.0.1:6379/0", "redis", "rediss"),
		RedisPrefix:           e.str("ACCGEN_REDIS_PREFIX", "accgen:"),
		HTTPAddr:              e.str("ACCGEN_HTTP_ADDR", ":8080"),
		UpstreamURL:           e.url("ACCGEN_UPSTREAM_URL", "", "http", "https"),
		UpstreamAPIKey:        e.str("ACCGEN_UPSTREAM_API_KEY", ""),
		FXRate:                e.positiveDecimal("ACCGEN_FX_RATE", "1600"),
		MarkupPercent:         e.decimal("ACCGEN_MARKUP_PERCENT", "30"),
		PriceStep:             e.positiveDecimal("ACCGEN_PRICE_STEP", "10"),
		PollInterval:          e.duration("ACCGEN_POLL_INTERVAL", 2*time.Second),
		SMSTTL:                e.duration("ACCGEN_SMS_TTL", 20*time.Minute),
		SMSRefundCompleted:    e.boolean("ACCGEN_SMS_REFUND_COMPLETED", true),
		SMSPlacingTimeout:     e.duration("ACCGEN_SMS_PLACING_TIMEOUT", 2*time.Minute),
		SMSOrphanGrace:        e.duration("ACCGEN_SMS_ORPHAN_GRACE", time.Minute),
		BreakerCooldown:       e.duration("ACCGEN_BREAKER_COOLDOWN", time.Minute),
		EncryptionKey:         e.key("ACCGEN_ENCRYPTION_KEY"),
		RateLimit:             e.rate("ACCGEN_RATE_LIMIT", "50/s"),
		TelegramToken:         e.str("ACCGEN_TELEGRAM_TOKEN", ""),
		TelegramAPIURL:        e.url("ACCGEN_TELEGRAM_API_URL", "https://api.telegram.org", "http", "https"),
		TelegramWebhookURL:    e.url("ACCGEN_TELEGRAM_WEBHOOK_URL", "", "https", "http"),
		TelegramWebhookSecret: e.str("ACCGEN_TELEGRAM_WEBHOOK_SECRET", ""),
		AdminTelegramIDs:      e.ids("ACCGEN_ADMIN_TELEGRAM_IDS"),
		TopUpInstructions:     strings.ReplaceAll(e.str("ACCGEN_TOPUP_INSTRUCTIONS", ""), `\n`, "\n"),
		UpstreamBalanceAlert:  e.decimal("ACCGEN_UPSTREAM_BALANCE_ALERT", "0"),
		WebhookAllowPrivate:   e.boolean("ACCGEN_WEBHOOK_ALLOW_PRIVATE", false),
		LogFormat:             e.oneOf("ACCGEN_LOG_FORMAT", "text", "text", "json"),
		LogLevel:              e.level("ACCGEN_LOG_LEVEL"),
		PprofAddr:             e.str("ACCGEN_PPROF_ADDR", ""),
	}
	c.EncryptionKeysPrevious = e.keys("ACCGEN_ENCRYPTION_KEYS_PREVIOUS")
	if len(c.EncryptionKeysPrevious) > 0 && len(c.EncryptionKey) == 0 {
		e.fail("ACCGEN_ENCRYPTION_KEYS_PREVIOUS", "needs ACCGEN_ENCRYPTION_KEY, the key that replaced them")
	}
	if c.UpstreamBalanceAlert.IsNegative() {
		e.fail("ACCGEN_UPSTREAM_BALANCE_ALERT", "must not be negative")
	}
	if c.MarkupPercent.IsNegative() {
		e.fail("ACCGEN_MARKUP_PERCENT", "must not be negative")
	}
	if _, _, err := net.SplitHostPort(c.PprofAddr); c.PprofAddr != "" && err != nil {
		e.fail("ACCGEN_PPROF_ADDR", "must be host:port, such as 127.0.0.1:6060")
	}
	if c.TelegramWebhookURL != "" && c.TelegramWebhookSecret == "" {
		e.fail("ACCGEN_TELEGRAM_WEBHOOK_SECRET", "is required when ACCGEN_TELEGRAM_WEBHOOK_URL is set")
	}
	return c, errors.Join(e.errs...)
}

// requireEncryptionKey is checked by the commands that handle credentials.
func (c Config) requireEncryptionKey() error {
	if len(c.EncryptionKey) == 0 {
		return errors.New("ACCGEN_ENCRYPTION_KEY: is required (generate one with `accgen keygen`)")
	}
	return nil
}

// logger builds the process logger on w.
func (c Config) logger(w interface{ Write([]byte) (int, error) }) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

type envReader struct {
	getenv func(string) string
	errs   []error
}

func (e *envReader) fail(name, format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (e *envReader) str(name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

func (e *envReader) url(name, def string, schemes ...string) string {
	v := e.str(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" && u.Scheme != "unix" {
		e.fail(name, "is not a valid URL")
		return ""
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return v
		}
	}
	e.fail(name, "must use one of the schemes %s", strings.Join(schemes, ", "))
	return ""
}

func (e *envReader) decimal(name, def string) decimal.Decimal {
	d, _ := e.parseDecimal(name, def)
	return d
}

func (e *envReader) positiveDecimal(name, def string) decimal.Decimal {
	d, ok := e.parseDecimal(name, def)
	if ok && !d.IsPositive() {
		e.fail(name, "must be greater than zero")
	}
	return d
}

func (e *envReader) parseDecimal(name, def string) (decimal.Decimal, bool) {
	v := e.str(name, def)
	d, err := decimal.NewFromString(v)
	if err != nil {
		e.fail(name, "%q is not a number", v)
		return decimal.Zero, false
	}
	return d, true
}

func (e *envReader) duration(name string, def time.Duration) time.Duration {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(name, "%q is not a positive duration such as 2s or 20m", v)
	}
	return d
}

func (e *envReader) boolean(name string, def bool) bool {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, "%q is not true or false", v)
	}
	return b
}

func (e *envReader) key(name string) []byte {
	v := e.str(name, "")
	if v == "" {
		return nil
	}
	k, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(k) != 32 {
		e.fail(name, "must be 32 bytes in base64 (generate one with `accgen keygen`)")
		return nil
	}
	return k
}

// keys reads a comma-separated list of base64 32-byte keys.
func (e *envReader) keys(name string) [][]byte {
	var out [][]byte
	for i, f := range strings.Split(e.str(name, ""), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(f)
		if err != nil || len(k) != 32 {
			e.fail(name, "key %d must be 32 bytes in base64", i+1)
			continue
		}
		out = append(out, k)
	}
	return out
}

func (e *envReader) rate(name, def string) core.RateLimit {
	r, err := core.ParseRateLimit(e.str(name, def))
	if err != nil {
		e.fail(name, "%v", err)
	}
	return r
}

func (e *envReader) ids(name string) []int64 {
	var out []int64
	for _, f := range strings.Split(e.str(name, ""), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			e.fail(name, "%q is not a Telegram user id", f)
			continue
		}
		out = append(out, id)
	}
	return out
}

func (e *envReader) oneOf(name, def string, allowed ...string) string {
	v := e.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	e.fail(name, "must be one of %s", strings.Join(allowed, ", "))
	return def
}

func (e *envReader) level(name string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(e.str(name, "info"))); err != nil {
		e.fail(name, "must be debug, info, warn or error")
	}
	return l
}
