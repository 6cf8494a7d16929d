package bot

import (
	"strings"
	"unicode"

	"accgen/core"
)

// Admin commands exist only for ACCGEN_ADMIN_TELEGRAM_IDS; for anyone else
// the router answers them like any unknown command. Admins get them in a
// command menu scoped to their chat (runtime.go: setCommands).

// adminHandlers maps each admin command to its handler (args is the text
// after the command).
var adminHandlers map[string]func(*req, string)

func init() {
	adminHandlers = map[string]func(*req, string){
		"topup":      (*req).cmdTopUp,
		"deduct":     (*req).cmdDeduct,
		"user":       (*req).cmdUser,
		"refund":     (*req).cmdRefund,
		"products":   (*req).cmdProducts,
		"addproduct": (*req).cmdAddProduct,
		"setprice":   (*req).cmdSetPrice,
		"stock":      func(r *req, _ string) { r.reply(r.p.t("admin.usage_stock")) },
		"stats":      (*req).cmdStats,
		"broadcast":  (*req).cmdBroadcast,
	}
}

// splitArgs splits the first n-1 whitespace-separated words off args and
// returns them with the rest of the text, untouched (a note, a text).
func splitArgs(args string, n int) []string {
	var out []string
	rest := strings.TrimSpace(args)
	for len(out) < n-1 && rest != "" {
		i := strings.IndexFunc(rest, unicode.IsSpace)
		if i < 0 {
			out = append(out, rest)
			rest = ""
			break
		}
		out = append(out, rest[:i])
		rest = strings.TrimSpace(rest[i:])
	}
	if rest != "" {
		out = append(out, rest)
	}
	return out
}

// who names a user for an admin: account id, @username or Telegram id.
func who(u core.User) string {
	if u.Username != "" {
		return "#" + itoa(u.ID) + " @" + u.Username
	}
	return "#" + itoa(u.ID) + " (tg:" + itoa(u.TelegramID) + ")"
}
