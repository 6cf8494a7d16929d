package stub

import (
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
)

// FuzzParseParams: any query string, content type and body parse without
// panicking, too-large bodies are refused, and every name the query string
// carries keeps the query's first value whatever the body says.
func FuzzParseParams(f *testing.F) {
	form := "application/x-www-form-urlencoded"
	var mp strings.Builder
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("action", "getNumber")
	_ = mw.WriteField("service", "wa")
	_ = mw.Close()
	seeds := []struct{ query, contentType, body string }{
		{"api_key=k&action=getBalance", "", ""},
		{"api_key=k", form, "action=getStatus&id=12345678"},
		{"action=getBalance", form, "action=setStatus&status=8"},
		{"a=%zz&b=%&c", form + "; charset=utf-8", "%%%&&&=="},
		{"id=+12345678&id=2", "", "id=3"},
		{"", "multipart/form-data; boundary=" + mw.Boundary(), mp.String()},
		{"", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--"},
		{"", "text/html; charset", "<html>"},
		{";;;", "application/json", `{"action":"getBalance"}`},
	}
	for _, s := range seeds {
		f.Add(s.query, s.contentType, s.body)
	}
	f.Fuzz(func(t *testing.T, query, contentType, body string) {
		p, err := parseParams(query, contentType, []byte(body))
		if len(body) > maxBodyBytes {
			if err == nil {
				t.Fatalf("a %d-byte body was accepted", len(body))
			}
			return
		}
		if err != nil {
			t.Fatalf("parseParams: %v", err)
		}
		fromQuery, _ := url.ParseQuery(query)
		for name, vals := range fromQuery {
			if got := p.values.Get(name); got != vals[0] {
				t.Fatalf("%q: got %q, want the query's %q", name, got, vals[0])
			}
		}
		for name := range p.values {
			_ = p.get(name) // reading any name is safe
		}
		_, _ = p.activationID()
		_, _ = p.page("offset")
		_, _, _ = p.country()
	})
}
