package sqlstore

import (
	"errors"
	"fmt"
	"strings"
)

// Dialect names the SQL flavour of a database: how its placeholders are
// written, how it expresses an upsert, which schema migrations it runs and
// how its driver reports integrity errors. The zero Dialect is invalid.
//
// Only [SQLite] exists today; PostgreSQL and MySQL are meant to be added as
// further constants.
type Dialect int

// The supported dialects.
const (
	// SQLite works with any database/sql SQLite driver, such as
	// modernc.org/sqlite or github.com/mattn/go-sqlite3. Enable foreign
	// keys (PRAGMA foreign_keys=ON) and a busy timeout on every connection.
	SQLite Dialect = iota + 1
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// check reports an unknown dialect.
func (d Dialect) check() error {
	switch d {
	case SQLite:
		return nil
	}
	return fmt.Errorf("sqlstore: unknown dialect %v", d)
}

// migrationDir is the directory of the embedded migrations of the dialect.
func (d Dialect) migrationDir() string {
	return "migrations/" + d.String()
}

// rebind rewrites a query written with "?" placeholders into the
// dialect's own placeholder syntax.
func (d Dialect) rebind(query string) string {
	switch d {
	case SQLite:
		return query
	}
	return query
}

// upsert returns an INSERT statement of columns into table that, when a
// row with the same key columns exists, overwrites its update columns
// instead. With returning, the statement yields the row's id.
func (d Dialect) upsert(table string, columns, key, update []string, returning bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES (%s)", table,
		strings.Join(columns, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", "))
	// SQLite and PostgreSQL share the ON CONFLICT form.
	sets := make([]string, len(update))
	for i, c := range update {
		sets[i] = c + " = excluded." + c
	}
	fmt.Fprintf(&b, " ON CONFLICT (%s) DO UPDATE SET %s", strings.Join(key, ", "), strings.Join(sets, ", "))
	if returning {
		b.WriteString(" RETURNING id")
	}
	return d.rebind(b.String())
}

// SQLite extended result codes of the integrity errors told apart.
const (
	sqliteConstraint           = 19
	sqliteConstraintForeignKey = 787
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// sqliteCoder is how modernc.org/sqlite errors expose their result code.
type sqliteCoder interface{ Code() int }

// isUniqueViolation reports whether err is a driver's report of a broken
// uniqueness rule.
func (d Dialect) isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	switch d {
	case SQLite:
		var c sqliteCoder
		if errors.As(err, &c) {
			switch c.Code() {
			case sqliteConstraintUnique, sqliteConstraintPrimaryKey:
				return true
			case sqliteConstraint:
				return strings.Contains(err.Error(), "UNIQUE constraint failed")
			}
			return false
		}
		// Drivers without a Code method (mattn/go-sqlite3) keep
		// SQLite's own message.
		return strings.Contains(err.Error(), "UNIQUE constraint failed")
	}
	return false
}

// isForeignKeyViolation reports whether err is a driver's report of a
// reference to a row that does not exist.
func (d Dialect) isForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	switch d {
	case SQLite:
		var c sqliteCoder
		if errors.As(err, &c) && c.Code() == sqliteConstraintForeignKey {
			return true
		}
		return strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
	}
	return false
}
