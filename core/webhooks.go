package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// WebhookEndpoint is where an API key's events are POSTed, with the secret
// they are signed with (Standard Webhooks, whsec_…).
type WebhookEndpoint struct {
	APIKeyID       int64
	URL            string
	Secret         string
	Enabled        bool
	DisabledReason string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Webhook delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // every retry used up
)

// WebhookDelivery is one event on its way to one endpoint.
type WebhookDelivery struct {
	ID            string // webhook-id: the same on every attempt
	APIKeyID      int64
	Event         string
	OrderID       string
	Payload       []byte
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
	// Filled when claimed for delivery.
	URL    string
	Secret string
}

// WebhookAttempt is one try at delivering.
type WebhookAttempt struct {
	DeliveryID string
	Attempt    int
	URL        string
	StatusCode int // 0 when no response
	Latency    time.Duration
	Error      string
	At         time.Time
}

// WebhookOutcome is what an attempt decided.
type WebhookOutcome struct {
	Delivered       bool
	RetryAt         *time.Time // another attempt then; nil with !Delivered: give up
	DisableEndpoint string     // non-empty: disable the endpoint for this reason
}

// WebhookStore persists endpoints and the delivery outbox.
type WebhookStore interface {
	// SaveWebhookEndpoint creates or replaces a key's endpoint (enabled).
	SaveWebhookEndpoint(ctx context.Context, e WebhookEndpoint) (WebhookEndpoint, error)
	// WebhookEndpointByKey returns CodeNotFound when the key has none.
	WebhookEndpointByKey(ctx context.Context, apiKeyID int64) (WebhookEndpoint, error)
	DeleteWebhookEndpoint(ctx context.Context, apiKeyID int64) error
	// EnqueueWebhook adds a delivery if the key has an enabled endpoint
	// (reporting whether it did); an id already enqueued is not added again.
	EnqueueWebhook(ctx context.Context, d WebhookDelivery) (bool, error)
	// ClaimWebhookDeliveries leases up to limit due deliveries (with their
	// endpoint's URL and secret) so no other worker takes them meanwhile.
	ClaimWebhookDeliveries(ctx context.Context, lease time.Duration, limit int) ([]WebhookDelivery, error)
	// ClaimWebhookDelivery leases one delivery by id, due or not.
	ClaimWebhookDelivery(ctx context.Context, id string, lease time.Duration) (WebhookDelivery, error)
	// RecordWebhookAttempt stores an attempt and applies its outcome.
	RecordWebhookAttempt(ctx context.Context, a WebhookAttempt, o WebhookOutcome) error
	ListWebhookDeliveries(ctx context.Context, apiKeyID int64, limit, offset int) ([]WebhookDelivery, int, error)
	// WebhookDeliveryByID returns CodeNotFound when there is none.
	WebhookDeliveryByID(ctx context.Context, id string) (WebhookDelivery, error)
	WebhookAttempts(ctx context.Context, deliveryID string) ([]WebhookAttempt, error)
}

// Webhooks manages reseller webhook endpoints and turns engine events into
// deliveries in the outbox.
type Webhooks struct {
	store WebhookStore
	now   func() time.Time
}

// NewWebhooks returns the service.
func NewWebhooks(store WebhookStore, now func() time.Time) *Webhooks {
	if now == nil {
		now = time.Now
	}
	return &Webhooks{store: store, now: now}
}

const maxWebhookURLLen = 2048

// ValidateWebhookURL checks a URL a reseller gives: http or https, a host,
// no credentials, no fragment, at most 2,048 characters. Where it points is
// checked again at every connection (the SSRF guard), not here.
func ValidateWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", ValidationError("url", "is required")
	case len(raw) > maxWebhookURLLen:
		return "", ValidationError("url", "must be at most %d characters", maxWebhookURLLen)
	case !utf8.ValidString(raw) || strings.IndexFunc(raw, invisibleInURL) >= 0:
		return "", ValidationError("url", "must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", ValidationError("url", "is not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", ValidationError("url", "must start with https:// or http://")
	case u.Host == "" || u.Hostname() == "":
		return "", ValidationError("url", "must name a host")
	case u.User != nil:
		return "", ValidationError("url", "must not contain a user name or password")
	case u.Fragment != "":
		return "", ValidationError("url", "must not contain a #fragment")
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil || p == "0" {
			return "", ValidationError("url", "has an invalid port")
		}
	}
	return u.String(), nil
}

// invisibleInURL is a rune a URL may not carry unencoded: any space, a
// control character, or a format character (zero-width characters and
// direction overrides, which make a URL read as another).
func invisibleInURL(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// NewWebhookSecret returns a fresh Standard Webhooks secret: whsec_ and the
// base64 of 32 random bytes.
func NewWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// SetEndpoint points a key's webhooks at rawURL (re-enabling a disabled
// endpoint). The signing secret is kept unless rotate is set or there was
// none.
func (w *Webhooks) SetEndpoint(ctx context.Context, apiKeyID int64, rawURL string, rotate bool) (WebhookEndpoint, error) {
	u, err := ValidateWebhookURL(rawURL)
	if err != nil {
		return WebhookEndpoint{}, err
	}
	e := WebhookEndpoint{APIKeyID: apiKeyID, URL: u, Enabled: true}
	old, err := w.store.WebhookEndpointByKey(ctx, apiKeyID)
	switch {
	case err == nil && !rotate:
		e.Secret = old.Secret
	case err != nil && ErrorCode(err) != CodeNotFound:
		return WebhookEndpoint{}, err
	default:
		if e.Secret, err = NewWebhookSecret(); err != nil {
			return WebhookEndpoint{}, Internal(err)
		}
	}
	return w.store.SaveWebhookEndpoint(ctx, e)
}

// Endpoint returns a key's endpoint (CodeNotFound when none is set).
func (w *Webhooks) Endpoint(ctx context.Context, apiKeyID int64) (WebhookEndpoint, error) {
	e, err := w.store.WebhookEndpointByKey(ctx, apiKeyID)
	if ErrorCode(err) == CodeNotFound {
		return e, Errorf(CodeNotFound, "No webhook URL is set for this API key.")
	}
	return e, err
}

// DeleteEndpoint removes a key's endpoint; pending deliveries are dropped
// when next attempted.
func (w *Webhooks) DeleteEndpoint(ctx context.Context, apiKeyID int64) error {
	return w.store.DeleteWebhookEndpoint(ctx, apiKeyID)
}

// Deliveries lists a key's deliveries, newest first.
func (w *Webhooks) Deliveries(ctx context.Context, apiKeyID int64, limit, offset int) ([]WebhookDelivery, int, error) {
	return w.store.ListWebhookDeliveries(ctx, apiKeyID, limit, offset)
}

// Delivery returns one of a key's deliveries with its attempts, oldest first.
func (w *Webhooks) Delivery(ctx context.Context, apiKeyID int64, id string) (WebhookDelivery, []WebhookAttempt, error) {
	if !plausibleDeliveryID(id) {
		return WebhookDelivery{}, nil, Errorf(CodeNotFound, "Delivery not found.")
	}
	d, err := w.store.WebhookDeliveryByID(ctx, id)
	if err == nil && d.APIKeyID != apiKeyID {
		err = Errorf(CodeNotFound, "Delivery not found.")
	}
	if err != nil {
		return WebhookDelivery{}, nil, err
	}
	attempts, err := w.store.WebhookAttempts(ctx, id)
	return d, attempts, err
}

// plausibleDeliveryID reports whether id could be a delivery id (msg_ and
// letters, digits or underscores), so anything else is not looked up.
func plausibleDeliveryID(id string) bool {
	if len(id) > 64 || !strings.HasPrefix(id, "msg_") {
		return false
	}
	for _, c := range id {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// smsReceivedPayload is the seed's sms.received body, field for field.
type smsReceivedPayload struct {
	Event       string `json:"event"`
	OrderID     string `json:"order_id"`
	PhoneNumber string `json:"phone_number"`
	SMSCode     string `json:"sms_code"`
	FullSMSText string `json:"full_sms_text"`
	ReceivedAt  string `json:"received_at"`
}

// webhookTimeFormat is the seed's "2026-03-06T14:05:00.000Z".
const webhookTimeFormat = "2006-01-02T15:04:05.000Z"

// SMSReceived implements SMSEvents: inside the transaction that records the
// SMS, it enqueues the sms.received delivery for the key that placed the
// order, if that key has an enabled endpoint.
func (w *Webhooks) SMSReceived(ctx context.Context, o SMSOrder, m SMSMessage) error {
	if o.APIKeyID == 0 {
		return nil // bot orders are told in Telegram
	}
	body, err := json.Marshal(smsReceivedPayload{
		Event: "sms.received", OrderID: o.ID, PhoneNumber: o.E164(), SMSCode: m.Code,
		FullSMSText: m.Text, ReceivedAt: m.ReceivedAt.UTC().Format(webhookTimeFormat),
	})
	if err != nil {
		return Internal(err)
	}
	_, err = w.store.EnqueueWebhook(ctx, WebhookDelivery{
		ID: eventID("sms.received", o.ID, m.Seq), APIKeyID: o.APIKeyID, Event: "sms.received",
		OrderID: o.ID, Payload: body, NextAttemptAt: w.now(),
	})
	return err
}

// EnqueueTest adds a webhook.test delivery for a key's endpoint.
func (w *Webhooks) EnqueueTest(ctx context.Context, apiKeyID int64) (WebhookDelivery, error) {
	if _, err := w.Endpoint(ctx, apiKeyID); err != nil {
		return WebhookDelivery{}, err
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	now := w.now()
	body, _ := json.Marshal(map[string]string{"event": "webhook.test", "sent_at": now.UTC().Format(webhookTimeFormat)})
	d := WebhookDelivery{ID: "msg_test_" + hex.EncodeToString(b), APIKeyID: apiKeyID, Event: "webhook.test", Payload: body, NextAttemptAt: now}
	ok, err := w.store.EnqueueWebhook(ctx, d)
	if err == nil && !ok {
		err = Errorf(CodeConflict, "The webhook endpoint is disabled; set its URL again to enable it.")
	}
	return d, err
}

// eventID derives a delivery id from the event, so enqueueing the same
// event twice cannot send it twice. Standard Webhooks ids carry no dots.
func eventID(event, orderID string, seq int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d", event, orderID, seq)))
	return "msg_" + hex.EncodeToString(sum[:12])
}

// MultiSMSEvents tells several consumers about each SMS (and each expiry,
// to those that implement SMSExpiryEvents), in order.
type MultiSMSEvents []SMSEvents

// SMSExpired implements SMSExpiryEvents.
func (m MultiSMSEvents) SMSExpired(ctx context.Context, o SMSOrder, refund Transaction) error {
	for _, e := range m {
		if h, ok := e.(SMSExpiryEvents); ok {
			if err := h.SMSExpired(ctx, o, refund); err != nil {
				return err
			}
		}
	}
	return nil
}

// SMSReceived implements SMSEvents.
func (m MultiSMSEvents) SMSReceived(ctx context.Context, o SMSOrder, msg SMSMessage) error {
	for _, e := range m {
		if err := e.SMSReceived(ctx, o, msg); err != nil {
			return err
		}
	}
	return nil
}
