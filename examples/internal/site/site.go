// Package site is the "Sign in with GitHub" site the examples share: its
// configuration, the socialauth engine on SQLite, the home page, the
// logout handler and the command that runs it. What differs between the
// examples, how they route these handlers and mount socialauth's
// auth.Handler() on their router, stays in each example's app.go.
package site

import (
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"

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

// Router describes how an example routes the site.
type Router struct {
	// Name names the router on the home page: "net/http", "chi", ….
	Name string
	// BasePath is where the example mounts auth.Handler(), "" for the
	// root. It only tells socialauth's TemplateData where the login and
	// disconnect links point.
	BasePath string
}

// Site is the example site's engine and pages, ready to be routed.
type Site struct {
	auth   *socialauth.Auth
	logger *slog.Logger
	title  string
}

// New applies the database schema and builds the socialauth engine.
func New(ctx context.Context, cfg Config, router Router) (*Site, error) {
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
		BasePath: router.BasePath,
	})
	if err != nil {
		return nil, err
	}
	return &Site{auth: auth, logger: cfg.Logger, title: "socialauth on " + router.Name}, nil
}

// Auth returns the site's socialauth engine.
func (s *Site) Auth() *socialauth.Auth { return s.auth }

// homePage shows who is signed in, their linked accounts and the login
// buttons. socialauth redirects failed logins here with "message" and
// "backend" parameters when LOGIN_ERROR_URL is "/" (its default is
// LOGIN_URL, then "/").
var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
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
	Title    string
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

// Home serves the home page. Route it for GET /.
func (s *Site) Home(w http.ResponseWriter, r *http.Request) {
	data, err := s.auth.TemplateData(r)
	if err != nil {
		s.logger.ErrorContext(r.Context(), "reading the session", "err", err)
		http.Error(w, "could not read your session", http.StatusInternalServerError)
		return
	}
	view := homeView{Title: s.title, User: data.User, Backends: data.Backends, Message: r.URL.Query().Get("message")}
	for _, as := range data.Associated {
		info, _ := s.auth.Info(as.Provider) // Associated holds enabled backends only
		view.Linked = append(view.Linked, linkedAccount{
			Title:         info.Title,
			UID:           as.UID,
			DisconnectURL: info.Disconnect + url.PathEscape(as.ID) + "/",
		})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := homePage.Execute(w, view); err != nil {
		s.logger.ErrorContext(r.Context(), "rendering the home page", "err", err)
	}
}

// Logout logs the user out and redirects to the home page. Logout
// changes state: route it for POST /logout/ only, behind
// http.CrossOriginProtection.
func (s *Site) Logout(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.Logout(w, r); err != nil {
		s.logger.ErrorContext(r.Context(), "logging out", "err", err)
		http.Error(w, "could not log you out", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// OpenDB opens (creating it if needed) the SQLite database file at path
// with the pragmas socialauth expects: foreign keys enforced, a busy
// timeout and write-ahead logging.
func OpenDB(ctx context.Context, path string) (*sql.DB, error) {
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
