package sqlitetest_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/sqlstore"
	"github.com/socialauth/socialauth/sqlstore/sqlitetest"
	"github.com/socialauth/socialauth/store"
)

// tableNames lists the socialauth tables in the database.
func tableNames(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'socialauth_%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("counting %s: %v", table, err)
	}
	return n
}

func TestMigrateCreatesAllTables(t *testing.T) {
	db, _ := sqlitetest.OpenDB(t)
	if err := sqlstore.Migrate(t.Context(), db, sqlstore.SQLite, sqlstore.Options{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"socialauth_associations", "socialauth_codes", "socialauth_nonces", "socialauth_openid_associations",
		"socialauth_partials", "socialauth_schema_migrations", "socialauth_users",
	}
	if got := tableNames(t, db); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("tables = %v, want %v", got, want)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := t.Context()
	db, _ := sqlitetest.OpenDB(t)
	s, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Username: "alice", Email: "alice@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	applied := countRows(t, db, "socialauth_schema_migrations")
	if applied == 0 {
		t.Fatal("no migration recorded")
	}
	for range 3 {
		if err := sqlstore.Migrate(ctx, db, sqlstore.SQLite, sqlstore.Options{}); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	s2, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		t.Fatalf("New again: %v", err)
	}
	if got := countRows(t, db, "socialauth_schema_migrations"); got != applied {
		t.Errorf("%d migrations recorded after re-running, want %d", got, applied)
	}
	if _, err := s2.GetUser(ctx, u.ID); err != nil {
		t.Errorf("user lost by re-running migrations: %v", err)
	}
}

// TestConcurrentMigrate runs migrations from several connection pools at
// once, as several processes starting together would.
func TestConcurrentMigrate(t *testing.T) {
	_, path := sqlitetest.OpenDB(t)
	const starters = 4
	dbs := make([]*sql.DB, starters)
	for i := range dbs {
		dbs[i] = sqlitetest.Open(t, path)
	}
	errs := make([]error, starters)
	var wg sync.WaitGroup
	for i := range starters {
		wg.Go(func() {
			errs[i] = sqlstore.Migrate(context.Background(), dbs[i], sqlstore.SQLite, sqlstore.Options{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("starter %d: %v", i, err)
		}
	}
	if got := countRows(t, dbs[0], "socialauth_schema_migrations"); got != 1 {
		t.Errorf("%d migrations recorded, want 1", got)
	}
}

func TestNewRefusesBadArguments(t *testing.T) {
	ctx := t.Context()
	db, _ := sqlitetest.OpenDB(t)
	if _, err := sqlstore.New(ctx, db, sqlstore.Dialect(0), sqlstore.Options{}); err == nil {
		t.Error("New accepted the zero Dialect")
	}
	if _, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{UIDLength: -1}); err == nil {
		t.Error("New accepted a negative length")
	}
	if _, err := sqlstore.New(ctx, nil, sqlstore.SQLite, sqlstore.Options{}); err == nil {
		t.Error("New accepted a nil *sql.DB")
	}
	if names := tableNames(t, db); len(names) != 0 {
		t.Errorf("refused New created tables %v", names)
	}
}

func TestSchemaCarriesLengths(t *testing.T) {
	db, _ := sqlitetest.OpenDB(t)
	opts := sqlstore.Options{UIDLength: 223, NonceServerURLLength: 201, AssociationServerURLLength: 202, AssociationHandleLength: 203, UsernameMaxLength: 30}
	if err := sqlstore.Migrate(t.Context(), db, sqlstore.SQLite, opts); err != nil {
		t.Fatal(err)
	}
	ddl := map[string]string{}
	rows, err := db.Query("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			t.Fatal(err)
		}
		ddl[name] = text
	}
	want := map[string][]string{
		"socialauth_users":               {"username VARCHAR(30)"},
		"socialauth_associations":        {"uid VARCHAR(223)", "provider VARCHAR(32)", "REFERENCES socialauth_users"},
		"socialauth_nonces":              {"server_url VARCHAR(201)", "salt VARCHAR(40)"},
		"socialauth_openid_associations": {"server_url VARCHAR(202)", "handle VARCHAR(203)"},
	}
	for table, fragments := range want {
		for _, f := range fragments {
			if !strings.Contains(ddl[table], f) {
				t.Errorf("%s DDL lacks %q:\n%s", table, f, ddl[table])
			}
		}
	}
}

// TestLookupsUseIndexes checks with EXPLAIN QUERY PLAN that every lookup
// the store makes is answered from an index rather than a table scan.
func TestLookupsUseIndexes(t *testing.T) {
	db, _ := sqlitetest.OpenDB(t)
	if err := sqlstore.Migrate(t.Context(), db, sqlstore.SQLite, sqlstore.Options{}); err != nil {
		t.Fatal(err)
	}
	queries := []string{
		"SELECT * FROM socialauth_users WHERE id = 1",
		"SELECT 1 FROM socialauth_users WHERE username = 'a'",
		"SELECT * FROM socialauth_users WHERE email_lower = 'a' ORDER BY id",
		"SELECT * FROM socialauth_associations WHERE provider = 'p' AND uid = 'u'",
		"SELECT * FROM socialauth_associations WHERE id = 1",
		"SELECT * FROM socialauth_associations WHERE user_id = 1 ORDER BY created_at, id",
		"SELECT * FROM socialauth_associations WHERE user_id = 1 AND provider = 'p' ORDER BY created_at, id",
		"SELECT * FROM socialauth_openid_associations WHERE server_url = 's' ORDER BY id",
		"SELECT * FROM socialauth_openid_associations WHERE server_url = 's' AND handle = 'h' ORDER BY id",
		"DELETE FROM socialauth_openid_associations WHERE id IN (1, 2)",
		"SELECT * FROM socialauth_codes WHERE code = 'c'",
		"UPDATE socialauth_codes SET verified = 1 WHERE code = 'c'",
		"SELECT * FROM socialauth_partials WHERE token = 't'",
		"DELETE FROM socialauth_partials WHERE token = 't'",
	}
	for _, q := range queries {
		rows, err := db.Query("EXPLAIN QUERY PLAN " + q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if strings.Contains(joined, "SCAN") || !strings.Contains(joined, "SEARCH") {
			t.Errorf("%s\n  plan: %s\n  want an index SEARCH and no SCAN", q, joined)
		}
	}
}

func TestFieldLengthsAreEnforced(t *testing.T) {
	opts := sqlstore.Options{UIDLength: 8, NonceServerURLLength: 20, AssociationServerURLLength: 21, AssociationHandleLength: 6, UsernameMaxLength: 5}
	type check struct {
		name, column string
		max          int
		write        func(ctx context.Context, s *sqlstore.Store, userID, value string) error
		stored       func(ctx context.Context, s *sqlstore.Store, value string) bool
	}
	checks := []check{
		{"username", "username", 5,
			func(ctx context.Context, s *sqlstore.Store, _, v string) error {
				return s.CreateUser(ctx, &store.User{Username: v})
			},
			func(ctx context.Context, s *sqlstore.Store, v string) bool {
				ok, _ := s.UserExists(ctx, v)
				return ok
			}},
		{"uid", "uid", 8,
			func(ctx context.Context, s *sqlstore.Store, userID, v string) error {
				return s.CreateAssociation(ctx, &store.Association{UserID: userID, Provider: "github", UID: v})
			},
			func(ctx context.Context, s *sqlstore.Store, v string) bool {
				_, err := s.GetAssociation(ctx, "github", v)
				return err == nil
			}},
		{"provider", "provider", sqlstore.ProviderLength,
			func(ctx context.Context, s *sqlstore.Store, userID, v string) error {
				return s.CreateAssociation(ctx, &store.Association{UserID: userID, Provider: v, UID: "1"})
			},
			func(ctx context.Context, s *sqlstore.Store, v string) bool {
				_, err := s.GetAssociation(ctx, v, "1")
				return err == nil
			}},
		{"nonce server URL", "server_url", 20,
			func(ctx context.Context, s *sqlstore.Store, _, v string) error {
				return s.UseNonce(ctx, store.Nonce{ServerURL: v, Timestamp: 1, Salt: "s"})
			},
			func(ctx context.Context, s *sqlstore.Store, v string) bool {
				// A stored nonce cannot be used again.
				err := s.UseNonce(ctx, store.Nonce{ServerURL: v, Timestamp: 1, Salt: "s"})
				return errors.Is(err, store.ErrConflict)
			}},
		{"nonce salt", "salt", sqlstore.SaltLength,
			func(ctx context.Context, s *sqlstore.Store, _, v string) error {
				return s.UseNonce(ctx, store.Nonce{ServerURL: "https://op", Timestamp: 1, Salt: v})
			},
			func(ctx context.Context, s *sqlstore.Store, v string) bool {
				err := s.UseNonce(ctx, store.Nonce{ServerURL: "https://op", Timestamp: 1, Salt: v})
				return errors.Is(err, store.ErrConflict)
			}},
		{"association server URL", "server_url", 21,
			func(ctx context.Context, s *sqlstore.Store, _, v string) error {
				return s.StoreOpenIDAssociation(ctx, &store.OpenIDAssociation{ServerURL: v, Handle: "h", AssocType: "HMAC-SHA1"})
			},
			func(ctx context.Context, s *sqlstore.Store, v string) bool {
				list, _ := s.OpenIDAssociations(ctx, v, "")
				return len(list) > 0
			}},
		{"association handle", "handle", 6,
			func(ctx context.Context, s *sqlstore.Store, _, v string) error {
				return s.StoreOpenIDAssociation(ctx, &store.OpenIDAssociation{ServerURL: "https://op", Handle: v, AssocType: "HMAC-SHA1"})
			},
			func(ctx context.Context, s *sqlstore.Store, v string) bool {
				list, _ := s.OpenIDAssociations(ctx, "https://op", v)
				return len(list) > 0
			}},
		{"association type", "assoc_type", sqlstore.AssocTypeLength,
			func(ctx context.Context, s *sqlstore.Store, _, v string) error {
				return s.StoreOpenIDAssociation(ctx, &store.OpenIDAssociation{ServerURL: "https://op", Handle: "h", AssocType: v})
			},
			func(ctx context.Context, s *sqlstore.Store, v string) bool {
				list, _ := s.OpenIDAssociations(ctx, "https://op", "h")
				return len(list) > 0 && list[0].AssocType == v
			}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			s := newStore(t, opts)
			u := &store.User{Username: "owner"}
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			// Lengths count characters: the longest value is multi-byte.
			longest := strings.Repeat("é", c.max)
			if err := c.write(ctx, s, u.ID, longest); err != nil {
				t.Fatalf("value of exactly %d characters refused: %v", c.max, err)
			}
			if !c.stored(ctx, s, longest) {
				t.Fatal("value of the maximum length was not stored")
			}
			tooLong := strings.Repeat("x", c.max+1)
			err := c.write(ctx, s, u.ID, tooLong)
			var tle *sqlstore.FieldTooLongError
			if !errors.As(err, &tle) {
				t.Fatalf("value of %d characters: error %v, want a *FieldTooLongError", c.max+1, err)
			}
			if tle.Column != c.column || tle.Max != c.max || tle.Length != c.max+1 {
				t.Errorf("error = %+v, want column %s, max %d, length %d", tle, c.column, c.max, c.max+1)
			}
			if !strings.Contains(err.Error(), c.column) {
				t.Errorf("message %q does not name the column", err)
			}
			if c.stored(ctx, s, tooLong) {
				t.Error("the refused value was stored")
			}
		})
	}
}

func TestUpdateRefusesLongUsername(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, sqlstore.Options{UsernameMaxLength: 5})
	u := &store.User{Username: "alice"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	u.Username = "alice2"
	var tle *sqlstore.FieldTooLongError
	if err := s.UpdateUser(ctx, u); !errors.As(err, &tle) {
		t.Fatalf("UpdateUser: error %v, want a *FieldTooLongError", err)
	}
	got, err := s.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Username != "alice" {
		t.Errorf("username = %q, want the old one kept", got.Username)
	}
}

func TestOwnUsersAreReferenced(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, sqlstore.Options{})
	for _, userID := range []string{"999", "user-abc", ""} {
		err := s.CreateAssociation(ctx, &store.Association{UserID: userID, Provider: "github", UID: "1"})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("association for missing user %q: error %v, want ErrNotFound", userID, err)
		}
	}
	if _, err := s.GetAssociation(ctx, "github", "1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("association to a missing user was stored (%v)", err)
	}
	u := &store.User{Username: "alice"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a := &store.Association{UserID: u.ID, Provider: "github", UID: "1"}
	if err := s.CreateAssociation(ctx, a); err != nil {
		t.Fatal(err)
	}
	a.UserID = "424242"
	if err := s.UpdateAssociation(ctx, a); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("moving an association to a missing user: error %v, want ErrNotFound", err)
	}
	got, err := s.GetAssociationByID(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != u.ID {
		t.Errorf("association moved to %q", got.UserID)
	}
}

func TestExternalUsers(t *testing.T) {
	ctx := t.Context()
	db, _ := sqlitetest.OpenDB(t)
	s, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{ExternalUsers: true})
	if err != nil {
		t.Fatal(err)
	}
	var fks int
	if err := db.QueryRow("SELECT count(*) FROM pragma_foreign_key_list('socialauth_associations')").Scan(&fks); err != nil {
		t.Fatal(err)
	}
	if fks != 0 {
		t.Errorf("associations have %d foreign keys with external users, want none", fks)
	}
	// The application's user IDs need not be numbers, nor exist in
	// socialauth_users.
	ids := []string{"6f1c2a7e-0b7d-4d5e-9a51-3a8f0e1d2c4b", "007", "42"}
	for i, userID := range ids {
		a := &store.Association{UserID: userID, Provider: "github", UID: fmt.Sprint(i)}
		if err := s.CreateAssociation(ctx, a); err != nil {
			t.Fatalf("association for external user %q: %v", userID, err)
		}
	}
	for _, userID := range ids {
		list, err := s.AssociationsForUser(ctx, userID, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].UserID != userID {
			t.Errorf("AssociationsForUser(%q) = %+v, want one association with that exact user ID", userID, list)
		}
	}
	if list, _ := s.AssociationsForUser(ctx, "7", ""); len(list) != 0 {
		t.Errorf("user ID %q matched another user's associations", "7")
	}
	a := &store.Association{UserID: strings.Repeat("u", 256), Provider: "github", UID: "long"}
	var tle *sqlstore.FieldTooLongError
	if err := s.CreateAssociation(ctx, a); !errors.As(err, &tle) {
		t.Errorf("user ID of 256 characters: error %v, want *FieldTooLongError", err)
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	db, path := sqlitetest.OpenDB(t)
	s, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Username: "alice", Email: "Alice@Example.com", IsActive: true, Extra: map[string]any{"fullname": "Alice"}}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a := &store.Association{UserID: u.ID, Provider: "github", UID: "1", ExtraData: map[string]any{"access_token": "tok", "expires": 3600}}
	if err := s.CreateAssociation(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.UseNonce(ctx, store.Nonce{ServerURL: "https://op", Timestamp: 5, Salt: "s"}); err != nil {
		t.Fatal(err)
	}
	oid := &store.OpenIDAssociation{ServerURL: "https://op", Handle: "h", Secret: []byte{1, 2, 3}, IssuedAt: time.Unix(1700000000, 0), Lifetime: time.Hour, AssocType: "HMAC-SHA1"}
	if err := s.StoreOpenIDAssociation(ctx, oid); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCode(ctx, &store.Code{Code: "c1", Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePartial(ctx, &store.Partial{Token: "p1", Backend: "github", NextStep: 3, Data: []byte("state")}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db2 := sqlitetest.Open(t, path)
	s2, err := sqlstore.New(ctx, db2, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	users, err := s2.UsersByEmail(ctx, "alice@example.com")
	if err != nil || len(users) != 1 || users[0].ID != u.ID || users[0].Extra["fullname"] != "Alice" || !users[0].CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("user after reopen: %+v, %v", users, err)
	}
	got, err := s2.GetAssociation(ctx, "github", "1")
	if err != nil || got.ID != a.ID || got.ExtraData["access_token"] != "tok" || got.ExtraData["expires"] != float64(3600) {
		t.Errorf("association after reopen: %+v, %v", got, err)
	}
	if err := s2.UseNonce(ctx, store.Nonce{ServerURL: "https://op", Timestamp: 5, Salt: "s"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("nonce reused after reopen: %v", err)
	}
	list, err := s2.OpenIDAssociations(ctx, "https://op", "h")
	if err != nil || len(list) != 1 || string(list[0].Secret) != "\x01\x02\x03" || !list[0].IssuedAt.Equal(oid.IssuedAt) || list[0].Lifetime != time.Hour {
		t.Errorf("OpenID association after reopen: %+v, %v", list, err)
	}
	if c, err := s2.GetCode(ctx, "c1"); err != nil || c.Email != "alice@example.com" {
		t.Errorf("code after reopen: %+v, %v", c, err)
	}
	if p, err := s2.GetPartial(ctx, "p1"); err != nil || string(p.Data) != "state" || p.NextStep != 3 {
		t.Errorf("partial after reopen: %+v, %v", p, err)
	}
	// IDs keep growing after a reopen and are never reused.
	if err := s2.DeleteAssociation(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	b := &store.Association{UserID: u.ID, Provider: "github", UID: "2"}
	if err := s2.CreateAssociation(ctx, b); err != nil {
		t.Fatal(err)
	}
	if b.ID == a.ID {
		t.Errorf("deleted association's ID %s reused", a.ID)
	}
}

func TestConflictKeepsDriverError(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, sqlstore.Options{})
	if err := s.CreateUser(ctx, &store.User{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	err := s.CreateUser(ctx, &store.User{Username: "alice"})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("error %v, want ErrConflict", err)
	}
	var driverErr *sqlite.Error
	if !errors.As(err, &driverErr) {
		t.Errorf("error %v does not wrap the driver's *sqlite.Error", err)
	}
}

func TestInjectedClock(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2025, 6, 7, 8, 9, 10, 123456789, time.FixedZone("X", 3600))
	s := newStore(t, sqlstore.Options{Now: func() time.Time { return now }})
	u := &store.User{Username: "alice"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	want := now.Truncate(time.Microsecond)
	if !u.CreatedAt.Equal(want) || u.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", u.CreatedAt, want)
	}
	got, err := s.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt != u.CreatedAt {
		t.Errorf("stored CreatedAt %v differs from the one set %v", got.CreatedAt, u.CreatedAt)
	}
}

func TestOptionsFromSettings(t *testing.T) {
	opts, err := sqlstore.OptionsFromSettings(settings.New(settings.Map{
		"SOCIAL_AUTH_UID_LENGTH":                    223,
		"SOCIAL_AUTH_NONCE_SERVER_URL_LENGTH":       "200",
		"SOCIAL_AUTH_ASSOCIATION_SERVER_URL_LENGTH": 190.0,
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := sqlstore.Options{UIDLength: 223, NonceServerURLLength: 200, AssociationServerURLLength: 190, AssociationHandleLength: 255}
	if opts.UIDLength != want.UIDLength || opts.NonceServerURLLength != want.NonceServerURLLength ||
		opts.AssociationServerURLLength != want.AssociationServerURLLength || opts.AssociationHandleLength != want.AssociationHandleLength {
		t.Errorf("options = %+v, want %+v", opts, want)
	}
	for _, bad := range []any{"many", 0, -5, true} {
		if _, err := sqlstore.OptionsFromSettings(settings.New(settings.Map{"SOCIAL_AUTH_UID_LENGTH": bad})); err == nil {
			t.Errorf("UID_LENGTH %v accepted", bad)
		}
	}
}
