package stub

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseParamsMergesQueryAndBody(t *testing.T) {
	t.Parallel()
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		query       string
		contentType string
		body        string
		want        map[string]string
	}{
		{"query only", "api_key=k&action=getBalance", "", "", map[string]string{"api_key": "k", "action": "getBalance"}},
		{"body only", "", form, "api_key=k&action=getBalance", map[string]string{"api_key": "k", "action": "getBalance"}},
		{"both, disjoint", "api_key=k", form, "action=getStatus&id=12345678", map[string]string{"api_key": "k", "action": "getStatus", "id": "12345678"}},
		{"query wins", "action=getBalance&id=11111111", form, "action=setStatus&id=22222222&status=8",
			map[string]string{"action": "getBalance", "id": "11111111", "status": "8"}},
		{"query wins even when empty", "api_key=", form, "api_key=k", map[string]string{"api_key": ""}},
		{"first repeated value wins", "action=getBalance&action=getNumber", "", "", map[string]string{"action": "getBalance"}},
		{"form with charset", "", form + "; charset=UTF-8", "action=getBalance", map[string]string{"action": "getBalance"}},
		{"no content type: read as a form", "", "", "action=getBalance", map[string]string{"action": "getBalance"}},
		{"other body types ignored", "", "application/json", `{"action":"getBalance"}`, map[string]string{"action": ""}},
		{"malformed pairs skipped", "a=%zz&action=getBalance&b=%", "", "", map[string]string{"action": "getBalance", "a": ""}},
		{"values trimmed", "id=%2012345678%20", "", "", map[string]string{"id": "12345678"}},
		{"plus is a space", "service=w+a", "", "", map[string]string{"service": "w a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := parseParams(tt.query, tt.contentType, []byte(tt.body))
			require.NoError(t, err)
			for name, want := range tt.want {
				require.Equal(t, want, p.get(name), name)
			}
		})
	}
}

func TestParseParamsMultipart(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("api_key", "k"))
	require.NoError(t, mw.WriteField("action", "getNumber"))
	fw, err := mw.CreateFormFile("service", "evil.txt") // file parts are not parameters
	require.NoError(t, err)
	_, _ = fw.Write([]byte("wa"))
	require.NoError(t, mw.Close())

	p, err := parseParams("action=getBalance", mw.FormDataContentType(), buf.Bytes())
	require.NoError(t, err)
	require.Equal(t, "k", p.get("api_key"))
	require.Equal(t, "getBalance", p.get("action"), "the query string wins")
	require.Empty(t, p.get("service"))

	p, err = parseParams("", "multipart/form-data", buf.Bytes()) // no boundary
	require.NoError(t, err)
	require.Empty(t, p.get("api_key"))
}

func TestParseParamsRefusesHugeBodies(t *testing.T) {
	t.Parallel()
	_, err := parseParams("", "", []byte(strings.Repeat("a", maxBodyBytes+1)))
	require.ErrorIs(t, err, errBodyTooLarge)
	_, err = parseParams("", "", []byte(strings.Repeat("a", maxBodyBytes)))
	require.NoError(t, err)
}

func TestActivationID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want int64
		err  error
	}{
		{"12345678", 12345678, nil},
		{"012345678", 12345678, nil},
		{" 99999999 ", 99999999, nil},
		{"", 0, errWrongActivationID},
		{"abc", 0, errWrongActivationID},
		{"1234567a", 0, errWrongActivationID},
		{"+12345678", 0, errWrongActivationID},
		{"-12345678", 0, errWrongActivationID},
		{"1.5", 0, errWrongActivationID},
		{"9999999", 0, errNoActivation},
		{"100000000", 0, errNoActivation},
		{"99999999999999999999999", 0, errNoActivation},
	}
	for _, tt := range tests {
		p, _ := parseParams(url.Values{"id": {tt.id}}.Encode(), "", nil)
		got, err := p.activationID()
		require.Equal(t, tt.err, err, tt.id)
		require.Equal(t, tt.want, got, tt.id)
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query         string
		limit, offset int
	}{
		{"", 20, 0},
		{"limit=5", 5, 0},
		{"size=7", 7, 0},
		{"limit=5&size=7", 5, 0},
		{"limit=1000", 100, 0},
		{"limit=0", 20, 0},
		{"limit=-3&offset=-1", 20, 0},
		{"limit=x&offset=y", 20, 0},
		{"offset=40", 20, 40},
		{"start=40", 20, 0}, // getHistory's start is a timestamp, not an offset
	}
	for _, tt := range tests {
		p, _ := parseParams(tt.query, "", nil)
		limit, offset := p.page("offset")
		require.Equal(t, tt.limit, limit, tt.query)
		require.Equal(t, tt.offset, offset, tt.query)
	}
}

func TestNeutralize(t *testing.T) {
	t.Parallel()
	require.Equal(t, "STATUS_OK:123456", neutralize("STATUS_OK:123456"))
	require.Equal(t, `{"text":"no_numbers here, banned there; bad_key"}`,
		neutralize(`{"text":"NO_NUMBERS here, BANNED there; BAD_KEY"}`))
}

func TestTokenField(t *testing.T) {
	t.Parallel()
	require.Equal(t, "482913", tokenField("482913"))
	require.Equal(t, "G-1234", tokenField(" G-1234\n"))
	require.Equal(t, "1234", tokenField("12:34"))
	require.Equal(t, "", tokenField("::"))
}
