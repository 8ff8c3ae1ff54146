package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/socialauth/socialauth/examples/internal/flowtest"
	"github.com/socialauth/socialauth/settings"
)

// newTestApp builds the site on a fresh SQLite file.
func newTestApp(t *testing.T, s *settings.Settings, logger *slog.Logger) flowtest.App {
	t.Helper()
	ctx := context.Background()
	db, err := openDB(ctx, filepath.Join(t.TempDir(), "example.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := NewApp(ctx, Config{Settings: s, DB: db, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestGitHubLogin(t *testing.T) {
	flowtest.Run(t, flowtest.Site{Prefix: "", New: newTestApp})
}
