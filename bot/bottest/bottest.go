// Package bottest is a fake Telegram Bot API server for tests: the bot's own
// tests and the multi-instance tests of cmd/accgen. It parses the multipart
// bodies go-telegram/bot sends, records every call in order (indexed by
// chat), keeps each chat's messages (text and keyboard, as edited), serves
// getUpdates from a queue and files for getFile, and can be scripted to fail
// calls. It is safe for concurrent use by several bot processes at once.
//
// Only _test.go files import it.
package bottest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

// Token is the bot token the fake answers to.
const Token = "123456:TEST-token"

// maxCallbackData is Telegram's limit on callback_data, in bytes.
const maxCallbackData = 64

// Server is the fake Bot API.
type Server struct {
	t     testing.TB
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	calls    []Call
	byChat   map[int64][]int // chat → indexes into calls
	nextID   map[int64]int
	messages map[int64]map[int]*Message // chat → message id → message
	touched  map[int64]int              // chat → message last sent or edited
	files    map[string][]byte          // file_id → content
	updates  []models.Update
	badData  []string // callback_data over 64 bytes
	// fail, when set, may turn a call into an error answer.
	fail func(method string, fields map[string]string) *Error
}

// Call is one recorded Bot API call.
type Call struct {
	Method string
	Fields map[string]string
	Files  map[string]File
	At     time.Time
}

// Chat is the chat_id the call was for (0 if none).
func (c Call) Chat() int64 {
	id, _ := strconv.ParseInt(c.Fields["chat_id"], 10, 64)
	return id
}

// File is an uploaded file.
type File struct {
	Name string
	Data string
}

// Message is a message the bot sent, as last edited.
type Message struct {
	ID       int
	Text     string
	Keyboard [][]models.InlineKeyboardButton
}

// Error is an error answer a scripted failure returns.
type Error struct {
	Code       int
	Desc       string
	RetryAfter int
}

// New starts a fake Bot API on loopback, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{t: t, token: Token, byChat: map[int64][]int{}, nextID: map[int64]int{},
		messages: map[int64]map[int]*Message{}, touched: map[int64]int{}, files: map[string][]byte{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base URL (the bot's API URL).
func (s *Server) URL() string { return s.srv.URL }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if p, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+s.token+"/"); ok {
		s.mu.Lock()
		data, found := s.files[strings.TrimSuffix(strings.TrimPrefix(p, "documents/"), ".txt")]
		s.mu.Unlock()
		if !found {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+s.token+"/")
	if !ok || r.Method != http.MethodPost {
		http.Error(w, "bad path", http.StatusNotFound)
		return
	}
	call := Call{Method: method, Fields: map[string]string{}, Files: map[string]File{}, At: time.Now()}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			s.t.Errorf("bottest: %s: bad multipart body: %v", method, err)
		} else {
			for k, v := range r.MultipartForm.Value {
				call.Fields[k] = v[0]
			}
			for k, fhs := range r.MultipartForm.File {
				fh, _ := fhs[0].Open()
				b, _ := io.ReadAll(fh)
				fh.Close()
				call.Files[k] = File{Name: fhs[0].Filename, Data: string(b)}
			}
		}
	}
	if method == "getUpdates" {
		s.getUpdates(w, r, call)
		return
	}
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		if e := fail(method, call.Fields); e != nil {
			s.mu.Lock()
			s.recordLocked(call)
			s.mu.Unlock()
			writeJSON(w, map[string]any{"ok": false, "error_code": e.Code, "description": e.Desc,
				"parameters": map[string]any{"retry_after": e.RetryAfter}})
			return
		}
	}
	// The call is recorded with its effect, in one step, so whoever sees
	// the call also sees the message it sent or edited.
	writeJSON(w, map[string]any{"ok": true, "result": s.apply(method, call)})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// recordLocked appends a call; s.mu is held.
func (s *Server) recordLocked(c Call) {
	s.calls = append(s.calls, c)
	if chat := c.Chat(); chat != 0 {
		s.byChat[chat] = append(s.byChat[chat], len(s.calls)-1)
	}
}

// apply records a successful call and returns its answer, of the type the
// library expects.
func (s *Server) apply(method string, c Call) any {
	chat := c.Chat()
	kb := s.keyboard(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(c)
	switch method {
	case "getMe":
		return map[string]any{"id": 123456, "is_bot": true, "first_name": "Shop", "username": "shop_bot"}
	case "sendMessage", "sendDocument":
		s.nextID[chat]++
		m := &Message{ID: s.nextID[chat], Text: c.Fields["text"], Keyboard: kb}
		if s.messages[chat] == nil {
			s.messages[chat] = map[int]*Message{}
		}
		s.messages[chat][m.ID] = m
		s.touched[chat] = m.ID
		return message(chat, m.ID, m.Text)
	case "editMessageText":
		id, _ := strconv.Atoi(c.Fields["message_id"])
		if m := s.messages[chat][id]; m != nil {
			m.Text, m.Keyboard = c.Fields["text"], kb
			s.touched[chat] = id
		}
		return message(chat, id, c.Fields["text"])
	case "getFile":
		return map[string]any{"file_id": c.Fields["file_id"], "file_unique_id": c.Fields["file_id"], "file_path": "documents/" + c.Fields["file_id"] + ".txt"}
	}
	return true
}

func message(chat int64, id int, text string) map[string]any {
	return map[string]any{"message_id": id, "date": time.Now().Unix(), "text": text,
		"chat": map[string]any{"id": chat, "type": "private"}}
}

// keyboard decodes a call's reply_markup, noting callback data over 64 bytes.
func (s *Server) keyboard(c Call) [][]models.InlineKeyboardButton {
	raw := c.Fields["reply_markup"]
	if raw == "" {
		return nil
	}
	var mk models.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(raw), &mk); err != nil {
		s.t.Errorf("bottest: bad reply_markup %s: %v", raw, err)
		return nil
	}
	for _, row := range mk.InlineKeyboard {
		for _, b := range row {
			if len(b.CallbackData) > maxCallbackData || b.CallbackData == "" {
				s.mu.Lock()
				s.badData = append(s.badData, b.CallbackData)
				s.mu.Unlock()
			}
		}
	}
	return mk.InlineKeyboard
}

// getUpdates answers from the queue, waiting a little when it is empty so
// the library does not spin (it polls again at once on an empty answer).
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, c Call) {
	offset, _ := strconv.ParseInt(c.Fields["offset"], 10, 64)
	deadline := time.Now().Add(200 * time.Millisecond)
	for {
		s.mu.Lock()
		var out []models.Update
		for _, u := range s.updates {
			if u.ID >= offset {
				out = append(out, u)
			}
		}
		s.mu.Unlock()
		if len(out) > 0 || time.Now().After(deadline) || r.Context().Err() != nil {
			if out == nil {
				out = []models.Update{}
			}
			writeJSON(w, map[string]any{"ok": true, "result": out})
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SetFail scripts failures: f may turn a call into an error answer (nil
// answers normally). The call is still recorded.
func (s *Server) SetFail(f func(method string, fields map[string]string) *Error) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

// Queue adds an update for getUpdates.
func (s *Server) Queue(u models.Update) {
	s.mu.Lock()
	s.updates = append(s.updates, u)
	s.mu.Unlock()
}

// AddFile makes a file downloadable under a file_id.
func (s *Server) AddFile(fileID string, data []byte) {
	s.mu.Lock()
	s.files[fileID] = data
	s.mu.Unlock()
}

// Calls returns every recorded call, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsOf returns the recorded calls of one method.
func (s *Server) CallsOf(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// ChatCalls returns the recorded calls of one method for one chat ("" for
// every method).
func (s *Server) ChatCalls(chat int64, method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, i := range s.byChat[chat] {
		if method == "" || s.calls[i].Method == method {
			out = append(out, s.calls[i])
		}
	}
	return out
}

// SentTo returns the texts of messages sent (not edits) to a chat, in order.
func (s *Server) SentTo(chat int64) []string {
	var out []string
	for _, c := range s.ChatCalls(chat, "sendMessage") {
		out = append(out, c.Fields["text"])
	}
	return out
}

// Screen returns the text of the chat's message last sent or edited: what
// the user is looking at.
func (s *Server) Screen(chat int64) string {
	if m := s.Latest(chat); m != nil {
		return m.Text
	}
	return ""
}

// Latest is (a copy of) the chat's message last sent or edited, or nil.
func (s *Server) Latest(chat int64) *Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyMessage(s.messages[chat][s.touched[chat]])
}

// Message is (a copy of) one of the chat's messages, or nil.
func (s *Server) Message(chat int64, id int) *Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyMessage(s.messages[chat][id])
}

func copyMessage(m *Message) *Message {
	if m == nil {
		return nil
	}
	c := *m
	return &c
}

// FindButton returns the newest message of chat with a button whose data
// starts with prefix, and that button's data.
func (s *Server) FindButton(chat int64, prefix string) (msgID int, data string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, m := range s.messages[chat] {
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

// BadCallbackData lists callback data that broke the 64-byte limit.
func (s *Server) BadCallbackData() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.badData)
}
