// Package locales holds every user-facing string of the Telegram bot, one
// JSON file per language (flat dotted keys; a plural message is an object of
// CLDR forms), and loads them with go-i18n. English is the reference: every
// other language must have every English key with the same placeholders
// (locales_test.go fails otherwise).
package locales

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.json
var files embed.FS

// Language is a language the bot speaks.
type Language struct {
	Code string // the file name and what users.language stores
	Name string // in the language itself, for the picker
}

// Languages in the order the picker shows them. English comes first and is
// the fallback.
var Languages = []Language{
	{Code: "en", Name: "English"},
	{Code: "pcm", Name: "Naijá (Pidgin)"},
	{Code: "yo", Name: "Yorùbá"},
	{Code: "ha", Name: "Hausa"},
	{Code: "ig", Name: "Igbo"},
}

// Default is the language used when nothing better is known.
const Default = "en"

// Supported reports whether code is one of Languages.
func Supported(code string) bool {
	for _, l := range Languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

// Match returns the supported language for a Telegram language_code (an
// IETF tag such as "en-GB" or "yo"), or "" when none fits.
func Match(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if code == "" {
		return ""
	}
	base, _, _ := strings.Cut(strings.ReplaceAll(code, "_", "-"), "-")
	if Supported(base) {
		return base
	}
	return ""
}

// Catalog is every language's messages.
type Catalog struct {
	bundle *i18n.Bundle

	mu     sync.Mutex
	misses map[string]bool
}

// Load parses the embedded message files.
func Load() (*Catalog, error) {
	bundle := i18n.NewBundle(language.English)
	for _, l := range Languages {
		name := l.Code + ".json"
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("locales: %w", err)
		}
		if _, err := bundle.ParseMessageFileBytes(b, name); err != nil {
			return nil, fmt.Errorf("locales: %s: %w", name, err)
		}
	}
	return &Catalog{bundle: bundle, misses: map[string]bool{}}, nil
}

// MustLoad is Load for program start, where a broken catalog is a bug.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Printer renders messages in one language.
type Printer struct {
	c    *Catalog
	lang string
	loc  *i18n.Localizer
}

// Printer returns a printer for lang, falling back to English for an
// unsupported code.
func (c *Catalog) Printer(lang string) *Printer {
	if !Supported(lang) {
		lang = Default
	}
	return &Printer{c: c, lang: lang, loc: i18n.NewLocalizer(c.bundle, lang, Default)}
}

// Lang is the printer's language code.
func (p *Printer) Lang() string { return p.lang }

// T renders message id with data (nil when it has no placeholders). A
// missing message renders as its id and is remembered (see Misses).
func (p *Printer) T(id string, data map[string]any) string {
	return p.localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
}

// N renders a plural message: count picks the CLDR form and is available to
// the template as .Count.
func (p *Printer) N(id string, count int, data map[string]any) string {
	if data == nil {
		data = map[string]any{}
	}
	data["Count"] = count
	return p.localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
}

func (p *Printer) localize(lc *i18n.LocalizeConfig) string {
	s, tag, err := p.loc.LocalizeWithTag(lc)
	if err != nil || s == "" || tag.String() != p.lang && p.lang != Default {
		p.c.miss(p.lang + ":" + lc.MessageID)
	}
	if s == "" {
		return lc.MessageID
	}
	return s
}

func (c *Catalog) miss(key string) {
	c.mu.Lock()
	c.misses[key] = true
	c.mu.Unlock()
}

// Misses lists "lang:id" for every message that was asked for and not
// found in that language since Load (tests assert it stays empty).
func (c *Catalog) Misses() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.misses))
	for k := range c.misses {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
