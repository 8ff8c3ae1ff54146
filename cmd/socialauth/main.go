// Command socialauth is socialauth's command-line tool.
//
//	socialauth demo [--addr 127.0.0.1:8000] [--db socialauth-demo.db]
//	    runs an example site on an embedded SQLite database, with a built-in
//	    local identity provider and email sign-up (validation links go to
//	    the /outbox page) so that a login works with no keys and no
//	    internet. Every SOCIAL_AUTH_* environment variable is honoured, so
//	    any backend of the catalogue (or the generic oauth2, oidc and oauth1
//	    ones, given their endpoint settings) is enabled by setting its KEY
//	    and SECRET; SOCIAL_AUTH_AUTHENTICATION_BACKENDS=openid adds OpenID
//	    2.0 sign-in with an identifier the person types.
//	socialauth providers
//	    lists the backend catalogue and the settings each backend reads.
//	socialauth check
//	    validates the SOCIAL_AUTH_* settings of the environment.
//	socialauth migrate --db FILE
//	    creates or upgrades socialauth's tables in a SQLite database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "socialauth:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: socialauth <command> [flags]

commands:
  demo       run the example site (--addr, --db)
  providers  list the backend catalogue
  check      validate the SOCIAL_AUTH_* settings of the environment
  migrate    create or upgrade socialauth's tables in a SQLite file (--db)
`

func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, args[1:], environ, stdout, stderr)
	case "providers":
		return runProviders(stdout)
	case "check":
		return runCheck(environ, stdout)
	case "migrate":
		return runMigrate(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
