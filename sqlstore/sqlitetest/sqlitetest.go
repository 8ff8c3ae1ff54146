// Package sqlitetest runs the sqlstore tests against SQLite through the
// pure-Go modernc.org/sqlite driver. It is its own module so that sqlstore
// itself depends on no driver.
//
// It also offers OpenDB, which other socialauth tests can use to get a
// fresh SQLite database.
package sqlitetest

import (
	"database/sql"
	"net/url"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DSN returns the data source name of a SQLite database file with the
// settings socialauth expects: foreign keys enforced, a five-second busy
// timeout and write-ahead logging.
func DSN(path string) string {
	u := url.URL{Scheme: "file", Path: path}
	return u.String() + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
}

// OpenDB opens a new, empty SQLite database file in tb.TempDir(), closes it
// when the test ends, and returns it with its file path.
func OpenDB(tb testing.TB) (*sql.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "socialauth.db")
	return Open(tb, path), path
}

// Open opens the SQLite database file at path (creating it if needed) and
// closes it when the test ends.
func Open(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		tb.Fatalf("opening %s: %v", path, err)
	}
	if err := db.Ping(); err != nil {
		tb.Fatalf("opening %s: %v", path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
