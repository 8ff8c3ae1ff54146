package main

import (
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"

	"github.com/go-chi/chi/v5"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/sqlstore"
	"github.com/socialauth/socialauth/store"
)

// Config is what the example site needs.
type Config struct {
	// Settings are the SOCIAL_AUTH_* settings (backends, keys, redirect
	// URLs, the session secret).
	Settings *settings.Settings
	// DB keeps users and their associations. The caller closes it.
	DB *sql.DB
	// Logger receives socialauth's diagnostics; nil discards them.
	Logger *slog.Logger
}

// App is the example site: a home page, a logout button and socialauth's
// routes mounted under /auth, on a chi router.
type App struct {
	auth   *socialauth.Auth
	routes http.Handler
	logger *slog.Logger
}

// basePath is where socialauth's routes are mounted.
const basePath = "/auth"

// NewApp applies the database schema, builds the socialauth engine and
// routes the site.
func NewApp(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := sqlstore.New(ctx, cfg.DB, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		return nil, fmt.Errorf("preparing the database: %w", err)
	}
	auth, err := socialauth.New(socialauth.Config{
		Settings: cfg.Settings,
		Store:    st,
		Logger:   cfg.Logger,
		// Where the handler is mounted, for the links of TemplateData.
		BasePath: basePath,
	})
	if err != nil {
		return nil, err
	}
	app := &App{auth: auth, logger: cfg.Logger}

	r := chi.NewRouter()
	r.Get("/", app.home)
	// Logout changes state: POST only, and refused when cross-site.
	r.With(http.NewCrossOriginProtection().Handler).Post("/logout/", app.logout)
	// /auth/login/{backend}/, /auth/complete/{backend}/ and
	// /auth/disconnect/{backend}/: chi leaves the path whole, and
	// socialauth finds its routes at the end of it, so the callback URL
	// it sends to the provider is /auth/complete/{backend}/. It checks
	// the methods itself (disconnect is POST only) and protects
	// disconnect from cross-site requests.
	r.Mount(basePath, auth.Handler())
	app.routes = r
	return app, nil
}

// ServeHTTP serves the site.
func (app *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { app.routes.ServeHTTP(w, r) }

// Auth returns the site's socialauth engine.
func (app *App) Auth() *socialauth.Auth { return app.auth }

// homePage shows who is signed in, their linked accounts and the login
// buttons. socialauth redirects failed logins here with "message" and
// "backend" parameters when LOGIN_ERROR_URL is "/" (its default is
// LOGIN_URL, then "/").
var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>socialauth on chi</title></head>
<body>
<h1>socialauth on chi</h1>
{{with .Message}}<p role="alert">Login failed: {{.}}</p>{{end}}
{{with .User}}
<p>Signed in as <strong>{{.Username}}</strong>{{with .Email}} ({{.}}){{end}}.</p>
<form method="post" action="/logout/"><button>Log out</button></form>
{{else}}
<p>You are not signed in.</p>
{{end}}
{{with .Linked}}
<h2>Linked accounts</h2>
<ul>
{{range .}}<li>{{.Title}} account {{.UID}}
<form method="post" action="{{.DisconnectURL}}"><button>Disconnect</button></form></li>
{{end}}
</ul>
{{end}}
<h2>{{if .User}}Link another account{{else}}Sign in{{end}}</h2>
<ul>
{{range .Backends}}<li><a href="{{.LoginURL}}">Sign in with {{.Title}}</a></li>
{{end}}
</ul>
</body>
</html>
`))

// homeView is what homePage shows.
type homeView struct {
	User     *store.User
	Linked   []linkedAccount
	Backends []socialauth.BackendInfo
	Message  string
}

// linkedAccount is one of the user's associations.
type linkedAccount struct {
	Title, UID    string
	DisconnectURL string
}

func (app *App) home(w http.ResponseWriter, r *http.Request) {
	data, err := app.auth.TemplateData(r)
	if err != nil {
		app.logger.ErrorContext(r.Context(), "reading the session", "err", err)
		http.Error(w, "could not read your session", http.StatusInternalServerError)
		return
	}
	view := homeView{User: data.User, Backends: data.Backends, Message: r.URL.Query().Get("message")}
	for _, as := range data.Associated {
		info, _ := app.auth.Info(as.Provider) // Associated holds enabled backends only
		view.Linked = append(view.Linked, linkedAccount{
			Title:         info.Title,
			UID:           as.UID,
			DisconnectURL: info.Disconnect + url.PathEscape(as.ID) + "/",
		})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := homePage.Execute(w, view); err != nil {
		app.logger.ErrorContext(r.Context(), "rendering the home page", "err", err)
	}
}

func (app *App) logout(w http.ResponseWriter, r *http.Request) {
	if err := app.auth.Logout(w, r); err != nil {
		app.logger.ErrorContext(r.Context(), "logging out", "err", err)
		http.Error(w, "could not log you out", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// openDB opens (creating it if needed) the SQLite database file at path
// with the pragmas socialauth expects: foreign keys enforced, a busy
// timeout and write-ahead logging.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	dsn := url.URL{Scheme: "file", Path: abs}
	db, err := sql.Open("sqlite", dsn.String()+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}
