package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/socialauth/socialauth/store"
)

// Table names.
const (
	usersTable              = "socialauth_users"
	associationsTable       = "socialauth_associations"
	noncesTable             = "socialauth_nonces"
	openIDAssociationsTable = "socialauth_openid_associations"
	codesTable              = "socialauth_codes"
	partialsTable           = "socialauth_partials"
)

// Store keeps socialauth's records in a SQL database. It is safe for
// concurrent use; create one with New.
type Store struct {
	db      *sql.DB
	dialect Dialect
	opts    Options
}

var _ store.Store = (*Store)(nil)

// New applies the schema migrations (see Migrate) and returns a Store
// keeping its records in db. The caller keeps ownership of db and closes it.
func New(ctx context.Context, db *sql.DB, dialect Dialect, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	if err := Migrate(ctx, db, dialect, opts); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Store{db: db, dialect: dialect, opts: opts}, nil
}

// now returns the current time at the precision kept by the database.
func (s *Store) now() time.Time {
	return fromMicros(s.opts.Now().UnixMicro())
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// parseID parses an ID assigned by the store; malformed IDs name no row.
func parseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != id {
		return 0, false
	}
	return n, true
}

func formatID(n int64) string { return strconv.FormatInt(n, 10) }

// userIDArg converts a user ID into the value of the user_id column: text
// with external users, an integer otherwise.
func (s *Store) userIDArg(id string) (any, bool) {
	if s.opts.ExternalUsers {
		return id, true
	}
	n, ok := parseID(id)
	return n, ok
}

// encodeMap encodes extra data as a JSON object; nil is an empty object.
func encodeMap(what string, m map[string]any) (string, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encoding %s: %w", what, err)
	}
	return string(b), nil
}

// decodeMap decodes a JSON object into a new, never nil, map.
func decodeMap(what, text string) (map[string]any, error) {
	m := make(map[string]any)
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil, fmt.Errorf("sqlstore: decoding %s: %w", what, err)
	}
	if m == nil {
		m = make(map[string]any)
	}
	return m, nil
}

// writeErr wraps the error of a write: integrity errors match
// store.ErrConflict, and the driver's error stays in the chain.
func (s *Store) writeErr(what string, err error) error {
	if s.dialect.isUniqueViolation(err) {
		return fmt.Errorf("sqlstore: %s: %w: %w", what, store.ErrConflict, err)
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// readErr wraps the error of a lookup: sql.ErrNoRows matches
// store.ErrNotFound.
func readErr(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlstore: %s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("sqlstore: %s: %w", what, err)
}

// notFound is the error of a write that matched no row.
func notFound(what string) error {
	return fmt.Errorf("sqlstore: %s: %w", what, store.ErrNotFound)
}

// execOne runs a statement that must change one row; none is ErrNotFound.
func (s *Store) execOne(ctx context.Context, what, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.dialect.rebind(query), args...)
	if err != nil {
		return s.writeErr(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// insertID runs an INSERT and returns the id of the new row.
func (s *Store) insertID(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(query+" RETURNING id"), args...).Scan(&id)
	return id, err
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

const userColumns = "id, username, email, first_name, last_name, is_active, extra, created_at"

func scanUser(r rowScanner) (*store.User, error) {
	var (
		u         store.User
		id        int64
		extra     string
		createdAt int64
	)
	if err := r.Scan(&id, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.IsActive, &extra, &createdAt); err != nil {
		return nil, err
	}
	m, err := decodeMap("user extra", extra)
	if err != nil {
		return nil, err
	}
	u.ID, u.Extra, u.CreatedAt = formatID(id), m, fromMicros(createdAt)
	return &u, nil
}

// checkUser refuses a user whose username is too long.
func (s *Store) checkUser(u *store.User) error {
	return checkLength(usersTable, "username", u.Username, s.opts.UsernameMaxLength)
}

// GetUser returns the user with an id, or an error matching
// store.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (*store.User, error) {
	what := fmt.Sprintf("user %q", id)
	n, ok := parseID(id)
	if !ok {
		return nil, notFound(what)
	}
	row := s.db.QueryRowContext(ctx, s.dialect.rebind("SELECT "+userColumns+" FROM "+usersTable+" WHERE id = ?"), n)
	u, err := scanUser(row)
	if err != nil {
		return nil, readErr(what, err)
	}
	return u, nil
}

// UserExists reports whether a user has exactly that username.
func (s *Store) UserExists(ctx context.Context, username string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, s.dialect.rebind("SELECT 1 FROM "+usersTable+" WHERE username = ?"), username).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlstore: user exists: %w", err)
	}
	return true, nil
}

// UsersByEmail returns the users whose email equals email without regard to
// case, oldest first. An empty email matches nobody.
func (s *Store) UsersByEmail(ctx context.Context, email string) ([]*store.User, error) {
	if email == "" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx,
		s.dialect.rebind("SELECT "+userColumns+" FROM "+usersTable+" WHERE email_lower = ? ORDER BY id"),
		strings.ToLower(email))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: users by email: %w", err)
	}
	defer rows.Close()
	var users []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: users by email: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: users by email: %w", err)
	}
	return users, nil
}

// CreateUser stores a new user and sets its ID and CreatedAt. A taken
// username is an error matching store.ErrConflict; a username longer than
// UsernameMaxLength is a *FieldTooLongError.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	if err := s.checkUser(u); err != nil {
		return err
	}
	extra, err := encodeMap("user extra", u.Extra)
	if err != nil {
		return err
	}
	createdAt := s.now()
	id, err := s.insertID(ctx,
		"INSERT INTO "+usersTable+" (username, email, email_lower, first_name, last_name, is_active, extra, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		u.Username, u.Email, strings.ToLower(u.Email), u.FirstName, u.LastName, u.IsActive, extra, createdAt.UnixMicro())
	if err != nil {
		return s.writeErr(fmt.Sprintf("creating user %q", u.Username), err)
	}
	u.ID, u.CreatedAt = formatID(id), createdAt
	return nil
}

// UpdateUser saves the fields of an existing user; CreatedAt is kept as
// stored. An unknown ID is an error matching store.ErrNotFound, a username
// taken by another user one matching store.ErrConflict.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	what := fmt.Sprintf("updating user %q", u.ID)
	n, ok := parseID(u.ID)
	if !ok {
		return notFound(what)
	}
	if err := s.checkUser(u); err != nil {
		return err
	}
	extra, err := encodeMap("user extra", u.Extra)
	if err != nil {
		return err
	}
	return s.execOne(ctx, what,
		"UPDATE "+usersTable+" SET username = ?, email = ?, email_lower = ?, first_name = ?, last_name = ?, is_active = ?, extra = ? WHERE id = ?",
		u.Username, u.Email, strings.ToLower(u.Email), u.FirstName, u.LastName, u.IsActive, extra, n)
}

// UsernameMaxLength is the longest username the store accepts.
func (s *Store) UsernameMaxLength() int { return s.opts.UsernameMaxLength }

const associationColumns = "id, user_id, provider, uid, extra_data, created_at, updated_at"

func scanAssociation(r rowScanner) (*store.Association, error) {
	var (
		a                    store.Association
		id                   int64
		userID               string
		extra                string
		createdAt, updatedAt int64
	)
	if err := r.Scan(&id, &userID, &a.Provider, &a.UID, &extra, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	m, err := decodeMap("association extra data", extra)
	if err != nil {
		return nil, err
	}
	a.ID, a.UserID, a.ExtraData = formatID(id), userID, m
	a.CreatedAt, a.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	return &a, nil
}

// checkAssociation refuses an association whose fields are too long.
func (s *Store) checkAssociation(a *store.Association) error {
	if err := checkLength(associationsTable, "provider", a.Provider, ProviderLength); err != nil {
		return err
	}
	if err := checkLength(associationsTable, "uid", a.UID, s.opts.UIDLength); err != nil {
		return err
	}
	if s.opts.ExternalUsers {
		return checkLength(associationsTable, "user_id", a.UserID, 255)
	}
	return nil
}

// associationWriteErr maps a reference to a missing user to
// store.ErrNotFound, and integrity errors to store.ErrConflict.
func (s *Store) associationWriteErr(what, userID string, err error) error {
	if s.dialect.isForeignKeyViolation(err) {
		return fmt.Errorf("sqlstore: %s: user %q: %w: %w", what, userID, store.ErrNotFound, err)
	}
	return s.writeErr(what, err)
}

// GetAssociation returns the association of a provider account, or an
// error matching store.ErrNotFound.
func (s *Store) GetAssociation(ctx context.Context, provider, uid string) (*store.Association, error) {
	row := s.db.QueryRowContext(ctx,
		s.dialect.rebind("SELECT "+associationColumns+" FROM "+associationsTable+" WHERE provider = ? AND uid = ?"),
		provider, uid)
	a, err := scanAssociation(row)
	if err != nil {
		return nil, readErr(fmt.Sprintf("association %s/%q", provider, uid), err)
	}
	return a, nil
}

// GetAssociationByID returns an association by its ID, or an error matching
// store.ErrNotFound.
func (s *Store) GetAssociationByID(ctx context.Context, id string) (*store.Association, error) {
	what := fmt.Sprintf("association %q", id)
	n, ok := parseID(id)
	if !ok {
		return nil, notFound(what)
	}
	row := s.db.QueryRowContext(ctx,
		s.dialect.rebind("SELECT "+associationColumns+" FROM "+associationsTable+" WHERE id = ?"), n)
	a, err := scanAssociation(row)
	if err != nil {
		return nil, readErr(what, err)
	}
	return a, nil
}

// AssociationsForUser returns a user's associations, oldest first; with a
// non-empty provider, only those of that provider.
func (s *Store) AssociationsForUser(ctx context.Context, userID, provider string) ([]*store.Association, error) {
	arg, ok := s.userIDArg(userID)
	if !ok {
		return nil, nil
	}
	query := "SELECT " + associationColumns + " FROM " + associationsTable + " WHERE user_id = ?"
	args := []any{arg}
	if provider != "" {
		query += " AND provider = ?"
		args = append(args, provider)
	}
	query += " ORDER BY created_at, id"
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: associations of user %q: %w", userID, err)
	}
	defer rows.Close()
	var list []*store.Association
	for rows.Next() {
		a, err := scanAssociation(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: associations of user %q: %w", userID, err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: associations of user %q: %w", userID, err)
	}
	return list, nil
}

// CreateAssociation stores a new association and sets its ID, CreatedAt and
// UpdatedAt. An existing (Provider, UID) is an error matching
// store.ErrConflict; a user that does not exist (with socialauth's own users
// table) one matching store.ErrNotFound; too long a field a
// *FieldTooLongError.
func (s *Store) CreateAssociation(ctx context.Context, a *store.Association) error {
	what := fmt.Sprintf("creating association %s/%q", a.Provider, a.UID)
	if err := s.checkAssociation(a); err != nil {
		return err
	}
	userID, ok := s.userIDArg(a.UserID)
	if !ok {
		return fmt.Errorf("sqlstore: %s: user %q: %w", what, a.UserID, store.ErrNotFound)
	}
	extra, err := encodeMap("association extra data", a.ExtraData)
	if err != nil {
		return err
	}
	now := s.now()
	id, err := s.insertID(ctx,
		"INSERT INTO "+associationsTable+" (user_id, provider, uid, extra_data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		userID, a.Provider, a.UID, extra, now.UnixMicro(), now.UnixMicro())
	if err != nil {
		return s.associationWriteErr(what, a.UserID, err)
	}
	a.ID, a.CreatedAt, a.UpdatedAt = formatID(id), now, now
	return nil
}

// UpdateAssociation saves the ExtraData and UserID of an association and
// sets its UpdatedAt. An unknown ID is an error matching store.ErrNotFound,
// as is a user that does not exist (with socialauth's own users table).
func (s *Store) UpdateAssociation(ctx context.Context, a *store.Association) error {
	what := fmt.Sprintf("updating association %q", a.ID)
	n, ok := parseID(a.ID)
	if !ok {
		return notFound(what)
	}
	if s.opts.ExternalUsers {
		if err := checkLength(associationsTable, "user_id", a.UserID, 255); err != nil {
			return err
		}
	}
	userID, ok := s.userIDArg(a.UserID)
	if !ok {
		return fmt.Errorf("sqlstore: %s: user %q: %w", what, a.UserID, store.ErrNotFound)
	}
	extra, err := encodeMap("association extra data", a.ExtraData)
	if err != nil {
		return err
	}
	now := s.now()
	res, err := s.db.ExecContext(ctx,
		s.dialect.rebind("UPDATE "+associationsTable+" SET user_id = ?, extra_data = ?, updated_at = ? WHERE id = ?"),
		userID, extra, now.UnixMicro(), n)
	if err != nil {
		return s.associationWriteErr(what, a.UserID, err)
	}
	if count, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	} else if count == 0 {
		return notFound(what)
	}
	a.UpdatedAt = now
	return nil
}

// DeleteAssociation removes an association. An unknown ID is an error
// matching store.ErrNotFound.
func (s *Store) DeleteAssociation(ctx context.Context, id string) error {
	what := fmt.Sprintf("deleting association %q", id)
	n, ok := parseID(id)
	if !ok {
		return notFound(what)
	}
	return s.execOne(ctx, what, "DELETE FROM "+associationsTable+" WHERE id = ?", n)
}

// UseNonce records a nonce; a nonce already used is an error matching
// store.ErrConflict. A server URL or salt that is too long is a
// *FieldTooLongError.
func (s *Store) UseNonce(ctx context.Context, n store.Nonce) error {
	if err := checkLength(noncesTable, "server_url", n.ServerURL, s.opts.NonceServerURLLength); err != nil {
		return err
	}
	if err := checkLength(noncesTable, "salt", n.Salt, SaltLength); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx,
		s.dialect.rebind("INSERT INTO "+noncesTable+" (server_url, timestamp, salt) VALUES (?, ?, ?)"),
		n.ServerURL, n.Timestamp, n.Salt)
	if err != nil {
		return s.writeErr(fmt.Sprintf("using nonce of %s", n.ServerURL), err)
	}
	return nil
}

// StoreOpenIDAssociation stores the association, replacing one with the
// same (ServerURL, Handle) and keeping that one's ID, and sets a.ID. Too
// long a field is a *FieldTooLongError.
func (s *Store) StoreOpenIDAssociation(ctx context.Context, a *store.OpenIDAssociation) error {
	checks := []struct {
		column, value string
		max           int
	}{
		{"server_url", a.ServerURL, s.opts.AssociationServerURLLength},
		{"handle", a.Handle, s.opts.AssociationHandleLength},
		{"assoc_type", a.AssocType, AssocTypeLength},
	}
	for _, c := range checks {
		if err := checkLength(openIDAssociationsTable, c.column, c.value, c.max); err != nil {
			return err
		}
	}
	secret := a.Secret
	if secret == nil {
		secret = []byte{}
	}
	query := s.dialect.upsert(openIDAssociationsTable,
		[]string{"server_url", "handle", "secret", "issued_at", "lifetime_ns", "assoc_type"},
		[]string{"server_url", "handle"},
		[]string{"secret", "issued_at", "lifetime_ns", "assoc_type"}, true)
	var id int64
	err := s.db.QueryRowContext(ctx, query,
		a.ServerURL, a.Handle, secret, a.IssuedAt.UnixMicro(), int64(a.Lifetime), a.AssocType).Scan(&id)
	if err != nil {
		return s.writeErr(fmt.Sprintf("storing OpenID association of %s", a.ServerURL), err)
	}
	a.ID = formatID(id)
	return nil
}

// OpenIDAssociations returns the associations of a server, oldest stored
// first; with a non-empty handle, only that one.
func (s *Store) OpenIDAssociations(ctx context.Context, serverURL, handle string) ([]*store.OpenIDAssociation, error) {
	query := "SELECT id, server_url, handle, secret, issued_at, lifetime_ns, assoc_type FROM " + openIDAssociationsTable + " WHERE server_url = ?"
	args := []any{serverURL}
	if handle != "" {
		query += " AND handle = ?"
		args = append(args, handle)
	}
	query += " ORDER BY id"
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: OpenID associations of %s: %w", serverURL, err)
	}
	defer rows.Close()
	var list []*store.OpenIDAssociation
	for rows.Next() {
		var (
			a                  store.OpenIDAssociation
			id, issued, lifeNS int64
		)
		if err := rows.Scan(&id, &a.ServerURL, &a.Handle, &a.Secret, &issued, &lifeNS, &a.AssocType); err != nil {
			return nil, fmt.Errorf("sqlstore: OpenID associations of %s: %w", serverURL, err)
		}
		a.ID, a.IssuedAt, a.Lifetime = formatID(id), fromMicros(issued), time.Duration(lifeNS)
		list = append(list, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: OpenID associations of %s: %w", serverURL, err)
	}
	return list, nil
}

// removeBatch is how many ids one DELETE statement names at most, well
// under every database's limit on bound parameters.
const removeBatch = 500

// RemoveOpenIDAssociations removes associations by ID, in one transaction;
// unknown IDs are ignored.
func (s *Store) RemoveOpenIDAssociations(ctx context.Context, ids []string) error {
	var nums []any
	for _, id := range ids {
		if n, ok := parseID(id); ok {
			nums = append(nums, n)
		}
	}
	if len(nums) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: removing OpenID associations: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for start := 0; start < len(nums); start += removeBatch {
		batch := nums[start:min(start+removeBatch, len(nums))]
		query := "DELETE FROM " + openIDAssociationsTable + " WHERE id IN (" +
			strings.TrimSuffix(strings.Repeat("?, ", len(batch)), ", ") + ")"
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(query), batch...); err != nil {
			return fmt.Errorf("sqlstore: removing OpenID associations: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: removing OpenID associations: %w", err)
	}
	return nil
}

// CreateCode stores a new code and sets CreatedAt. A code already stored is
// an error matching store.ErrConflict.
func (s *Store) CreateCode(ctx context.Context, c *store.Code) error {
	now := s.now()
	_, err := s.db.ExecContext(ctx,
		s.dialect.rebind("INSERT INTO "+codesTable+" (code, email, verified, created_at) VALUES (?, ?, ?, ?)"),
		c.Code, c.Email, c.Verified, now.UnixMicro())
	if err != nil {
		return s.writeErr("creating code", err)
	}
	c.CreatedAt = now
	return nil
}

// GetCode returns a code, or an error matching store.ErrNotFound.
func (s *Store) GetCode(ctx context.Context, code string) (*store.Code, error) {
	var (
		c         store.Code
		createdAt int64
	)
	err := s.db.QueryRowContext(ctx,
		s.dialect.rebind("SELECT code, email, verified, created_at FROM "+codesTable+" WHERE code = ?"), code).
		Scan(&c.Code, &c.Email, &c.Verified, &createdAt)
	if err != nil {
		return nil, readErr("code", err)
	}
	c.CreatedAt = fromMicros(createdAt)
	return &c, nil
}

// VerifyCode marks a code verified, atomically. A code already verified
// is an error matching store.ErrConflict, an unknown code one matching
// store.ErrNotFound.
func (s *Store) VerifyCode(ctx context.Context, code string) error {
	err := s.execOne(ctx, "verifying code", "UPDATE "+codesTable+" SET verified = ? WHERE code = ? AND verified = ?", true, code, false)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Nothing updated: unknown, or verified already (by a concurrent call).
	if _, gerr := s.GetCode(ctx, code); gerr == nil {
		return fmt.Errorf("sqlstore: code already verified: %w", store.ErrConflict)
	}
	return err
}

// SavePartial stores a partial, replacing one with the same Token, and sets
// CreatedAt if it is zero.
func (s *Store) SavePartial(ctx context.Context, p *store.Partial) error {
	createdAt := p.CreatedAt
	if createdAt.IsZero() {
		createdAt = s.now()
	}
	data := p.Data
	if data == nil {
		data = []byte{}
	}
	query := s.dialect.upsert(partialsTable,
		[]string{"token", "backend", "next_step", "data", "created_at"},
		[]string{"token"},
		[]string{"backend", "next_step", "data", "created_at"}, false)
	if _, err := s.db.ExecContext(ctx, query, p.Token, p.Backend, p.NextStep, data, createdAt.UnixMicro()); err != nil {
		return s.writeErr("saving partial", err)
	}
	p.CreatedAt = createdAt
	return nil
}

// GetPartial returns a partial, or an error matching store.ErrNotFound.
func (s *Store) GetPartial(ctx context.Context, token string) (*store.Partial, error) {
	var (
		p         store.Partial
		createdAt int64
	)
	err := s.db.QueryRowContext(ctx,
		s.dialect.rebind("SELECT token, backend, next_step, data, created_at FROM "+partialsTable+" WHERE token = ?"), token).
		Scan(&p.Token, &p.Backend, &p.NextStep, &p.Data, &createdAt)
	if err != nil {
		return nil, readErr("partial", err)
	}
	p.CreatedAt = fromMicros(createdAt)
	return &p, nil
}

// DeletePartial removes a partial; an unknown token is not an error.
func (s *Store) DeletePartial(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, s.dialect.rebind("DELETE FROM "+partialsTable+" WHERE token = ?"), token); err != nil {
		return fmt.Errorf("sqlstore: deleting partial: %w", err)
	}
	return nil
}
