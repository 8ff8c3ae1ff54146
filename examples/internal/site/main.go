package site

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

// Main is an example's main function: it reads the -addr and -db flags
// and the SOCIAL_AUTH_* settings from the environment (over [Defaults]),
// builds the site with newApp and serves it until interrupted. command
// names the example in error messages.
func Main[H http.Handler](command string, newApp func(context.Context, Config) (H, error)) {
	addr := flag.String("addr", "localhost:8000", "address to listen on")
	dbPath := flag.String("db", "socialauth-example.db", "SQLite database file (created if missing)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *addr, *dbPath, logger, newApp)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", command, err)
		os.Exit(1)
	}
}

// Defaults are the settings the examples assume unless the environment
// says otherwise: GitHub only, asking for the user's email addresses.
func Defaults() settings.Map {
	return settings.Map{
		"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": "github",
		"SOCIAL_AUTH_GITHUB_SCOPE":            "user:email",
	}
}

// run serves the site on addr until ctx is cancelled.
func run[H http.Handler](ctx context.Context, addr, dbPath string, logger *slog.Logger, newApp func(context.Context, Config) (H, error)) error {
	db, err := OpenDB(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	app, err := newApp(ctx, Config{
		Settings: settings.New(settings.FromEnv(), Defaults()),
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
