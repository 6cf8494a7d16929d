package core

import (
	"crypto/sha256"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// Names (products, categories, API keys, usernames) take any script and
// emoji, and refuse what would display as something else.
func TestNamesRefuseInvisibleAndMisleadingCharacters(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{
		"Instagram aged 2019", "Аккаунты ВКонтакте", "تيليجرام", "微信 账号", "🔥 TikTok 10k",
		"👨‍👩‍👧 family (zero-width joiners in an emoji)", "naïve café", "O'Brien & Co. <b>", strings.Repeat("é", 120),
	} {
		require.NoError(t, checkText("name", ok, 120), "%q", ok)
	}
	for _, bad := range []string{
		"tab\there", "new\nline", "nul\x00", "esc\x1b[31mred", "del\x7f", "c1\u0085next",
		"evil\u202egnp.exe", "embed\u202atext", "isolate\u2066x\u2069", "line\u2028sep", "para\u2029sep",
		"\xff\xfe not utf-8", strings.Repeat("a", 121),
	} {
		require.Error(t, checkText("name", bad, 120), "%q", bad)
	}
}

// Webhook URLs refuse anything invisible that would make them read as
// another URL; what they keep is normalised.
func TestWebhookURLRefusesHostileInput(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"", "   ", "javascript:alert(1)", "ftp://example.com/", "http://", "http:///path", "//example.com/x",
		"http://exa mple.com/", "http://example.com/a b", "http://example.com/\x00", "http://example.com/\x7f",
		"http://example.com/\u202ecod.exe", "http://exa\u200bmple.com/", "http://example.com/a\u2028b", "http://example.com/a\u00a0b",
		"http://user:pw@example.com/", "https://example.com/#frag", "https://example.com:0/", "https://example.com:99999/",
		"https://example.com/" + strings.Repeat("a", 2100), "\xff\xfehttp://example.com/",
	} {
		_, err := ValidateWebhookURL(bad)
		require.Error(t, err, "%q", bad)
		require.Equal(t, CodeInvalid, ErrorCode(err))
	}
	got, err := ValidateWebhookURL("  https://bücher.example/hooks/ünïcode?q=1  ")
	require.NoError(t, err)
	require.Equal(t, "https://b%C3%BCcher.example/hooks/%C3%BCn%C3%AFcode?q=1", got, "stored percent-encoded, so what is shown is what is called")
}

// Stock lines: whitespace and a byte-order mark trimmed, blanks skipped,
// repeats counted; an over-long, non-UTF-8 or control-laden line refuses the
// import and is named.
func TestStockLinesRefuseHostileInput(t *testing.T) {
	t.Parallel()
	entries, repeats, err := parseStockLines([]string{"\ufeff a@x.example:pw1 \r", "", "   ", "b@x.example:p\tw", "a@x.example:pw1"}, fakeFingerprints)
	require.NoError(t, err)
	require.Equal(t, 1, repeats)
	require.Len(t, entries, 2)
	require.Equal(t, "a@x.example:pw1", entries[0].plain)
	for line, bad := range map[string]string{
		"line 2": "x@y:p\x00w", "line 3": "x@y:p\x1b[2Jw", "line 4": strings.Repeat("x", maxCredentialLen+1), "line 5": "x@y:\xffpw",
		"line 6": "x@y:p\u0085w",
	} {
		lines := []string{"ok@x.example:pw"}
		for len(lines) < int(line[len(line)-1]-'0')-1 {
			lines = append(lines, "")
		}
		_, _, err := parseStockLines(append(lines, bad), fakeFingerprints)
		require.Error(t, err, "%q", bad)
		require.Contains(t, err.Error(), line)
	}
}

func fakeFingerprints(b []byte) [][]byte {
	sum := sha256.Sum256(b)
	return [][]byte{sum[:]}
}

func FuzzStockLines(f *testing.F) {
	for _, seed := range []string{
		"a@x:pw\nb@x:pw\n", "\ufeffa@x:pw\r\nb@x:pw\r\n", "\n\n  \n", "a\x00b", "x\ty", "a@x:pw\na@x:pw",
		"z\xff", "\u2028",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		lines := strings.Split(input, "\n")
		entries, repeats, err := parseStockLines(lines, fakeFingerprints)
		if err != nil {
			require.Equal(t, CodeInvalid, ErrorCode(err))
			require.True(t, strings.HasPrefix(ErrorMessage(err), "line "), ErrorMessage(err))
			return
		}
		nonBlank := 0
		for i, l := range lines {
			if i == 0 {
				l = strings.TrimPrefix(l, "\ufeff")
			}
			if strings.TrimSpace(l) != "" {
				nonBlank++
			}
		}
		require.Equal(t, nonBlank, len(entries)+repeats, "every non-blank line is imported or counted as a repeat")
		seen := map[string]bool{}
		for _, e := range entries {
			require.NotEmpty(t, e.plain)
			require.Equal(t, strings.TrimSpace(e.plain), e.plain)
			require.True(t, utf8.ValidString(e.plain))
			require.LessOrEqual(t, len(e.plain), maxCredentialLen)
			require.False(t, seen[e.plain], "a credential imported twice")
			seen[e.plain] = true
			for _, r := range e.plain {
				require.False(t, r != '\t' && unicode.IsControl(r), "%q", e.plain)
			}
		}
	})
}

func FuzzValidateWebhookURL(f *testing.F) {
	for _, seed := range []string{
		"https://hooks.example/acc-gen", "http://127.0.0.1:8080/x?y=1", "https://bücher.example/", "javascript:x",
		"http://a b/", "http://x/\u202e", "http://user@x/", "https://x/#f", "http://[::1]:80/", "http://[::1", "%zz",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ValidateWebhookURL(raw)
		if err != nil {
			require.Equal(t, CodeInvalid, ErrorCode(err))
			return
		}
		require.LessOrEqual(t, len(strings.TrimSpace(raw)), maxWebhookURLLen)
		u, err := url.Parse(got)
		require.NoError(t, err, "an accepted URL parses again: %q", got)
		require.Contains(t, []string{"http", "https"}, u.Scheme)
		require.NotEmpty(t, u.Hostname())
		require.Nil(t, u.User)
		require.Empty(t, u.Fragment)
		require.Equal(t, -1, strings.IndexFunc(got, invisibleInURL), "%q", got)
		again, err := ValidateWebhookURL(got)
		require.NoError(t, err, "an accepted URL is accepted again: %q", got)
		require.Equal(t, got, again, "normalising is idempotent")
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, seed := range []string{"5000", "1250.50", "0.01", "0", "-5", "1.001", "1e3", " 7 ", "NaN", "9999999999999999.99",
		"1" + strings.Repeat("0", 40), "0x10", "1_000", "١٢٣"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseAmount("amount", s)
		if err != nil {
			require.Equal(t, CodeInvalid, ErrorCode(err))
			return
		}
		require.True(t, d.IsPositive(), "%s from %q", d, s)
		require.True(t, d.Equal(d.Round(2)), "at most two decimals: %s from %q", d, s)
		require.NoError(t, CheckAmount("amount", d))
		require.True(t, d.LessThan(decimal.New(1, 16)), "fits NUMERIC(18,2): %s", d)
	})
}
