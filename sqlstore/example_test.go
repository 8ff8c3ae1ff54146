package sqlstore_test

import (
	"context"
	"database/sql"
	"log"

	"github.com/socialauth/socialauth/sqlstore"
)

// ExampleNew opens the application's database with the driver it already
// uses (here a SQLite driver registered as "sqlite", such as
// modernc.org/sqlite) and keeps socialauth's records in it. The
// sqlstore/sqlitetest module holds a runnable version of this example.
func ExampleNew() {
	db, err := sql.Open("sqlite", "file:app.db?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	st, err := sqlstore.New(context.Background(), db, sqlstore.SQLite, sqlstore.Options{
		UIDLength: 223, // SOCIAL_AUTH_UID_LENGTH, for MySQL InnoDB's index limit
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = st // hand st to socialauth as its store.Store
}

// ExampleMigrate applies the schema alone, as the socialauth migrate
// command does.
func ExampleMigrate() {
	db, err := sql.Open("sqlite", "file:app.db?_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := sqlstore.Migrate(context.Background(), db, sqlstore.SQLite, sqlstore.Options{}); err != nil {
		log.Fatal(err)
	}
}
