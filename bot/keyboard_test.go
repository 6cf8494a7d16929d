package bot

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"accgen/core"
	"accgen/locales"
)

// Every keyboard the bot builds keeps callback_data within 64 bytes, for
// the largest ids each screen can carry.
func TestEveryKeyboardFitsCallbackData(t *testing.T) {
	t.Parallel()
	p := printer{locales.MustLoad().Printer("en")}
	longSvc := strings.Repeat("s", 12) // SMS-Activate codes are 2-4 characters; leave room
	var services []core.Service
	for i := 0; i < 300; i++ {
		services = append(services, core.Service{ID: longSvc, Name: strings.Repeat("N", 60)})
	}
	svc := core.Service{ID: longSvc, Name: "Long"}
	var offers []core.Offer
	for i := 0; i < 100; i++ {
		offers = append(offers, core.Offer{Service: svc, Country: core.Country{ID: 999999, Name: "Country"}, Price: decimal.NewFromInt(1e9), Stock: 1e6})
	}
	now := time.Now()
	exp := now.Add(time.Hour)
	order := core.SMSOrder{ShortID: 99999999, ServiceID: longSvc, Phone: "12345678901234", Price: decimal.NewFromInt(1e9), ExpiresAt: &exp}
	maxID := int64(math.MaxInt64)
	product := core.Product{ID: maxID, Name: "P", Category: strings.Repeat("C", 64), Price: decimal.NewFromInt(1e9), Stock: 1e6}
	key := core.APIKey{ID: maxID, Prefix: "acc_ABCDEFGH"}
	endpoint := core.WebhookEndpoint{APIKeyID: maxID, URL: "https://x", Secret: "whsec_x", Enabled: true}

	screens := []screen{
		menuScreen(p, "N", decimal.Zero),
		servicesScreen(p, services, 29), servicesScreen(p, services, 0),
		countriesScreen(p, svc, offers, 12), countriesScreen(p, svc, offers, 0),
		confirmNumberScreen(p, offers[0], decimal.NewFromInt(2e9), time.Hour, nonce()),
		productsScreen(p, product.Category, []core.Product{product, product, product, product, product, product, product, product, product}, 1),
		productScreen(p, product),
		confirmAccountScreen(p, product, core.MaxPurchaseQuantity, decimal.NewFromInt(1e12), nonce()),
		keysScreen(p, []core.APIKey{key}, time.UTC),
		hookScreen(p, key, &endpoint), hookScreen(p, key, nil),
		balanceScreen(p, maxID, decimal.NewFromInt(1e9), nil, "", time.UTC),
	}
	for _, st := range []core.SMSStatus{core.SMSPending, core.SMSCompleted, core.SMSCancelled, core.SMSExpired, core.SMSFailed} {
		o := order
		o.Status = st
		screens = append(screens, numberScreen(p, o, now))
	}
	n, err := renderNotification(p, core.Notification{Kind: kindSMSCode, Payload: []byte(`{"order":99999999,"code":"1"}`)})
	require.NoError(t, err)
	screens = append(screens, n)
	uuid := "12345678-1234-4234-8234-123456789012"
	screens = append(screens, screen{kb: keyboard{{btn("x", cbAccOrder, uuid), btn("x", cbAccCreds, uuid)}}})

	buttons := 0
	for _, s := range screens {
		s.kb.markup()
		for _, row := range s.kb {
			for _, b := range row {
				buttons++
				require.LessOrEqual(t, len(b.Data), maxCallbackData, "%q", b.Data)
				require.NotEmpty(t, b.Data)
				_, known := callbackHandlers[parseCallback(b.Data).verb]
				require.True(t, known, "no handler for %q", b.Data)
			}
		}
	}
	require.Greater(t, buttons, 60)
	require.Zero(t, droppedButtons.Load(), "no button was left out for long data")
}

func TestCallbackParsing(t *testing.T) {
	t.Parallel()
	c := parseCallback(cb(cbCountries, "wa", 3))
	require.Equal(t, cbCountries, c.verb)
	require.Equal(t, "wa", c.arg(0))
	require.Equal(t, 3, c.page(1))
	require.Equal(t, 0, c.page(5), "a missing page is the first")
	_, ok := parseCallback("nr:-5").num(0)
	require.False(t, ok, "negative ids are refused")
	_, ok = parseCallback("nr:abc").num(0)
	require.False(t, ok)
	require.Len(t, nonce(), 8)
	require.NotEqual(t, nonce(), nonce())
}
