// Command chi is a "Sign in with GitHub" site on the chi router, with
// socialauth mounted under /auth and users kept in SQLite.
//
// It reads the SOCIAL_AUTH_* settings from the environment:
//
//	export SOCIAL_AUTH_GITHUB_KEY=…      # the GitHub OAuth app's client ID
//	export SOCIAL_AUTH_GITHUB_SECRET=…   # and its client secret
//	export SOCIAL_AUTH_SECRET_KEY=$(openssl rand -base64 48)
//	go run . -addr localhost:8000 -db example.db
//
// and serves a home page at /, socialauth's /auth/login/github/,
// /auth/complete/github/ and /auth/disconnect/github/, and POST /logout/.
// The GitHub OAuth app's callback URL is
// http://localhost:8000/auth/complete/github/. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/socialauth/socialauth/settings"
)

func main() {
	addr := flag.String("addr", "localhost:8000", "address to listen on")
	dbPath := flag.String("db", "socialauth-example.db", "SQLite database file (created if missing)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *addr, *dbPath, logger)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "chi: %v\n", err)
		os.Exit(1)
	}
}

// defaults are the settings the example assumes unless the environment
// says otherwise: GitHub only, asking for the user's email addresses.
func defaults() settings.Map {
	return settings.Map{
		"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": "github",
		"SOCIAL_AUTH_GITHUB_SCOPE":            "user:email",
	}
}

// run serves the site on addr until ctx is cancelled.
func run(ctx context.Context, addr, dbPath string, logger *slog.Logger) error {
	db, err := openDB(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	app, err := NewApp(ctx, Config{
		Settings: settings.New(settings.FromEnv(), defaults()),
		DB:       db,
		Logger:   logger,
	})
	if err != nil {
		return err
	}
	return serve(ctx, addr, app, logger)
}

// serve runs an HTTP server until ctx is cancelled, then shuts it down
// gracefully.
func serve(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	failed := make(chan error, 1)
	go func() {
		logger.Info("listening", "url", "http://"+addr+"/")
		failed <- srv.ListenAndServe()
	}()
	select {
	case err := <-failed:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-failed; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
