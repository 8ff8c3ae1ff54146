package main

import (
	"bytes"
	"database/sql"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/providers"
)

// runCLI runs the command line in-process.
func runCLI(t *testing.T, environ []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, environ, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestProvidersListsTheCatalogue(t *testing.T) {
	out, _, err := runCLI(t, testEnviron(), "providers")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "PROTOCOL") {
		t.Errorf("header = %q", lines[0])
	}
	rows := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Errorf("short row %q", l)
			continue
		}
		rows[f[0]] = f
	}
	for _, name := range []string{"github", "google-oauth2", "facebook", "oauth2"} {
		if f, ok := rows[name]; !ok || f[1] != "oauth2" {
			t.Errorf("providers does not list %s as an oauth2 backend:\n%s", name, out)
		}
	}
	if len(rows) != len(providers.Catalogue()) {
		t.Errorf("providers lists %d backends, the catalogue has %d", len(rows), len(providers.Catalogue()))
	}
	// Provider-specific settings are shown.
	if f := rows["github-org"]; !slices.Contains(f, "NAME") {
		t.Errorf("github-org row does not name its NAME setting: %q", f)
	}
}

func TestCheck(t *testing.T) {
	secret := "SOCIAL_AUTH_SECRET_KEY=" + strings.Repeat("s", 64)
	tests := []struct {
		name    string
		environ []string
		// problems are the texts the error must contain; none means valid.
		problems []string
	}{
		{
			name: "valid",
			environ: testEnviron(secret,
				"SOCIAL_AUTH_AUTHENTICATION_BACKENDS=github,google-oauth2",
				"SOCIAL_AUTH_GITHUB_KEY=gh-id", "SOCIAL_AUTH_GITHUB_SECRET=gh-secret",
				"SOCIAL_AUTH_GOOGLE_OAUTH2_KEY=g-id", "SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET=g-secret"),
		},
		{
			name: "every problem at once",
			environ: testEnviron(
				"SOCIAL_AUTH_AUTHENTICATION_BACKENDS=github,nosuchbackend,google-oauth2",
				"SOCIAL_AUTH_GITHUB_KEY=gh-id",
				"SOCIAL_AUTH_RAISE_EXCEPTIONS=perhaps"),
			problems: []string{
				`unknown backend "nosuchbackend"`,
				"SOCIAL_AUTH_GITHUB_SECRET is not set",
				"SOCIAL_AUTH_GOOGLE_OAUTH2_KEY is not set",
				"SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET is not set",
				"SOCIAL_AUTH_SECRET_KEY is not set",
				"RAISE_EXCEPTIONS",
			},
		},
		{
			name:     "nothing enabled",
			environ:  testEnviron(secret),
			problems: []string{"no backend enabled"},
		},
		{
			name: "generic backend without endpoints",
			environ: testEnviron(secret, "SOCIAL_AUTH_AUTHENTICATION_BACKENDS=oauth2",
				"SOCIAL_AUTH_OAUTH2_KEY=k", "SOCIAL_AUTH_OAUTH2_SECRET=s"),
			problems: []string{"SOCIAL_AUTH_OAUTH2_AUTHORIZATION_URL", "SOCIAL_AUTH_OAUTH2_ACCESS_TOKEN_URL", "SOCIAL_AUTH_OAUTH2_USER_DATA_URL"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runCLI(t, tc.environ, "check")
			if len(tc.problems) == 0 {
				if err != nil || !strings.Contains(out, "settings are valid") {
					t.Fatalf("check = %v, output %q", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("check passed, output %q", out)
			}
			if strings.Contains(out, "valid") {
				t.Errorf("check printed %q for invalid settings", out)
			}
			var ce *socialauth.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *socialauth.ConfigError", err)
			}
			for _, p := range tc.problems {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error does not mention %q:\n%v", p, err)
				}
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	// A file name with URI metacharacters must name that very file.
	path := filepath.Join(dir, "odd?name#1 %20.db")
	for range 2 { // idempotent
		out, _, err := runCLI(t, testEnviron(), "migrate", "--db", path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "up to date") {
			t.Errorf("migrate printed %q", out)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Contains(names, filepath.Base(path)) {
		t.Fatalf("migrate created %v, want %q", names, filepath.Base(path))
	}

	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"socialauth_users", "socialauth_associations", "socialauth_partials", "socialauth_codes"} {
		var n int
		err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("table %s: count %d, %v", table, n, err)
		}
	}
	// The tables work: a user can be stored.
	if _, err := db.ExecContext(t.Context(), "SELECT id, username, email FROM socialauth_users"); err != nil {
		t.Errorf("socialauth_users: %v", err)
	}
}

func TestMigrateNeedsADatabase(t *testing.T) {
	for _, args := range [][]string{
		{"migrate"},
		{"migrate", "--db"},
		{"migrate", "--db", filepath.Join(t.TempDir(), "no", "such", "dir.db")},
		{"migrate", "--db", filepath.Join(t.TempDir(), "x.db"), "extra"},
	} {
		if _, _, err := runCLI(t, testEnviron(), args...); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

func TestCommandLine(t *testing.T) {
	_, errOut, err := runCLI(t, testEnviron(), "frobnicate")
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) || !strings.Contains(errOut, "usage:") {
		t.Errorf("unknown command: %v, stderr %q", err, errOut)
	}
	_, errOut, err = runCLI(t, testEnviron())
	if err == nil || !strings.Contains(errOut, "usage:") {
		t.Errorf("no command: %v, stderr %q", err, errOut)
	}
	for _, help := range []string{"help", "-h", "--help"} {
		out, _, err := runCLI(t, testEnviron(), help)
		if err != nil || !strings.Contains(out, "commands:") {
			t.Errorf("%s: %v, %q", help, err, out)
		}
	}
	// A command's own -h is help, not a failure to report.
	if _, errOut, err := runCLI(t, testEnviron(), "migrate", "-h"); !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut, "-db") {
		t.Errorf("migrate -h: %v, %q", err, errOut)
	}
}

func TestSQLiteDSN(t *testing.T) {
	tests := []struct{ path, want string }{
		{"demo.db", "file:demo.db"},
		{"/tmp/a b/x.db", "file:/tmp/a%20b/x.db"},
		{"q?#%.db", "file:q%3F%23%25.db"},
		{"//tmp/x.db", "file:/tmp/x.db"},
	}
	for _, tc := range tests {
		if got := sqliteDSN(tc.path); got != tc.want {
			t.Errorf("sqliteDSN(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
	if got := sqliteDSN("x.db", "foreign_keys(1)", "busy_timeout(5000)"); got != "file:x.db?_pragma=foreign_keys%281%29&_pragma=busy_timeout%285000%29" {
		t.Errorf("with pragmas: %q", got)
	}
	// The driver applies the escaped pragmas.
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "p?.db"), "foreign_keys(1)", "journal_mode(WAL)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fk int
	var mode string
	if err := db.QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v", fk, err)
	}
	if err := db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
}
