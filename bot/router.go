package bot

import (
	"context"
	"strings"
	"unicode"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// dispatch is the one handler the library calls (through the serialiser):
// it routes by kind of update. Only private chats are served.
func (b *Bot) dispatch(ctx context.Context, _ *tgbot.Bot, upd *models.Update) {
	switch {
	case upd.CallbackQuery != nil:
		b.onCallback(ctx, upd)
	case upd.Message != nil && upd.Message.Chat.Type == models.ChatTypePrivate && upd.Message.From != nil:
		b.onMessage(ctx, upd)
	case upd.MyChatMember != nil && upd.MyChatMember.Chat.Type == models.ChatTypePrivate:
		// The user blocked (kicked) or unblocked the bot.
		blocked := upd.MyChatMember.NewChatMember.Type == models.ChatMemberTypeBanned
		if err := b.d.Users.SetBlocked(ctx, upd.MyChatMember.From.ID, blocked); err != nil {
			b.logger.WarnContext(ctx, "could not record a block", "err", err)
		}
	}
}

// command splits "/name@bot args" into name and args.
func command(text string) (name, args string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	head, rest := text[1:], ""
	if i := strings.IndexFunc(head, unicode.IsSpace); i >= 0 {
		head, rest = head[:i], head[i:]
	}
	head, _, _ = strings.Cut(head, "@")
	return strings.ToLower(head), strings.TrimSpace(rest), head != ""
}

func (b *Bot) onMessage(ctx context.Context, upd *models.Update) {
	m := upd.Message
	name, args, isCmd := command(m.Text)
	referrer := ""
	if isCmd && name == "start" {
		referrer = referral(args)
	}
	r, err := b.newReq(ctx, upd, m.From, m.Chat.ID, referrer)
	if err != nil {
		r.fail(err)
		return
	}
	switch {
	case m.Document != nil && r.admin:
		r.stockUpload(m)
	case isCmd:
		r.onCommand(name, args)
	case m.Text != "":
		r.onText(strings.TrimSpace(m.Text))
	default:
		r.send(r.menu())
	}
}

// onCommand runs a slash command. Admin commands exist only for admins:
// anyone else gets the same answer as for a command that does not exist.
func (r *req) onCommand(name, args string) {
	r.clearSession() // a command changes the subject: any open prompt is dropped
	if r.admin {
		if h, ok := adminHandlers[name]; ok {
			h(r, args)
			return
		}
	}
	switch name {
	case "start", "menu", "cancel":
		r.send(r.menu())
	case "buy", "numbers":
		r.sendServices(0)
	case "accounts":
		r.send(r.categoriesScreen())
	case "balance":
		r.send(r.balanceScreen())
	case "orders":
		r.send(r.ordersScreen())
	case "api", "keys":
		r.send(r.keysScreen())
	case "language":
		r.send(r.languageScreen())
	case "help":
		r.send(r.helpScreen())
	default:
		r.reply(r.p.t("error.unknown_command"))
	}
}

// onText handles typed text: the answer to whatever the user's session is
// waiting for. Without a session (never started, or expired) the user is
// shown the menu, never an error.
func (r *req) onText(text string) {
	s, ok, err := r.loadSession()
	if err != nil {
		r.fail(err)
		return
	}
	if !ok {
		r.send(r.menu())
		return
	}
	switch s.State {
	case stateSearch:
		r.searchServices(text)
	case stateQuantity:
		r.typedQuantity(s.ProductID, text)
	case stateKeyName:
		r.createKey(text)
	case stateWebhookURL:
		r.typedWebhookURL(s.KeyID, text)
	default:
		r.clearSession()
		r.send(r.menu())
	}
}

// callbackHandlers maps each callback verb to its handler.
var callbackHandlers map[string]func(*req, callback)

func init() {
	callbackHandlers = map[string]func(*req, callback){
		cbMenu:       func(r *req, _ callback) { r.clearSession(); r.show(r.menu()) },
		cbNoop:       func(*req, callback) {},
		cbHelp:       func(r *req, _ callback) { r.show(r.helpScreen()) },
		cbLanguage:   (*req).onLanguage,
		cbBalance:    func(r *req, _ callback) { r.show(r.balanceScreen()) },
		cbServices:   func(r *req, c callback) { r.showServices(c.page(0)) },
		cbSearch:     func(r *req, _ callback) { r.showServices(0) },
		cbCountries:  (*req).onCountries,
		cbNumberAsk:  (*req).onNumberAsk,
		cbNumberBuy:  (*req).onNumberBuy,
		cbNumber:     (*req).onNumber,
		cbAnother:    (*req).onAnother,
		cbCancelAsk:  (*req).onCancelAsk,
		cbCancel:     (*req).onCancel,
		cbFinish:     (*req).onFinish,
		cbCategories: func(r *req, _ callback) { r.show(r.categoriesScreen()) },
		cbCategory:   (*req).onCategory,
		cbProduct:    (*req).onProduct,
		cbQtyOther:   (*req).onQuantityOther,
		cbAccountAsk: (*req).onAccountAsk,
		cbAccountBuy: (*req).onAccountBuy,
		cbOrders:     func(r *req, _ callback) { r.show(r.ordersScreen()) },
		cbSMSOrders:  func(r *req, c callback) { r.show(r.smsOrdersScreen(c.page(0))) },
		cbAccOrders:  func(r *req, c callback) { r.show(r.accountOrdersScreen(c.page(0))) },
		cbAccOrder:   (*req).onAccountOrder,
		cbAccCreds:   (*req).onAccountCredentials,
		cbKeys:       func(r *req, _ callback) { r.clearSession(); r.show(r.keysScreen()) },
		cbKeyNew:     (*req).onKeyNew,
		cbKeyNoName:  func(r *req, _ callback) { r.createKey("") },
		cbRevokeAsk:  (*req).onRevokeAsk,
		cbRevoke:     (*req).onRevoke,
		cbHook:       (*req).onHook,
		cbHookSet:    (*req).onHookSet,
		cbHookTest:   (*req).onHookTest,
		cbHookDelete: (*req).onHookDelete,
	}
}

// onCallback handles a button press. Every press is answered, whatever
// happens, so the button's spinner always stops.
func (b *Bot) onCallback(ctx context.Context, upd *models.Update) {
	q := upd.CallbackQuery
	chatID := q.From.ID
	msgID := 0
	if m := q.Message.Message; m != nil {
		chatID, msgID = m.Chat.ID, m.ID
	}
	r, err := b.newReq(ctx, upd, &q.From, chatID, "")
	r.cbID, r.msgID = q.ID, msgID
	r.onCallback(q.Data, err)
	// Not deferred: after a panic the serialiser's apology answers instead.
	r.answer("", false)
}

func (r *req) onCallback(data string, err error) {
	if err != nil {
		r.fail(err)
		return
	}
	c := parseCallback(data)
	h, ok := callbackHandlers[c.verb]
	if !ok {
		// Data from an older version of the bot, or forged: back to the menu.
		r.show(r.menu())
		return
	}
	h(r, c)
}

// referral keeps a /start payload that looks like one (Telegram allows
// A-Z a-z 0-9 _ - up to 64 characters; anything else is ignored).
func referral(payload string) string {
	if payload == "" || len(payload) > 64 {
		return ""
	}
	for _, c := range payload {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return ""
		}
	}
	return payload
}
