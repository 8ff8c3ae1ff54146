package sqlitetest_test

import (
	"fmt"
	"testing"

	"github.com/socialauth/socialauth/sqlstore"
	"github.com/socialauth/socialauth/sqlstore/sqlitetest"
	"github.com/socialauth/socialauth/store"
)

// BenchmarkGetAssociation looks associations up among 10,000. The Store
// sub-benchmark should cost about what the HandWrittenSelect baseline
// (one SELECT on the same database) does, and far less than
// FullTableScan, the same SELECT with the index disabled.
func BenchmarkGetAssociation(b *testing.B) {
	const associations = 10_000
	ctx := b.Context()
	db, _ := sqlitetest.OpenDB(b)
	s, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	u := &store.User{Username: "bench"}
	if err := s.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range associations {
		_, err := tx.ExecContext(ctx,
			"INSERT INTO socialauth_associations (user_id, provider, uid, extra_data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			u.ID, "github", fmt.Sprint("uid-", i), `{"access_token":"t"}`, i, i)
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	uid := func(i int) string { return fmt.Sprint("uid-", (i*7919)%associations) }

	b.Run("Store", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			a, err := s.GetAssociation(ctx, "github", uid(i))
			if err != nil || a.UID != uid(i) {
				b.Fatalf("GetAssociation: %+v, %v", a, err)
			}
		}
	})
	handWritten := func(b *testing.B, from string) {
		query := "SELECT id, user_id, provider, uid, extra_data, created_at, updated_at FROM " + from + " WHERE provider = ? AND uid = ?"
		for i := 0; b.Loop(); i++ {
			var (
				id, createdAt, updatedAt int64
				userID, provider, got    string
				extra                    string
			)
			err := db.QueryRowContext(ctx, query, "github", uid(i)).Scan(&id, &userID, &provider, &got, &extra, &createdAt, &updatedAt)
			if err != nil || got != uid(i) {
				b.Fatalf("SELECT: %q, %v", got, err)
			}
		}
	}
	b.Run("HandWrittenSelect", func(b *testing.B) { handWritten(b, "socialauth_associations") })
	b.Run("FullTableScan", func(b *testing.B) { handWritten(b, "socialauth_associations NOT INDEXED") })
}
