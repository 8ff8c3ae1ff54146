package sqlitetest_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite"

	"github.com/socialauth/socialauth/sqlstore"
	"github.com/socialauth/socialauth/store"
)

// Example opens a SQLite database with the modernc.org/sqlite driver and
// keeps socialauth's records in it.
func Example() {
	dir, err := os.MkdirTemp("", "socialauth-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dsn := "file:" + filepath.Join(dir, "app.db") + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	st, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		log.Fatal(err)
	}

	user := &store.User{Username: "octocat", Email: "octocat@example.com", IsActive: true}
	if err := st.CreateUser(ctx, user); err != nil {
		log.Fatal(err)
	}
	social := &store.Association{
		UserID:    user.ID,
		Provider:  "github",
		UID:       "583231",
		ExtraData: map[string]any{"access_token": "gho_example", "expires": 28800},
	}
	if err := st.CreateAssociation(ctx, social); err != nil {
		log.Fatal(err)
	}

	found, err := st.GetAssociation(ctx, "github", "583231")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(found.UserID == user.ID, found.ExtraData["expires"])
	// Output: true 28800
}
