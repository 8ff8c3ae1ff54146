package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/socialauth/socialauth/form"
	"github.com/socialauth/socialauth/store"
)

// passwordsTable keeps the password hashes of people who signed up by
// email. It belongs to the demo, not to socialauth: an application keeps
// hashes in its own user table; socialauth only asks for them through
// form.PasswordHashes.
const passwordsTable = "demo_passwords"

// sqlPasswords is a form.PasswordHashes kept in the demo's SQLite
// database, so that passwords survive a restart.
type sqlPasswords struct {
	db  *sql.DB
	now func() time.Time
}

var _ form.PasswordHashes = (*sqlPasswords)(nil)

// newSQLPasswords creates the demo's password table when it is missing.
// The users table must exist: a user's hash goes when the user does.
func newSQLPasswords(ctx context.Context, db *sql.DB) (*sqlPasswords, error) {
	_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+passwordsTable+` (
	user_id INTEGER PRIMARY KEY REFERENCES socialauth_users (id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	updated_at TEXT NOT NULL
)`)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", passwordsTable, err)
	}
	return &sqlPasswords{db: db, now: time.Now}, nil
}

// userKey reads a user id of the SQL store, which are integers.
func userKey(userID string) (int64, bool) {
	n, err := strconv.ParseInt(userID, 10, 64)
	return n, err == nil && n > 0
}

// Get implements form.PasswordHashes.
func (p *sqlPasswords) Get(ctx context.Context, userID string) (string, error) {
	notFound := fmt.Errorf("password of user %q: %w", userID, store.ErrNotFound)
	key, ok := userKey(userID)
	if !ok {
		return "", notFound
	}
	var hash string
	err := p.db.QueryRowContext(ctx, `SELECT hash FROM `+passwordsTable+` WHERE user_id = ?`, key).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound
	}
	if err != nil {
		return "", fmt.Errorf("reading the password of user %q: %w", userID, err)
	}
	return hash, nil
}

// Set implements form.PasswordHashes.
func (p *sqlPasswords) Set(ctx context.Context, userID, hash string) error {
	key, ok := userKey(userID)
	if !ok {
		return fmt.Errorf("password of user %q: %w", userID, store.ErrNotFound)
	}
	_, err := p.db.ExecContext(ctx, `INSERT INTO `+passwordsTable+` (user_id, hash, updated_at) VALUES (?, ?, ?)
ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
		key, hash, p.now().UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("keeping the password of user %q: %w", userID, err)
	}
	return nil
}
