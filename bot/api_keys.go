package bot

import (
	"strings"
	"time"

	"accgen/core"
)

// Reseller self-service, part 1: API keys (create, list, revoke). A new key
// is shown once; only its prefix is stored.

// activeKeys returns the user's keys that are not revoked.
func (r *req) activeKeys() ([]core.APIKey, error) {
	keys, err := r.b.d.Keys.List(r.ctx, r.user.ID)
	if err != nil {
		return nil, err
	}
	active := keys[:0]
	for _, k := range keys {
		if k.RevokedAt == nil {
			active = append(active, k)
		}
	}
	return active, nil
}

// userKey returns the user's active key named by callback argument 0;
// another user's key is not found.
func (r *req) userKey(c callback) (core.APIKey, bool) {
	id, _ := c.num(0)
	keys, err := r.activeKeys()
	if err != nil {
		r.fail(err)
		return core.APIKey{}, false
	}
	for _, k := range keys {
		if k.ID == id {
			return k, true
		}
	}
	r.answer(r.p.t("api.key_gone"), true)
	r.show(r.keysScreen())
	return core.APIKey{}, false
}

func (r *req) keysScreen() screen {
	keys, err := r.activeKeys()
	if err != nil {
		return screen{text: r.errorText(err), kb: keyboard{backToMenu(r.p)}}
	}
	return keysScreen(r.p, keys, r.b.cfg.Location)
}

func keysScreen(p printer, keys []core.APIKey, loc *time.Location) screen {
	var lines []string
	var k keyboard
	for _, key := range keys {
		used := p.t("api.never_used")
		if key.LastUsedAt != nil {
			used = key.LastUsedAt.In(loc).Format(dateTimeLayout)
		}
		name := key.Name
		if name == "" {
			name = "—"
		}
		lines = append(lines, p.t("api.key_line", "Prefix", key.Prefix, "Name", name, "Used", used))
		k = append(k, []button{
			btn(p.t("api.webhook_button", "Prefix", key.Prefix), cbHook, key.ID),
			btn(p.t("api.revoke_button", "Prefix", key.Prefix), cbRevokeAsk, key.ID),
		})
	}
	text := p.t("api.title")
	if len(lines) == 0 {
		text += "\n\n" + p.t("api.no_keys")
	} else {
		text += "\n\n" + strings.Join(lines, "\n")
	}
	k = append(k, []button{btn(p.t("api.new_key"), cbKeyNew)}, backToMenu(p))
	return screen{text: text, kb: k}
}

func (r *req) onKeyNew(callback) {
	if err := r.saveSession(session{State: stateKeyName}); err != nil {
		r.fail(err)
		return
	}
	r.show(screen{text: r.p.t("api.name_prompt"), kb: keyboard{
		{btn(r.p.t("api.no_name"), cbKeyNoName), btn(r.p.t("common.back"), cbKeys)},
	}})
}

// createKey issues a key and shows it, the only time it is visible.
func (r *req) createKey(name string) {
	r.clearSession()
	plain, _, err := r.b.d.Keys.Issue(r.ctx, r.user.ID, name)
	if err != nil {
		r.fail(err)
		return
	}
	r.answer("", false)
	r.send(screen{text: r.p.t("api.created", "Key", plain), kb: keyboard{
		{btn(r.p.t("menu.api"), cbKeys), btn(r.p.t("common.menu"), cbMenu)},
	}})
}

func (r *req) onRevokeAsk(c callback) {
	k, ok := r.userKey(c)
	if !ok {
		return
	}
	r.show(screen{text: r.p.t("api.revoke_confirm", "Prefix", k.Prefix), kb: keyboard{
		{btn(r.p.t("api.revoke_yes"), cbRevoke, k.ID), btn(r.p.t("common.back"), cbKeys)},
	}})
}

func (r *req) onRevoke(c callback) {
	k, ok := r.userKey(c)
	if !ok {
		return
	}
	if err := r.b.d.Keys.Revoke(r.ctx, r.user.ID, k.ID); err != nil {
		r.fail(err)
		return
	}
	r.answer(r.p.t("api.revoked", "Prefix", k.Prefix), false)
	r.show(r.keysScreen())
}
