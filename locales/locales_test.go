package locales

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// pluralForms are the CLDR forms each language must give a plural message
// (go-i18n picks among them by these rules).
var pluralForms = map[string][]string{
	"en":  {"one", "other"},
	"pcm": {"one", "other"},
	"ha":  {"one", "other"},
	"yo":  {"other"},
	"ig":  {"other"},
}

var (
	placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)
	tag         = regexp.MustCompile(`</?(b|i|code|u|s|a|pre)\b[^>]*>`)
)

// file reads a language file as key → text, or key → form → text.
func file(t *testing.T, lang string) map[string]any {
	t.Helper()
	b, err := files.ReadFile(lang + ".json")
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), lang)
	return m
}

// texts returns every text of a message (one, or one per plural form).
func texts(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			s, _ := v[k].(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func placeholders(v any) []string {
	set := map[string]bool{}
	for _, s := range texts(v) {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			set[m[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Every language has exactly English's keys, each with the same
// placeholders, the same kind (plain or plural) and balanced HTML tags.
func TestEveryLanguageHasEveryKeyAndPlaceholder(t *testing.T) {
	t.Parallel()
	en := file(t, "en")
	require.Greater(t, len(en), 150)
	for _, l := range Languages {
		m := file(t, l.Code)
		for key, ref := range en {
			v, ok := m[key]
			require.True(t, ok, "%s: missing %q", l.Code, key)
			_, refPlural := ref.(map[string]any)
			_, plural := v.(map[string]any)
			require.Equal(t, refPlural, plural, "%s: %q plural in one language only", l.Code, key)
			require.Equal(t, placeholders(ref), placeholders(v), "%s: %q placeholders differ from English", l.Code, key)
			for _, s := range texts(v) {
				require.NotEmpty(t, strings.TrimSpace(s), "%s: %q is empty", l.Code, key)
				require.Equal(t, tags(texts(ref)[0]), tags(s), "%s: %q HTML tags differ from English", l.Code, key)
			}
		}
		for key := range m {
			_, ok := en[key]
			require.True(t, ok, "%s: %q is not an English key (stale?)", l.Code, key)
		}
	}
}

// tags lists a text's HTML tags, sorted, so translations may move them but
// not drop, add or unbalance them.
func tags(s string) []string {
	out := tag.FindAllString(s, -1)
	for i, t := range out {
		if j := strings.IndexAny(t, " >"); j > 0 {
			out[i] = t[:j]
		}
	}
	slices.Sort(out)
	return out
}

// A translation other than English must translate: a message identical to
// English is allowed when it has no words (a pattern like
// "{{.Page}}/{{.Pages}}"), a few times in Yoruba, Hausa and Igbo (a term
// such as "API" kept as is), and more in Nigerian Pidgin, whose short
// labels ("Buy number", "Refresh") are English words.
func TestTranslationsAreTranslated(t *testing.T) {
	t.Parallel()
	en := file(t, "en")
	letters := regexp.MustCompile(`[A-Za-z]{4,}`)
	for _, l := range Languages[1:] {
		m := file(t, l.Code)
		same := 0
		for key, ref := range en {
			a, b := strings.Join(texts(ref), "|"), strings.Join(texts(m[key]), "|")
			stripped := placeholder.ReplaceAllString(tag.ReplaceAllString(a, ""), "")
			if a == b && letters.MatchString(stripped) {
				same++
				t.Logf("%s: %q is still English: %s", l.Code, key, a)
			}
		}
		allowed := 3
		if l.Code == "pcm" {
			allowed = len(en) / 4
		}
		require.LessOrEqual(t, same, allowed, "%s: %d messages are still in English", l.Code, same)
	}
}

// Plural messages give every form the language's rules can pick.
func TestPluralFormsCoverEachLanguage(t *testing.T) {
	t.Parallel()
	en := file(t, "en")
	for _, l := range Languages {
		forms, ok := pluralForms[l.Code]
		require.True(t, ok, "no plural forms listed for %s", l.Code)
		m := file(t, l.Code)
		for key, ref := range en {
			if _, plural := ref.(map[string]any); !plural {
				continue
			}
			v := m[key].(map[string]any)
			for _, f := range forms {
				require.Contains(t, v, f, "%s: %q lacks the %q form", l.Code, key, f)
			}
		}
	}
}

// Every message renders in every language with its data, and plural
// messages pick a form for 1 and for many.
func TestEveryMessageRenders(t *testing.T) {
	t.Parallel()
	c, err := Load()
	require.NoError(t, err)
	en := file(t, "en")
	for _, l := range Languages {
		p := c.Printer(l.Code)
		require.Equal(t, l.Code, p.Lang())
		for key, ref := range en {
			data := map[string]any{}
			for _, ph := range placeholders(ref) {
				data[ph] = "X"
			}
			if _, plural := ref.(map[string]any); plural {
				for _, n := range []int{1, 7} {
					out := p.N(key, n, data)
					require.NotContains(t, out, "{{", "%s %s", l.Code, key)
					require.NotContains(t, out, "<no value>", "%s %s", l.Code, key)
				}
				continue
			}
			out := p.T(key, data)
			require.NotContains(t, out, "{{", "%s %s", l.Code, key)
			require.NotContains(t, out, "<no value>", "%s %s", l.Code, key)
		}
	}
	require.Empty(t, c.Misses())
	_ = c.Printer("en").T("no.such.key", nil)
	require.Equal(t, []string{"en:no.such.key"}, c.Misses(), "a missing key is reported")
}

func TestMatchTelegramLanguageCodes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"en": "en", "en-GB": "en", "yo": "yo", "YO-ng": "yo", "ha": "ha", "ig": "ig", "pcm": "pcm",
		"fr": "", "": "", "zz-top": "",
	} {
		require.Equal(t, want, Match(in), in)
	}
	require.Equal(t, "en", (&Catalog{}).Printer("fr").Lang(), "unsupported falls back to English")
}
