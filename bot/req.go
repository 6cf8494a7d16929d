package bot

import (
	"context"
	"errors"
	"html"
	"regexp"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"accgen/core"
)

// req is one update being handled: who sent it, in which language to
// answer, and which message a button press came from (screens are edited
// there rather than sent anew).
type req struct {
	ctx      context.Context
	b        *Bot
	upd      *models.Update
	from     *models.User
	chatID   int64
	user     core.User
	p        printer
	admin    bool
	msgID    int    // the message whose button was pressed (0 for messages)
	cbID     string // the callback query to answer
	answered bool
}

// screen is a message's text (HTML) and inline keyboard.
type screen struct {
	text string
	kb   keyboard
}

func userFromTelegram(from *models.User) core.User {
	return core.User{TelegramID: from.ID, Username: from.Username, TelegramLanguage: from.LanguageCode}
}

// newReq records the user (creating them on first contact) and prepares
// their printer.
func (b *Bot) newReq(ctx context.Context, upd *models.Update, from *models.User, chatID int64, referrer string) (*req, error) {
	r := &req{ctx: ctx, b: b, upd: upd, from: from, chatID: chatID, admin: b.isAdmin(from.ID)}
	r.p = b.printer(lang(userFromTelegram(from)))
	u, _, err := b.d.Users.Seen(ctx, core.NewUser{
		TelegramID: from.ID, Username: from.Username, TelegramLanguage: from.LanguageCode, Referrer: referrer,
	})
	if err != nil {
		return r, err
	}
	r.user = u
	r.p = b.printer(lang(u))
	return r, nil
}

// show puts a screen on the user's display: a button press edits the
// message it came from, anything else sends a new message.
func (r *req) show(s screen) {
	if r.msgID != 0 {
		err := r.b.send.EditMessageText(r.ctx, &tgbot.EditMessageTextParams{
			ChatID: r.chatID, MessageID: r.msgID, Text: s.text, ParseMode: models.ParseModeHTML,
			LinkPreviewOptions: noPreview(), ReplyMarkup: s.kb.markup(),
		})
		if err == nil {
			return
		}
		// Too old or deleted to edit: send the screen instead.
		r.b.logger.DebugContext(r.ctx, "edit failed; sending", "err", err)
	}
	r.send(s)
}

// send sends a screen as a new message and returns its id (0 on failure).
func (r *req) send(s screen) int {
	p := &tgbot.SendMessageParams{ChatID: r.chatID, Text: s.text, ParseMode: models.ParseModeHTML, LinkPreviewOptions: noPreview()}
	if len(s.kb) > 0 {
		p.ReplyMarkup = s.kb.markup()
	}
	m, err := r.b.send.SendMessage(r.ctx, p)
	if err != nil {
		if !errors.Is(err, ErrBlocked) {
			r.b.logger.WarnContext(r.ctx, "send failed", "chat", r.chatID, "err", err)
		}
		return 0
	}
	return m.ID
}

// answer answers the button press (once); text, when set, is a toast, or an
// alert the user must dismiss.
func (r *req) answer(text string, alert bool) {
	if r.cbID == "" || r.answered {
		return
	}
	r.answered = true
	err := r.b.send.AnswerCallbackQuery(r.ctx, &tgbot.AnswerCallbackQueryParams{
		CallbackQueryID: r.cbID, Text: clip(plain(text), 200), ShowAlert: alert,
	})
	if err != nil {
		r.b.logger.DebugContext(r.ctx, "answerCallbackQuery failed", "err", err)
	}
}

// fail tells the user why their request failed: an alert on a button press
// (the screen stays), a message otherwise.
func (r *req) fail(err error) {
	text := r.errorText(err)
	if r.cbID != "" && !r.answered {
		r.answer(text, true)
		return
	}
	r.send(screen{text: text})
}

// reply sends a plain text answer.
func (r *req) reply(text string) { r.send(screen{text: text}) }

func noPreview() *models.LinkPreviewOptions {
	return &models.LinkPreviewOptions{IsDisabled: tgbot.True()}
}

var tags = regexp.MustCompile(`<[^>]*>`)

// plain strips HTML for toasts and alerts, which have no formatting.
func plain(s string) string {
	return html.UnescapeString(tags.ReplaceAllString(s, ""))
}
