package bot

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-telegram/bot/models"
)

// Callback data is "verb:arg:arg…", at most 64 bytes (Telegram's limit).
// It carries all navigation state, so a button works after a restart and
// needs no session; handlers re-check ownership of every id in it, since
// clients can send any data. All verbs are listed here, in one place.
const (
	cbMenu       = "m"
	cbNoop       = "_"
	cbHelp       = "h"
	cbLanguage   = "l"  // l, or l:<code> to pick
	cbBalance    = "b"  // the balance screen
	cbServices   = "sv" // sv:<page>
	cbSearch     = "ss" // the search prompt
	cbCountries  = "sc" // sc:<service>:<page>
	cbNumberAsk  = "sb" // sb:<service>:<country>  confirm screen
	cbNumberBuy  = "sy" // sy:<service>:<country>:<nonce>
	cbNumber     = "nr" // nr:<short id>  show / refresh
	cbAnother    = "na" // na:<short id>
	cbCancelAsk  = "nx" // nx:<short id>
	cbCancel     = "nX" // nX:<short id>
	cbFinish     = "nf" // nf:<short id>
	cbCategories = "ac" // the category list
	cbCategory   = "ag" // ag:<category hash>:<page>
	cbProduct    = "ap" // ap:<product id>  quantity picker
	cbQtyOther   = "aQ" // aQ:<product id>  type a quantity
	cbAccountAsk = "ak" // ak:<product id>:<quantity>  confirm screen
	cbAccountBuy = "ay" // ay:<product id>:<quantity>:<nonce>
	cbOrders     = "o"  // choose numbers or accounts
	cbSMSOrders  = "os" // os:<page>
	cbAccOrders  = "oa" // oa:<page>
	cbAccOrder   = "ao" // ao:<order uuid>
	cbAccCreds   = "ad" // ad:<order uuid>  credentials again
	cbKeys       = "k"  // the API key list
	cbKeyNew     = "kn" // ask for a key name
	cbKeyNoName  = "kN" // create a key without a name
	cbRevokeAsk  = "kr" // kr:<key id>
	cbRevoke     = "kR" // kR:<key id>
	cbHook       = "kw" // kw:<key id>  webhook screen
	cbHookSet    = "ws" // ws:<key id>  ask for the URL
	cbHookTest   = "wt" // wt:<key id>
	cbHookDelete = "wd" // wd:<key id>
)

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// droppedButtons counts buttons left out because their data was too long
// (tests assert it stays zero).
var droppedButtons atomic.Int64

type button struct {
	Text string
	Data string
}

// keyboard is rows of buttons.
type keyboard [][]button

// cb builds callback data from a verb and its arguments.
func cb(verb string, args ...any) string {
	var b strings.Builder
	b.WriteString(verb)
	for _, a := range args {
		b.WriteByte(':')
		fmt.Fprint(&b, a)
	}
	return b.String()
}

func btn(text, verb string, args ...any) button { return button{Text: text, Data: cb(verb, args...)} }

// markup turns k into Telegram's inline keyboard. A button whose data is
// too long is left out (and counted) rather than failing the whole message.
func (k keyboard) markup() *models.InlineKeyboardMarkup {
	rows := make([][]models.InlineKeyboardButton, 0, len(k))
	for _, row := range k {
		var out []models.InlineKeyboardButton
		for _, b := range row {
			if b.Data == "" || len(b.Data) > maxCallbackData {
				droppedButtons.Add(1)
				continue
			}
			out = append(out, models.InlineKeyboardButton{Text: b.Text, CallbackData: b.Data})
		}
		if len(out) > 0 {
			rows = append(rows, out)
		}
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// grid lays buttons out in rows of n.
func grid(buttons []button, n int) keyboard {
	var k keyboard
	for i := 0; i < len(buttons); i += n {
		k = append(k, buttons[i:min(i+n, len(buttons))])
	}
	return k
}

// pager is the ◀ page/pages ▶ row for a paginated list (nil for one page).
// args come before the page number in the data.
func pager(p printer, verb string, page, pages int, args ...any) []button {
	if pages <= 1 {
		return nil
	}
	var row []button
	if page > 0 {
		row = append(row, btn("◀️", verb, append(args, page-1)...))
	}
	row = append(row, btn(p.t("common.page", "Page", page+1, "Pages", pages), cbNoop))
	if page < pages-1 {
		row = append(row, btn("▶️", verb, append(args, page+1)...))
	}
	return row
}

// pages is how many pages n items fill, at least one.
func pages(n, perPage int) int { return max(1, (n+perPage-1)/perPage) }

// callback is parsed callback data.
type callback struct {
	verb string
	args []string
}

func parseCallback(data string) callback {
	parts := strings.Split(data, ":")
	return callback{verb: parts[0], args: parts[1:]}
}

// arg returns argument i, or "".
func (c callback) arg(i int) string {
	if i < len(c.args) {
		return c.args[i]
	}
	return ""
}

// num returns argument i as a non-negative integer (ok false otherwise).
func (c callback) num(i int) (int64, bool) {
	n, err := strconv.ParseInt(c.arg(i), 10, 64)
	return n, err == nil && n >= 0
}

// page returns argument i as a page number (0 when absent or bad).
func (c callback) page(i int) int {
	n, ok := c.num(i)
	if !ok || n > 10000 {
		return 0
	}
	return int(n)
}

// nonce returns a short random token. A confirm button carries one, and
// the purchase's idempotency key is derived from it: a double tap buys
// once, while confirming again from a new screen buys again.
func nonce() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
