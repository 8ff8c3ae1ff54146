package sqlitetest_test

import (
	"testing"

	"github.com/socialauth/socialauth/sqlstore"
	"github.com/socialauth/socialauth/sqlstore/sqlitetest"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/storetest"
)

// newStore returns a store on a fresh database file.
func newStore(t testing.TB, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	db, _ := sqlitetest.OpenDB(t)
	s, err := sqlstore.New(t.Context(), db, sqlstore.SQLite, opts)
	if err != nil {
		t.Fatalf("sqlstore.New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return newStore(t, sqlstore.Options{})
	})
}

func TestConformanceExternalUsers(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return newStore(t, sqlstore.Options{ExternalUsers: true})
	})
}
