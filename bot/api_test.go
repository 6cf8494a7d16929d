package bot

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"accgen/core"
)

// A reseller creates a key (shown once), sets its webhook (the secret is
// shown), tests and removes it, and revokes the key.
func TestResellerKeysAndWebhook(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("webhook-signature") != "" {
			hits.Add(1)
		}
	}))
	defer receiver.Close()
	rita := tgUser{ID: 7101, Name: "Rita"}
	h.send(rita, "/start")
	h.click(rita, "k")
	require.Contains(t, h.tg.Screen(rita.ID), h.text("en", "api.no_keys"))
	h.click(rita, "kn")
	h.send(rita, "My <shop>")
	created := h.lastSent(rita)
	m := regexp.MustCompile(`<code>(acc_\w+)</code>`).FindStringSubmatch(created)
	require.NotNil(t, m, created)
	key := m[1]
	require.True(t, core.WellFormedAPIKey(key))
	p, err := h.env.Keys.Authenticate(h.ctx, key)
	require.NoError(t, err)
	require.Equal(t, h.user(rita).ID, p.UserID)

	h.click(rita, "k")
	list := h.tg.Screen(rita.ID)
	require.Contains(t, list, key[:12])
	require.Contains(t, list, "My &lt;shop&gt;")
	require.NotContains(t, list, key, "the key is never shown again")

	h.click(rita, "kw:")
	require.Contains(t, h.tg.Screen(rita.ID), h.text("en", "webhook.none", "Prefix", key[:12]))
	h.click(rita, "ws:")
	h.send(rita, "not a url")
	require.Contains(t, h.lastSent(rita), h.text("en", "error.invalid"))
	h.send(rita, receiver.URL+"/hook")
	e, err := h.webhooks.Endpoint(h.ctx, p.KeyID)
	require.NoError(t, err)
	shown := h.lastSent(rita)
	require.Contains(t, shown, e.Secret)
	require.True(t, strings.HasPrefix(e.Secret, "whsec_"))

	h.click(rita, "wt:")
	answers := h.tg.CallsOf("answerCallbackQuery")
	require.Contains(t, answers[len(answers)-1].Fields["text"], "200")
	require.Equal(t, int32(1), hits.Load(), "the test event reached the endpoint, signed")

	h.click(rita, "wd:")
	_, err = h.webhooks.Endpoint(h.ctx, p.KeyID)
	require.Equal(t, core.CodeNotFound, core.ErrorCode(err))

	h.click(rita, "k")
	h.click(rita, "kr:")
	h.click(rita, "kR:")
	_, err = h.env.Keys.Authenticate(h.ctx, key)
	require.Equal(t, core.CodeUnauthorized, core.ErrorCode(err))
	require.Contains(t, h.tg.Screen(rita.ID), h.text("en", "api.no_keys"))

	// Another user's key id in forged callback data is refused.
	other, otherKey, _ := h.env.Reseller(t, 7199, "")
	h.press(rita, h.tg.Latest(rita.ID).ID, "kR:"+itoa(otherKey.KeyID))
	require.Contains(t, h.tg.CallsOf("answerCallbackQuery")[h.answered()-1].Fields["text"], h.text("en", "api.key_gone"))
	still, err := h.env.Keys.List(h.ctx, other.ID)
	require.NoError(t, err)
	require.Nil(t, still[0].RevokedAt, "a forged key id revokes nothing")
}
