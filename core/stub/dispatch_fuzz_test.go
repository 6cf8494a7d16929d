package stub_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"accgen/core/stub"
)

// knownActions are the actions the endpoint answers.
var knownActions = map[string]bool{
	"getBalance": true, "getBalanceAndCashBack": true, "getServicesList": true, "getCountries": true,
	"getPrices": true, "getTopCountriesByService": true, "getOperators": true, "getNumber": true,
	"getNumberV2": true, "getStatus": true, "getStatusV2": true, "setStatus": true, "getActivations": true,
	"getHistory": true, "getActiveActivations": true,
}

// The shapes every bare-text answer takes.
var (
	textSuccess = regexp.MustCompile(`^(ACCESS_BALANCE:\d+\.\d{2}|ACCESS_NUMBER:[1-9]\d{7}:\d+|STATUS_WAIT_CODE|` +
		`STATUS_WAIT_RETRY:[0-9A-Za-z-]*|STATUS_OK:[0-9A-Za-z-]*|STATUS_CANCEL|ACCESS_READY|ACCESS_RETRY_GET|` +
		`ACCESS_ACTIVATION|ACCESS_CANCEL)$`)
	textError = regexp.MustCompile(`^(NO_KEY|BAD_KEY|BAD_ACTION|BAD_SERVICE|NO_NUMBERS|NO_BALANCE|NO_ACTIVATION|` +
		`WRONG_ACTIVATION_ID|BAD_STATUS|ERROR_SQL|WRONG_MAX_PRICE:\d+\.\d{2})$`)
	jsonError = regexp.MustCompile(`^\{"status":"error","error":"(NO_ACTIVATIONS|OPERATORS_NOT_FOUND)"\}$`)
)

// FuzzDispatch drives the whole handler (parsing, authentication, the
// action switch, every action over an engine double holding an order in
// each state) with arbitrary actions, ids, statuses and extra parameters,
// by GET or POST. extra comes first, so its names override the defaults.
// Every answer must be a well-formed protocol answer: HTTP 200, no trailing
// newline, a known token or valid JSON, no error word in a success, and
// BAD_ACTION exactly for unknown actions.
func FuzzDispatch(f *testing.F) {
	seeds := []struct {
		action, id, status, extra string
		post                      bool
	}{
		{"getBalance", "", "", "", false},
		{"getNumber", "", "", "maxPrice=3000", true},
		{"getNumberV2", "", "", "service=tg&country=19", false},
		{"getNumber", "", "", "max_price=-1&country=x", false},
		{"getStatus", "10000001", "", "", false},
		{"getStatus", "10000005", "", "", true},
		{"getStatusV2", "10000002", "", "", false},
		{"getStatusV2", "10000006", "", "", false},
		{"setStatus", "10000002", "3", "", false},
		{"setStatus", "10000002", "6", "", true},
		{"setStatus", "10000001", "8", "", false},
		{"setStatus", "10000004", "-1", "", false},
		{"setStatus", "abc", "8", "", false},
		{"getActivations", "", "", "limit=2&offset=1", false},
		{"getHistory", "", "", "size=1000", true},
		{"getActiveActivations", "", "", "start=2&limit=1", false},
		{"getPrices", "", "", "service=wa", false},
		{"getPrices", "", "", "country=19", false},
		{"getServicesList", "", "", "country=19", false},
		{"getCountries", "", "", "", true},
		{"getTopCountriesByService", "", "", "service=wa&freePrice=true", false},
		{"getOperators", "", "", "country=999", false},
		{"getRentNumber", "", "", "", false},
		{"getBalance", "", "", "api_key=key-2", false},
		{"getBalance", "", "", "api_key=", false},
		{"getStatus", "10000006", "", "api_key=key-2", false},
		{"", "", "", "action=getStatus&id=%31%30%30%30%30%30%30%31", true},
	}
	for _, s := range seeds {
		f.Add(s.action, s.id, s.status, s.extra, s.post)
	}
	catalog := fakeCatalog(f)
	f.Fuzz(func(t *testing.T, action, id, status, extra string, post bool) {
		deps, _ := fakeDeps(catalog, slog.New(slog.DiscardHandler))
		h := stub.NewHandler(deps)
		defaults := url.Values{"api_key": {"key-1"}, "action": {action}, "id": {id}, "status": {status},
			"service": {"wa"}, "country": {"187"}}
		raw := extra + "&" + defaults.Encode()
		var req *http.Request
		if post {
			req = httptest.NewRequest(http.MethodPost, "/stubs/handler_api.php", strings.NewReader(raw))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest(http.MethodGet, "/stubs/handler_api.php", nil)
			req.URL.RawQuery = raw
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code == http.StatusRequestEntityTooLarge && post && len(raw) > 64<<10 {
			return
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d for %q: %q", rec.Code, raw, body)
		}
		if body == "" || strings.TrimSpace(body) != body {
			t.Fatalf("empty or padded body %q for %q", body, raw)
		}
		switch rec.Header().Get("Content-Type") {
		case "application/json; charset=utf-8":
			if !json.Valid([]byte(body)) {
				t.Fatalf("invalid JSON %q for %q", body, raw)
			}
			if !jsonError.MatchString(body) {
				requireNoErrorWordInSuccess(t, body)
			}
		case "text/plain; charset=utf-8":
			if !textSuccess.MatchString(body) && !textError.MatchString(body) {
				t.Fatalf("unknown answer %q for %q", body, raw)
			}
		default:
			t.Fatalf("content type %q for %q", rec.Header().Get("Content-Type"), raw)
		}
		overrides, _ := url.ParseQuery(extra)
		if _, ok := overrides["action"]; ok {
			return
		}
		if _, ok := overrides["api_key"]; ok {
			return
		}
		if known := knownActions[strings.TrimSpace(action)]; known == (body == "BAD_ACTION") {
			t.Fatalf("action %q answered %q", action, body)
		}
	})
}
