package bot

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// fakeTG is a Telegram Bot API server for tests. It parses the multipart
// bodies go-telegram/bot sends, records every call in order, keeps each
// chat's messages (text and keyboard, as edited), serves getUpdates from a
// queue and files for getFile, and can be scripted to fail calls.
type fakeTG struct {
	t     testing.TB
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	calls    []tgCall
	nextID   map[int64]int
	messages map[int64]map[int]*tgMessage // chat → message id → message
	touched  map[int64]int                // chat → message last sent or edited
	files    map[string][]byte            // file_id → content
	updates  []models.Update
	badData  []string // callback_data over 64 bytes
	// fail, when set, may turn a call into an error answer.
	fail func(method string, fields map[string]string) *tgError
}

type tgCall struct {
	Method string
	Fields map[string]string
	Files  map[string]tgFile
	At     time.Time
}

type tgFile struct {
	Name string
	Data string
}

type tgMessage struct {
	ID       int
	Text     string
	Keyboard [][]models.InlineKeyboardButton
}

type tgError struct {
	Code       int
	Desc       string
	RetryAfter int
}

const testToken = "123456:TEST-token"

func newFakeTG(t testing.TB) *fakeTG {
	f := &fakeTG{t: t, token: testToken, nextID: map[int64]int{}, messages: map[int64]map[int]*tgMessage{},
		touched: map[int64]int{}, files: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTG) URL() string { return f.srv.URL }

func (f *fakeTG) serve(w http.ResponseWriter, r *http.Request) {
	if p, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+f.token+"/"); ok {
		f.mu.Lock()
		data, found := f.files[strings.TrimSuffix(strings.TrimPrefix(p, "documents/"), ".txt")]
		f.mu.Unlock()
		if !found {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+f.token+"/")
	if !ok || r.Method != http.MethodPost {
		http.Error(w, "bad path", http.StatusNotFound)
		return
	}
	call := tgCall{Method: method, Fields: map[string]string{}, Files: map[string]tgFile{}, At: time.Now()}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			f.t.Errorf("fakeTG: %s: bad multipart body: %v", method, err)
		} else {
			for k, v := range r.MultipartForm.Value {
				call.Fields[k] = v[0]
			}
			for k, fhs := range r.MultipartForm.File {
				fh, _ := fhs[0].Open()
				b, _ := io.ReadAll(fh)
				fh.Close()
				call.Files[k] = tgFile{Name: fhs[0].Filename, Data: string(b)}
			}
		}
	}
	if method == "getUpdates" {
		f.getUpdates(w, r, call)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		if e := fail(method, call.Fields); e != nil {
			writeTG(w, map[string]any{"ok": false, "error_code": e.Code, "description": e.Desc,
				"parameters": map[string]any{"retry_after": e.RetryAfter}})
			return
		}
	}
	writeTG(w, map[string]any{"ok": true, "result": f.result(method, call)})
}

func writeTG(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// result is the answer of a successful call, of the type the library expects.
func (f *fakeTG) result(method string, c tgCall) any {
	chat, _ := strconv.ParseInt(c.Fields["chat_id"], 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch method {
	case "getMe":
		return map[string]any{"id": 123456, "is_bot": true, "first_name": "Shop", "username": "shop_bot"}
	case "sendMessage", "sendDocument":
		f.nextID[chat]++
		m := &tgMessage{ID: f.nextID[chat], Text: c.Fields["text"], Keyboard: f.keyboard(c)}
		if f.messages[chat] == nil {
			f.messages[chat] = map[int]*tgMessage{}
		}
		f.messages[chat][m.ID] = m
		f.touched[chat] = m.ID
		return f.message(chat, m.ID, m.Text)
	case "editMessageText":
		id, _ := strconv.Atoi(c.Fields["message_id"])
		if m := f.messages[chat][id]; m != nil {
			m.Text, m.Keyboard = c.Fields["text"], f.keyboard(c)
			f.touched[chat] = id
		}
		return f.message(chat, id, c.Fields["text"])
	case "getFile":
		return map[string]any{"file_id": c.Fields["file_id"], "file_unique_id": c.Fields["file_id"], "file_path": "documents/" + c.Fields["file_id"] + ".txt"}
	}
	return true
}

func (f *fakeTG) message(chat int64, id int, text string) map[string]any {
	return map[string]any{"message_id": id, "date": time.Now().Unix(), "text": text,
		"chat": map[string]any{"id": chat, "type": "private"}}
}

// keyboard decodes a call's reply_markup, noting callback data over 64 bytes.
func (f *fakeTG) keyboard(c tgCall) [][]models.InlineKeyboardButton {
	raw := c.Fields["reply_markup"]
	if raw == "" {
		return nil
	}
	var mk models.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(raw), &mk); err != nil {
		f.t.Errorf("fakeTG: bad reply_markup %s: %v", raw, err)
		return nil
	}
	for _, row := range mk.InlineKeyboard {
		for _, b := range row {
			if len(b.CallbackData) > maxCallbackData || b.CallbackData == "" {
				f.badData = append(f.badData, b.CallbackData)
			}
		}
	}
	return mk.InlineKeyboard
}

// getUpdates answers from the queue, waiting a little when it is empty so
// the library does not spin (it polls again at once on an empty answer).
func (f *fakeTG) getUpdates(w http.ResponseWriter, r *http.Request, c tgCall) {
	offset, _ := strconv.ParseInt(c.Fields["offset"], 10, 64)
	deadline := time.Now().Add(200 * time.Millisecond)
	for {
		f.mu.Lock()
		var out []models.Update
		for _, u := range f.updates {
			if u.ID >= offset {
				out = append(out, u)
			}
		}
		f.mu.Unlock()
		if len(out) > 0 || time.Now().After(deadline) || r.Context().Err() != nil {
			if out == nil {
				out = []models.Update{}
			}
			writeTG(w, map[string]any{"ok": true, "result": out})
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// queue adds an update for getUpdates.
func (f *fakeTG) queue(u models.Update) {
	f.mu.Lock()
	f.updates = append(f.updates, u)
	f.mu.Unlock()
}

// callsOf returns the recorded calls of one method.
func (f *fakeTG) callsOf(method string) []tgCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []tgCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// sentTo returns the texts of messages sent (not edits) to a chat, in order.
func (f *fakeTG) sentTo(chat int64) []string {
	var out []string
	for _, c := range f.callsOf("sendMessage") {
		if c.Fields["chat_id"] == strconv.FormatInt(chat, 10) {
			out = append(out, c.Fields["text"])
		}
	}
	return out
}

// screen returns the text of the chat's message last sent or edited: what
// the user is looking at.
func (f *fakeTG) screen(chat int64) string {
	if m := f.latest(chat); m != nil {
		return m.Text
	}
	return ""
}

// latest is the chat's message last sent or edited.
func (f *fakeTG) latest(chat int64) *tgMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.messages[chat][f.touched[chat]]
}

// findButton returns the newest message of chat with a button whose data
// starts with prefix, and that button's data.
func (f *fakeTG) findButton(chat int64, prefix string) (msgID int, data string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, m := range f.messages[chat] {
		for _, row := range m.Keyboard {
			for _, b := range row {
				if strings.HasPrefix(b.CallbackData, prefix) && id > msgID {
					msgID, data, ok = id, b.CallbackData, true
				}
			}
		}
	}
	return msgID, data, ok
}

// badCallbackData lists callback data that broke the 64-byte limit.
func (f *fakeTG) badCallbackData() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.badData...)
}
