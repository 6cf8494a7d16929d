package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"accgen/storage/postgres/pgtest"
)

// accgenOut runs one command in-process and returns stdout and stderr.
func accgenOut(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, getenv, &out, &errOut)
	return strings.TrimSpace(out.String()), strings.TrimSpace(errOut.String()), err
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stock.txt")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestAdminProductCreateAndStockImport(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	getenv := env(dbURL)

	id, _, err := accgenOut(t, getenv, "admin", "product", "create", "--name", "Instagram aged 2019",
		"--category", "Instagram", "--price", "2500.50", "--description", "Email access included")
	require.NoError(t, err)
	require.Regexp(t, `^\d+$`, id)

	file := writeFile(t, "ig1:pass1\r\n\n   ig2:pass2  \n\nig1:pass1\nig3:pass3\n   \nig2:pass2\n")
	out, errOut, err := accgenOut(t, getenv, "admin", "stock", "import", "--product", id, "--file", file)
	require.NoError(t, err)
	require.Equal(t, "3", out)
	require.Equal(t, "skipped 2 duplicate(s)", errOut)

	out, errOut, err = accgenOut(t, getenv, "admin", "stock", "import", "--product", id, "--file", writeFile(t, "ig3:pass3\nig4:pass4\n"))
	require.NoError(t, err)
	require.Equal(t, "1", out, "what is already stored is refused")
	require.Equal(t, "skipped 1 duplicate(s)", errOut)

	out, errOut, err = accgenOut(t, getenv, "admin", "stock", "import", "--product", id, "--file", writeFile(t, "ig5:pass5\n"))
	require.NoError(t, err)
	require.Equal(t, "1", out)
	require.Empty(t, errOut, "no duplicate line when there are none")

	// Stored, and only as ciphertext.
	conn, err := pgx.Connect(context.Background(), dbURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n, leaks int
	require.NoError(t, conn.QueryRow(context.Background(), `
		SELECT count(*), count(*) FILTER (WHERE position('pass'::bytea IN ciphertext) > 0 OR position('ig1' IN s::text) > 0)
		FROM stock_items s`).Scan(&n, &leaks))
	require.Equal(t, 5, n)
	require.Zero(t, leaks)

	_, _, err = accgenOut(t, getenv, "admin", "stock", "import", "--product", "999999", "--file", file)
	require.Equal(t, 1, exitCode(err))
	require.ErrorContains(t, err, "999999 does not exist")

	_, _, err = accgenOut(t, getenv, "admin", "stock", "import", "--product", id, "--file", filepath.Join(t.TempDir(), "missing.txt"))
	require.Equal(t, 1, exitCode(err))
	require.ErrorContains(t, err, "cannot read --file")
	require.ErrorContains(t, err, "no such file")

	for _, args := range [][]string{
		{"admin", "product", "create", "--category", "IG", "--price", "5"},
		{"admin", "product", "create", "--name", "X", "--price", "5"},
		{"admin", "product", "create", "--name", "X", "--category", "IG"},
		{"admin", "product", "create", "--name", "X", "--category", "IG", "--price", "-5"},
		{"admin", "product", "create", "--name", "X", "--category", "IG", "--price", "1.001"},
		{"admin", "product", "create", "--name", strings.Repeat("x", 101), "--category", "IG", "--price", "1"},
		{"admin", "product", "create", "--name", "X", "--category", "IG", "--price", "1", "extra"},
		{"admin", "stock", "import", "--file", file},
		{"admin", "stock", "import", "--product", id},
		{"admin", "stock", "import", "--product", "abc", "--file", file},
		{"admin", "stock", "export", "--product", id},
	} {
		_, _, err := accgenOut(t, getenv, args...)
		require.Equal(t, 2, exitCode(err), "%v: %v", args, err)
	}

	_, _, err = accgenOut(t, env(dbURL, "ACCGEN_ENCRYPTION_KEY", ""), "admin", "stock", "import", "--product", id, "--file", file)
	require.Equal(t, 2, exitCode(err))
	require.ErrorContains(t, err, "ACCGEN_ENCRYPTION_KEY")

	report, _, err := accgenOut(t, getenv, "ledger", "verify")
	require.NoError(t, err)
	require.Contains(t, report, "every account order has its quantity of items")
}

func TestConfigPreviousEncryptionKeys(t *testing.T) {
	t.Parallel()
	const other = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	cfg, err := loadConfig(env("postgres://x/y", "ACCGEN_ENCRYPTION_KEYS_PREVIOUS", " "+other+" , "+other))
	require.NoError(t, err)
	require.Len(t, cfg.EncryptionKeysPrevious, 2)
	require.Len(t, cfg.EncryptionKeysPrevious[0], 32)

	_, err = loadConfig(env("postgres://x/y", "ACCGEN_ENCRYPTION_KEYS_PREVIOUS", other+",c2hvcnQ="))
	require.ErrorContains(t, err, "ACCGEN_ENCRYPTION_KEYS_PREVIOUS: key 2")
	_, err = loadConfig(env("postgres://x/y", "ACCGEN_ENCRYPTION_KEY", "", "ACCGEN_ENCRYPTION_KEYS_PREVIOUS", other))
	require.ErrorContains(t, err, "ACCGEN_ENCRYPTION_KEYS_PREVIOUS: needs ACCGEN_ENCRYPTION_KEY")

	err = cmdServe(context.Background(), []string{"--demo"}, env("postgres://x/y", "ACCGEN_ENCRYPTION_KEY", ""), io.Discard, io.Discard, serveHooks{})
	require.Equal(t, 2, exitCode(err))
	require.ErrorContains(t, err, "ACCGEN_ENCRYPTION_KEY")
}

// The running server sells what the admin CLI stocked: catalog, purchase
// and order history through the REST API, wired as in production.
func TestServeSellsAccounts(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	getenv := env(dbURL)
	id, _, err := accgenOut(t, getenv, "admin", "product", "create", "--name", "Gmail", "--category", "Google", "--price", "700")
	require.NoError(t, err)
	_, _, err = accgenOut(t, getenv, "admin", "stock", "import", "--product", id, "--file", writeFile(t, "a@gmail.com:1\nb@gmail.com:2\n"))
	require.NoError(t, err)

	srv := startDemo(t, getenv)
	base, key := srv.base, srv.key
	require.NotEmpty(t, key, srv.stdout.String())
	call := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}

	status, body := call("GET", "/api/v1/accounts/catalog", "")
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"name":"Gmail","category":"Google","description":"","price_ngn":700.00,"stock":2,"in_stock":true`)

	status, body = call("POST", "/api/v1/accounts/orders", `{"account_id":`+id+`,"quantity":2}`)
	require.Equal(t, 201, status, body)
	var created struct {
		Data struct {
			ID          string   `json:"id"`
			Credentials []string `json:"credentials"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &created))
	require.Equal(t, []string{"a@gmail.com:1", "b@gmail.com:2"}, created.Data.Credentials)

	status, body = call("GET", "/api/v1/accounts/orders/"+created.Data.ID, "")
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"total_ngn":1400.00`)
	status, body = call("GET", "/api/v1/user/balance", "")
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"balance_ngn":48600.00`)

	require.NoError(t, srv.stop())
	report, _, err := accgenOut(t, getenv, "ledger", "verify")
	require.NoError(t, err, report)
}
