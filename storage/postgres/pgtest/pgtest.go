// Package pgtest gives each test a fresh, migrated PostgreSQL database,
// cloned from a template that is migrated once per migration set. Import it
// from _test.go files only.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"accgen/storage/postgres"
)

// DefaultURL is the server the tests use unless ACCGEN_TEST_DATABASE_URL
// names another; `make test` starts one there when none is running.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the maintenance-database URL of the test server.
func ServerURL() string {
	if u := os.Getenv("ACCGEN_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// NewURL creates a fresh migrated database for t and returns its URL. The
// database is dropped when t passes and kept (its URL logged) when t fails.
func NewURL(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(context.Background()) })
	if templateErr != nil {
		t.Fatalf("pgtest: cannot prepare the template database on %s: %v (is PostgreSQL running? `make test` starts one)", redact(ServerURL()), templateErr)
	}
	return create(t, "TEMPLATE "+templateName)
}

// NewEmptyURL creates a fresh database with no schema (for migration tests).
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	return create(t, "")
}

func create(t testing.TB, options string) string {
	t.Helper()
	ctx := context.Background()
	name := "accgen_test_" + randomHex(8)
	admin := connect(t, ServerURL())
	defer admin.Close(ctx)
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		// Cloning fails while another session is still connected to the
		// template (a concurrent package finishing its build); retry.
		_, err = admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s %s`, name, options))
		if err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	dbURL := withDatabase(ServerURL(), name)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pgtest: kept database of failed test: %s", redact(dbURL))
			return
		}
		c := connect(t, ServerURL())
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	return dbURL
}

// New returns an open store on a fresh migrated database for t.
func New(t testing.TB) *postgres.DB {
	t.Helper()
	// A small pool: many tests run at once against one server.
	db, err := postgres.Open(context.Background(), withParam(NewURL(t), "pool_max_conns", "8"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	// Registered after NewURL's cleanup, so it runs first: close, then drop.
	t.Cleanup(db.Close)
	return db
}

// ensureTemplate builds the template database for the current migrations
// once per server, under an advisory lock so parallel test binaries agree.
func ensureTemplate(ctx context.Context) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "accgen_tmpl_" + sum[:16]
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(726354)`); err != nil {
		return "", err
	}
	defer admin.Exec(ctx, `SELECT pg_advisory_unlock(726354)`) //nolint:errcheck // the session ends right after
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil || exists {
		return name, err
	}
	// Build under a temporary name and rename when complete, so a crash
	// mid-build never leaves a half-migrated template behind.
	building := name + "_building"
	if _, err := admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, withDatabase(ServerURL(), building), slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return "", err
	}
	_, err = admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name))
	return name, err
}

func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(postgres.MigrationsFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(postgres.MigrationsFS(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func connect(t testing.TB, u string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", redact(u), err)
	}
	return c
}

func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(fmt.Sprintf("pgtest: bad server url: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

func withParam(raw, k, v string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(fmt.Sprintf("pgtest: bad url: %v", err))
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	return p.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
