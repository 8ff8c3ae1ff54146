package sqlstore

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// migrationFiles holds the schema migrations, one directory per dialect.
// File names start with a version number ("0001_initial.sql"); each file is
// a text/template of semicolon-terminated statements filled with
// [schemaValues].
//
//go:embed migrations
var migrationFiles embed.FS

// migrationsTable records which migration versions have been applied.
const migrationsTable = "socialauth_schema_migrations"

// schemaValues are the values migrations are filled with.
type schemaValues struct {
	Options
	ProviderLength  int
	SaltLength      int
	AssocTypeLength int
}

// migration is one embedded schema change.
type migration struct {
	version int64
	name    string
	text    string
}

// Migrate brings the socialauth tables in db up to date: it applies, in
// order, the embedded migrations of the dialect that the database has not
// recorded yet. Each runs in its own transaction. Running Migrate again is
// a no-op, and processes that run it at the same time apply each migration
// once. New calls Migrate; the socialauth migrate command calls it alone.
func Migrate(ctx context.Context, db *sql.DB, dialect Dialect, opts Options) error {
	if err := dialect.check(); err != nil {
		return err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	migrations, err := loadMigrations(dialect)
	if err != nil {
		return err
	}
	create := "CREATE TABLE IF NOT EXISTS " + migrationsTable + ` (
	version BIGINT NOT NULL PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`
	if _, err := db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("sqlstore: creating %s: %w", migrationsTable, err)
	}
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return err
	}
	values := schemaValues{Options: opts, ProviderLength: ProviderLength, SaltLength: SaltLength, AssocTypeLength: AssocTypeLength}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		if err := apply(ctx, db, dialect, m, values); err != nil {
			return err
		}
	}
	return nil
}

// loadMigrations reads the embedded migrations of a dialect, sorted by
// version.
func loadMigrations(dialect Dialect) ([]migration, error) {
	dir := dialect.migrationDir()
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: reading migrations of %v: %w", dialect, err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		prefix, _, _ := strings.Cut(name, "_")
		version, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migration %s has no version prefix", name)
		}
		text, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: reading migration %s: %w", name, err)
		}
		out = append(out, migration{version: version, name: name, text: string(text)})
	}
	slices.SortFunc(out, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	return out, nil
}

// appliedVersions returns the versions recorded as applied.
func appliedVersions(ctx context.Context, db *sql.DB) (map[int64]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT version FROM "+migrationsTable)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: reading %s: %w", migrationsTable, err)
	}
	defer rows.Close()
	applied := make(map[int64]bool)
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("sqlstore: reading %s: %w", migrationsTable, err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: reading %s: %w", migrationsTable, err)
	}
	return applied, nil
}

// apply runs one migration in a transaction. It first claims the version by
// recording it, which takes the database's write lock; a process that finds
// the version already claimed leaves the migration to the one that did.
func apply(ctx context.Context, db *sql.DB, dialect Dialect, m migration, values schemaValues) error {
	statements, err := render(m, values)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	_, err = tx.ExecContext(ctx,
		dialect.rebind("INSERT INTO "+migrationsTable+" (version, name, applied_at) VALUES (?, ?, ?)"),
		m.version, m.name, time.Now().UnixMicro())
	if dialect.isUniqueViolation(err) {
		return nil // applied meanwhile by another process
	}
	if err != nil {
		return fmt.Errorf("sqlstore: migration %s: recording: %w", m.name, err)
	}
	for _, stmt := range statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w\n%s", m.name, err, stmt)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: migration %s: commit: %w", m.name, err)
	}
	return nil
}

// render fills a migration's template and splits it into statements.
func render(m migration, values schemaValues) ([]string, error) {
	tmpl, err := template.New(m.name).Option("missingkey=error").Parse(m.text)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, values); err != nil {
		return nil, fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
	}
	var statements []string
	for chunk := range strings.SplitSeq(buf.String(), ";\n") {
		if isBlankSQL(chunk) {
			continue
		}
		statements = append(statements, strings.TrimSpace(chunk))
	}
	if len(statements) == 0 {
		return nil, errors.New("sqlstore: migration " + m.name + " has no statements")
	}
	return statements, nil
}

// isBlankSQL reports whether a chunk holds only whitespace and "--"
// comments.
func isBlankSQL(chunk string) bool {
	for line := range strings.SplitSeq(chunk, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "--") {
			return false
		}
	}
	return true
}
