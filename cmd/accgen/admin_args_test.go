package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"accgen/storage/postgres/pgtest"
)

// unreachableDB is a valid configuration whose database never answers: a
// command that gets as far as connecting says so.
func unreachableDB(k string) string {
	return map[string]string{
		"ACCGEN_DATABASE_URL":   "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2",
		"ACCGEN_LOG_LEVEL":      "error",
		"ACCGEN_ENCRYPTION_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	}[k]
}

func runArgs(getenv func(string) string, args ...string) (stdout string, err error) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = run(ctx, args, getenv, &out, &errb)
	return out.String(), err
}

// Bad admin arguments are refused (exit 2, naming the problem) before the
// command connects to anything; good ones get as far as the database.
func TestAdminArgumentsAreCheckedBeforeConnecting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stock := filepath.Join(dir, "stock.txt")
	require.NoError(t, os.WriteFile(stock, []byte("a@x.example:pw\n"), 0o600))
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"admin"}, "usage"},
		{[]string{"admin", "user"}, "usage"},
		{[]string{"admin", "user", "delete", "--telegram-id", "5"}, "unknown admin command"},
		{[]string{"admin", "user", "create"}, "--telegram-id is required"},
		{[]string{"admin", "user", "create", "--telegram-id", "0"}, "--telegram-id is required"},
		{[]string{"admin", "user", "create", "--telegram-id", "-5"}, "--telegram-id is required"},
		{[]string{"admin", "user", "create", "--telegram-id", "99999999999999999999"}, "value out of range"},
		{[]string{"admin", "user", "create", "--telegram-id", "1e3"}, "invalid value"},
		{[]string{"admin", "user", "create", "--telegram-id", "5", "extra"}, "unexpected argument"},
		{[]string{"admin", "user", "create", "--ünïcode", "5"}, "flag provided but not defined"},
		{[]string{"admin", "apikey", "create", "--user", "0"}, "--user is required"},
		{[]string{"admin", "topup", "--user", "1"}, "--amount"},
		{[]string{"admin", "topup", "--user", "1", "--amount", "-5"}, "--amount"},
		{[]string{"admin", "topup", "--user", "1", "--amount", "0"}, "--amount"},
		{[]string{"admin", "topup", "--user", "1", "--amount", "1.001"}, "two decimal places"},
		{[]string{"admin", "topup", "--user", "1", "--amount", "1e9999"}, "--amount"},
		{[]string{"admin", "topup", "--user", "1", "--amount", "NaN"}, "--amount"},
		{[]string{"admin", "topup", "--user", "1", "--amount", "10000000000000"}, "must not exceed"},
		{[]string{"admin", "topup", "--user", "1", "--amount", "5", "--amount"}, "flag needs an argument"},
		{[]string{"admin", "topup", "--amount", "5"}, "--user is required"},
		{[]string{"admin", "product", "create", "--name", "   ", "--category", "c", "--price", "1"}, "--name is required"},
		{[]string{"admin", "product", "create", "--name", "n", "--category", "c", "--price", "1,5"}, "--price"},
		{[]string{"admin", "product", "create", "--name", "n", "--category", "c", "--price", "0"}, "--price"},
		{[]string{"admin", "stock", "import", "--product", "0", "--file", stock}, "--product is required"},
		{[]string{"admin", "stock", "import", "--product", "1"}, "--file is required"},
		{[]string{"admin", "stock", "import", "--product", "1", "--file", "/dev/zero"}, "regular file"},
		{[]string{"admin", "stock", "import", "--product", "1", "--file", dir}, "regular file"},
		{[]string{"admin", "price", "set", "--service", "WA!", "--price", "5"}, "--service"},
		{[]string{"admin", "price", "set", "--service", "wa", "--price", "-1"}, "--price"},
		{[]string{"admin", "price", "clear", "--service", "w"}, "--service"},
		{[]string{"ledger"}, "usage: accgen ledger verify"},
		{[]string{"ledger", "verify", "now"}, "usage: accgen ledger verify"},
	} {
		stdout, err := runArgs(unreachableDB, c.args...)
		require.Equal(t, 2, exitCode(err), "%q: %v", c.args, err)
		require.Contains(t, err.Error(), c.says, "%q", c.args)
		require.NotContains(t, err.Error(), "connect", "%q was refused before connecting", c.args)
		require.Empty(t, stdout)
	}
	_, err := runArgs(unreachableDB, "admin", "stock", "import", "--product", "1", "--file", filepath.Join(dir, "missing"))
	require.ErrorContains(t, err, "cannot read --file", "a missing file is found out before connecting")

	for _, args := range [][]string{
		{"admin", "user", "create", "--telegram-id", "5", "--username", "@ada"},
		{"admin", "apikey", "create", "--user", "1", "--name", "bot"},
		{"admin", "topup", "--user", "1", "--amount", "1250.50", "--reference", "r"},
		{"admin", "product", "create", "--name", "n", "--category", "c", "--price", "1"},
		{"admin", "stock", "import", "--product", "1", "--file", stock},
		{"admin", "price", "clear", "--service", "wa"},
		{"ledger", "verify"},
	} {
		_, err := runArgs(unreachableDB, args...)
		require.ErrorContains(t, err, "connect", "%q is valid and reaches the database", args)
	}
}

// Names an operator types reach the engine's text rules: any script and
// emoji are kept, control characters, direction overrides, line separators
// and over-long names are refused, and nothing is created.
func TestAdminRefusesHostileNames(t *testing.T) {
	t.Parallel()
	getenv := env(pgtest.NewURL(t))
	uid, err := accgen(t, getenv, "admin", "user", "create", "--telegram-id", "31337")
	require.NoError(t, err)
	for _, name := range []string{"esc\x1b[2Jclear", "bell\a", "nul\x00", "evil\u202egnp.exe", "split\u2028line", strings.Repeat("x", 200)} {
		_, err := runArgs(getenv, "admin", "product", "create", "--name", name, "--category", "Social", "--price", "100")
		require.Equal(t, 2, exitCode(err), "%q: %v", name, err)
		_, err = runArgs(getenv, "admin", "product", "create", "--name", "ok", "--category", name, "--price", "100")
		require.Equal(t, 2, exitCode(err), "%q: %v", name, err)
		_, err = runArgs(getenv, "admin", "apikey", "create", "--user", uid, "--name", name)
		require.Equal(t, 1, exitCode(err), "%q: %v", name, err)
		require.True(t, utf8.ValidString(err.Error()))
	}
	for _, name := range []string{"Аккаунты ВКонтакте", "🔥 TikTok 10k", "تيليجرام", "O'Brien <b>&</b>"} {
		_, err := runArgs(getenv, "admin", "product", "create", "--name", name, "--category", "Social", "--price", "100")
		require.NoError(t, err, name)
		_, err = runArgs(getenv, "admin", "apikey", "create", "--user", uid, "--name", name)
		require.NoError(t, err, name)
	}
}

// FuzzAdminArgs runs `accgen admin …` with fuzzed arguments and a
// configuration that has no usable database: every run ends in a usage error
// or an unreadable --file, prints nothing on stdout, and never panics.
func FuzzAdminArgs(f *testing.F) {
	for _, seed := range []string{
		"user\x00create\x00--telegram-id\x005", "apikey\x00create\x00--user\x001\x00--name\x00bot",
		"topup\x00--user\x001\x00--amount\x00100.50\x00--reference\x00r", "topup\x00--user=1\x00--amount=-1",
		"product\x00create\x00--name\x00n\x00--category\x00c\x00--price\x001", "stock\x00import\x00--product\x001\x00--file\x00/nonexistent",
		"price\x00set\x00--service\x00wa\x00--country\x00187\x00--price\x001500", "price\x00clear\x00--service\x00wa",
		"", "user", "--help", "topup\x00-h", "user\x00create\x00--telegram-id\x00\u202e5",
	} {
		f.Add(seed)
	}
	noDB := func(k string) string {
		if k == "ACCGEN_DATABASE_URL" {
			return "mysql://nowhere"
		}
		return ""
	}
	f.Fuzz(func(t *testing.T, input string) {
		args := []string{"admin"}
		if input != "" {
			args = append(args, strings.Split(input, "\x00")...)
		}
		for _, a := range args {
			if strings.Contains(a, "/dev/") || strings.Contains(a, "/proc/") || strings.Contains(a, "/sys/") {
				return // a device or kernel file: refused by the regular-file check, not worth reading
			}
		}
		stdout, err := runArgs(noDB, args...)
		require.Error(t, err, "%q", args)
		if code := exitCode(err); code != 2 {
			require.Contains(t, err.Error(), "cannot read --file", "%q: exit %d: %v", args, code, err)
		}
		require.Empty(t, stdout, "%q", args)
	})
}
