package bot

import (
	"bytes"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"accgen/core"
)

// deliverCredentials sends an order's credentials: as a message, one per
// line for easy copying, or as a .txt document when the message would pass
// the configured size. A failed delivery loses nothing: the credentials stay
// on the order (My orders sends them again).
func (r *req) deliverCredentials(o core.AccountOrder) {
	var b strings.Builder
	b.WriteString(r.p.n("accounts.credentials", len(o.Credentials), "Name", o.ProductName, "Order", shortUUID(o.ID)))
	b.WriteString("\n")
	for _, c := range o.Credentials {
		b.WriteString("\n<code>" + esc(c) + "</code>")
	}
	if msg := b.String(); len([]rune(msg)) <= r.b.cfg.CredentialsFileThreshold {
		r.send(screen{text: msg})
		return
	}
	file := strings.Join(o.Credentials, "\n") + "\n"
	_, err := r.b.send.SendDocument(r.ctx, &tgbot.SendDocumentParams{
		ChatID:    r.chatID,
		Document:  &models.InputFileUpload{Filename: "order-" + shortUUID(o.ID) + ".txt", Data: bytes.NewReader([]byte(file))},
		Caption:   r.p.n("accounts.credentials_file", len(o.Credentials), "Name", o.ProductName, "Order", shortUUID(o.ID)),
		ParseMode: models.ParseModeHTML,
	})
	if err != nil {
		r.b.logger.WarnContext(r.ctx, "credentials document not delivered", "order", o.ID, "err", err)
		r.reply(r.p.t("accounts.delivery_failed"))
	}
}
