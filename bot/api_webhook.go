package bot

import (
	"strconv"

	"accgen/core"
)

// Reseller self-service, part 2: the webhook of an API key (set, test,
// remove), showing the signing secret so the reseller can verify calls.

// hookScreen shows a key's endpoint, or that it has none.
func hookScreen(p printer, k core.APIKey, e *core.WebhookEndpoint) screen {
	back := []button{btn(p.t("menu.api"), cbKeys), btn(p.t("common.menu"), cbMenu)}
	if e == nil {
		return screen{text: p.t("webhook.none", "Prefix", k.Prefix), kb: keyboard{
			{btn(p.t("webhook.set_url"), cbHookSet, k.ID)}, back,
		}}
	}
	status := p.t("webhook.enabled")
	if !e.Enabled {
		status = p.t("webhook.disabled", "Reason", e.DisabledReason)
	}
	return screen{
		text: p.t("webhook.set", "Prefix", k.Prefix, "URL", e.URL, "Secret", e.Secret, "Status", safe(status)),
		kb: keyboard{
			{btn(p.t("webhook.change_url"), cbHookSet, k.ID), btn(p.t("webhook.test"), cbHookTest, k.ID)},
			{btn(p.t("webhook.remove"), cbHookDelete, k.ID)},
			back,
		},
	}
}

// keyHookScreen loads a key's endpoint and renders it.
func (r *req) keyHookScreen(k core.APIKey) screen {
	e, err := r.b.d.Webhooks.Endpoint(r.ctx, k.ID)
	switch {
	case core.ErrorCode(err) == core.CodeNotFound:
		return hookScreen(r.p, k, nil)
	case err != nil:
		return screen{text: r.errorText(err), kb: keyboard{backToMenu(r.p)}}
	}
	return hookScreen(r.p, k, &e)
}

func (r *req) onHook(c callback) {
	if k, ok := r.userKey(c); ok {
		r.clearSession()
		r.show(r.keyHookScreen(k))
	}
}

func (r *req) onHookSet(c callback) {
	k, ok := r.userKey(c)
	if !ok {
		return
	}
	if err := r.saveSession(session{State: stateWebhookURL, KeyID: k.ID}); err != nil {
		r.fail(err)
		return
	}
	r.show(screen{text: r.p.t("webhook.url_prompt", "Prefix", k.Prefix), kb: keyboard{
		{btn(r.p.t("common.back"), cbHook, k.ID)},
	}})
}

// typedWebhookURL answers the URL prompt. A refused URL keeps the prompt
// open for another try.
func (r *req) typedWebhookURL(keyID int64, text string) {
	k, ok := r.userKey(callback{args: []string{strconv.FormatInt(keyID, 10)}})
	if !ok {
		r.clearSession()
		return
	}
	e, err := r.b.d.Webhooks.SetEndpoint(r.ctx, k.ID, text, false)
	if err != nil {
		r.fail(err)
		return
	}
	r.clearSession()
	s := hookScreen(r.p, k, &e)
	s.text = r.p.t("webhook.saved") + "\n\n" + s.text
	r.send(s)
}

func (r *req) onHookTest(c callback) {
	k, ok := r.userKey(c)
	if !ok {
		return
	}
	a, err := r.b.d.WebhookTester.Test(r.ctx, k.ID)
	switch {
	case err != nil:
		r.fail(err)
	case a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300:
		r.answer(r.p.t("webhook.test_ok", "Status", a.StatusCode, "Millis", a.Latency.Milliseconds()), true)
	default:
		reason := a.Error
		if reason == "" {
			reason = "HTTP " + strconv.Itoa(a.StatusCode)
		}
		r.answer(r.p.t("webhook.test_failed", "Reason", clip(reason, 120)), true)
	}
}

func (r *req) onHookDelete(c callback) {
	k, ok := r.userKey(c)
	if !ok {
		return
	}
	if err := r.b.d.Webhooks.DeleteEndpoint(r.ctx, k.ID); err != nil {
		r.fail(err)
		return
	}
	r.answer(r.p.t("webhook.removed"), false)
	r.show(hookScreen(r.p, k, nil))
}
