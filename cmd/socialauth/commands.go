package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/providers"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/sqlstore"
	"github.com/socialauth/socialauth/store/memstore"
)

// runProviders prints the catalogue.
func runProviders(stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROTOCOL\tTITLE\tSETTINGS (SOCIAL_AUTH_<NAME>_…)")
	for _, s := range providers.Catalogue() {
		reads := strings.Join(s.Reads, ", ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Protocol, s.Title, reads)
	}
	return tw.Flush()
}

// runCheck builds an engine from the environment's settings and reports
// every problem.
func runCheck(environ []string, stdout io.Writer) error {
	_, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.FromEnviron(environ)),
		Store:    memstore.New(memstore.Options{}),
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "settings are valid")
	return nil
}

// runMigrate creates or upgrades socialauth's tables in a SQLite file.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "SQLite database file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbPath == "" {
		return fmt.Errorf("migrate: --db is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected arguments %q", fs.Args())
	}
	db, err := sql.Open("sqlite", sqliteDSN(*dbPath, "foreign_keys(1)", "busy_timeout(5000)"))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := sqlstore.Migrate(ctx, db, sqlstore.SQLite, sqlstore.Options{}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is up to date\n", *dbPath)
	return nil
}

// sqliteDSN is the modernc.org/sqlite data source name of the file at path
// with the given pragmas. The path is escaped as a URI path, so that a file
// name containing '?', '#' or '%' names that file and not another one.
func sqliteDSN(path string, pragmas ...string) string {
	q := make([]string, 0, len(pragmas))
	for _, p := range pragmas {
		q = append(q, "_pragma="+url.QueryEscape(p))
	}
	if strings.HasPrefix(path, "//") { // would read as a URI authority
		path = "/" + strings.TrimLeft(path, "/")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath()
	if len(q) > 0 {
		dsn += "?" + strings.Join(q, "&")
	}
	return dsn
}
