package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the demo's embedded database

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/form"
	"github.com/socialauth/socialauth/localidp"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/providers"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/sqlstore"
	"github.com/socialauth/socialauth/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

// demoConfig is what a demo site is built from.
type demoConfig struct {
	// BaseURL is the site's own absolute URL ("http://127.0.0.1:8000").
	BaseURL string
	// DBPath is the SQLite file.
	DBPath string
	// Environ is the environment the SOCIAL_AUTH_* settings come from.
	Environ []string
	Logger  *slog.Logger
}

// demo is the example site.
type demo struct {
	auth      *socialauth.Auth
	idp       *localidp.Server
	db        *sql.DB
	passwords *sqlPasswords
	outbox    *outbox
	pages     *template.Template
	log       *slog.Logger
}

func runDemo(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8000", "address to listen on")
	dbPath := fs.String("db", "socialauth-demo.db", "SQLite database file (created if missing)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected arguments %q", fs.Args())
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	return runDemoOn(ctx, ln, *dbPath, environ, stdout, stderr)
}

// runDemoOn serves the demo on ln until ctx ends, then closes the
// database. It closes ln.
func runDemoOn(ctx context.Context, ln net.Listener, dbPath string, environ []string, stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	base := "http://" + displayAddr(ln.Addr().String())
	site, err := newDemo(ctx, demoConfig{BaseURL: base, DBPath: dbPath, Environ: environ, Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	defer site.Close()
	fmt.Fprintf(stdout, "socialauth demo on %s (database %s); backends: %s\n", base, dbPath,
		strings.Join(site.auth.BackendNames(), ", "))
	return serve(ctx, ln, site.Handler())
}

// displayAddr turns a listener address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// serve runs an HTTP server on ln until ctx ends.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

// newDemo opens the database, starts the local identity provider and
// builds the engine.
func newDemo(ctx context.Context, cfg demoConfig) (*demo, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := sql.Open("sqlite", demoDSN(cfg.DBPath))
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", cfg.DBPath, err)
	}
	passwords, err := newSQLPasswords(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", cfg.DBPath, err)
	}
	secret, err := demoSecret(cfg.DBPath, cfg.Environ)
	if err != nil {
		db.Close()
		return nil, err
	}
	box := newOutbox(time.Now, cfg.Logger)

	env := settings.FromEnviron(cfg.Environ)
	clientSecret := randomHex(32)
	overrides := settings.Map{
		"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": demoBackends(env),
		"SOCIAL_AUTH_LOCAL_KEY":               localClientID,
		"SOCIAL_AUTH_LOCAL_SECRET":            clientSecret,
		"SOCIAL_AUTH_SECRET_KEY":              secret,
		// The form backends' pipelines check passwords (formPipeline).
		"SOCIAL_AUTH_EMAIL_FORM_PASSWORD":    true,
		"SOCIAL_AUTH_USERNAME_FORM_PASSWORD": true,
	}
	defaults := settings.Map{
		"SOCIAL_AUTH_LOGIN_REDIRECT_URL": "/",
		"SOCIAL_AUTH_LOGIN_ERROR_URL":    "/",
		// Email sign-in uses the demo's own pages: the form, its errors,
		// and the "check your email" page.
		"SOCIAL_AUTH_EMAIL_FORM_URL":        emailFormPath,
		"SOCIAL_AUTH_EMAIL_LOGIN_ERROR_URL": emailFormPath,
		"SOCIAL_AUTH_EMAIL_VALIDATION_URL":  emailSentPath,
		// The demo is served over plain HTTP on the loopback interface.
		"SOCIAL_AUTH_UNSAFE_SESSION_COOKIE_OVER_HTTP": strings.HasPrefix(cfg.BaseURL, "http://"),
	}
	idp, err := localidp.New(localidp.Config{
		Issuer: cfg.BaseURL + idpPrefix,
		Clients: map[string]localidp.Client{localClientID: {
			Name:         "socialauth demo",
			Secret:       clientSecret,
			RedirectURIs: demoRedirectURIs(cfg.BaseURL),
		}},
		RequirePKCE: true,
		Title:       "Local identity provider",
		Logger:      cfg.Logger.With("component", "localidp"),
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(overrides, env, defaults),
		Store:    st,
		// Users with a password may disconnect their last social account.
		Users:    form.UsersWithPasswords{UserStore: st, Hashes: passwords},
		Backends: []backend.Spec{localSpec(cfg.BaseURL + idpPrefix)},
		BackendPipelines: map[string][]pipeline.Step{
			form.EmailBackend:    formPipeline(passwords),
			form.UsernameBackend: formPipeline(passwords),
		},
		SendValidationEmail: box.send,
		Logger:              cfg.Logger,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	pages, err := template.New("").Funcs(template.FuncMap{"json": prettyJSON}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		db.Close()
		return nil, err
	}
	return &demo{auth: auth, idp: idp, db: db, passwords: passwords, outbox: box, pages: pages, log: cfg.Logger}, nil
}

// formPipeline is the pipeline of the email and username backends:
// pipeline.Default() with form.PasswordStep around CreateUser, as package
// form documents it, and pipeline.MailValidation after GetUsername and
// before CreateUser, where python-social-auth's documentation puts
// mail_validation. A new address gets a validation link (filed in the
// outbox) and nothing is stored until it is opened; a returning person
// signs in with their password.
func formPipeline(hashes form.PasswordHashes) []pipeline.Step {
	password := form.PasswordStep(hashes)
	return []pipeline.Step{
		pipeline.SocialDetails,
		pipeline.SocialUID,
		pipeline.AuthAllowed,
		pipeline.SocialUser,
		pipeline.GetUsername,
		password, // checks a returning person's password; hashes a new one
		pipeline.MailValidation,
		pipeline.CreateUser,
		password, // stores the new user's hash
		pipeline.AssociateUser,
		pipeline.LoadExtraData,
		pipeline.UserDetails,
	}
}

// demoDSN is the demo's database: foreign keys on, a busy timeout for
// concurrent requests, and write-ahead logging with synchronous=NORMAL,
// SQLite's recommended pairing (no corruption on power loss, and commits
// without an fsync each, which would otherwise be most of a login's time).
func demoDSN(path string) string {
	return sqliteDSN(path, "foreign_keys(1)", "busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)")
}

// Close closes the database.
func (d *demo) Close() error { return d.db.Close() }

const (
	idpPrefix     = "/idp"
	localClientID = "socialauth-demo"
)

// demoRedirectURIs are the local backend's callback URLs, for the host the
// demo listens on and its usual loopback aliases.
func demoRedirectURIs(base string) []string {
	uris := []string{base + "/complete/local/"}
	if rest, ok := strings.CutPrefix(base, "http://127.0.0.1:"); ok {
		uris = append(uris, "http://localhost:"+rest+"/complete/local/")
	}
	if rest, ok := strings.CutPrefix(base, "http://localhost:"); ok {
		uris = append(uris, "http://127.0.0.1:"+rest+"/complete/local/")
	}
	return uris
}

// demoBackends is "local" plus the backends the environment enables, plus
// "email", which needs no keys: the SOCIAL_AUTH_AUTHENTICATION_BACKENDS
// list when set (the only way to enable backends without keys, such as
// the generic openid one), otherwise every backend of the catalogue whose
// KEY and SECRET are set (oidc and oauth1 need their endpoint settings
// too, or the engine refuses to start and says which is missing).
func demoBackends(env settings.Env) []string {
	s := settings.New(env)
	names := []string{"local"}
	add := func(n string) {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if listed, _ := s.StringsE("", "AUTHENTICATION_BACKENDS", nil); len(listed) > 0 {
		for _, n := range listed {
			add(n)
		}
	} else {
		for _, spec := range providers.Catalogue() {
			prefix := settings.Prefix + settings.BackendPrefix(spec.Name) + "_"
			if env[prefix+"KEY"] != "" && env[prefix+"SECRET"] != "" {
				add(spec.Name)
			}
		}
	}
	add(form.EmailBackend)
	return names
}

// demoSecret returns SOCIAL_AUTH_SECRET_KEY from the environment, or the
// key kept beside the database (created on first run), so that sessions
// survive a restart.
func demoSecret(dbPath string, environ []string) (string, error) {
	if v := settings.FromEnviron(environ)["SOCIAL_AUTH_SECRET_KEY"]; v != "" {
		return v, nil
	}
	path := dbPath + ".secret"
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	key := randomHex(32)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keeping the session key: %w", err)
	}
	return key, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Handler returns the site's routes.
func (d *demo) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.home)
	mux.HandleFunc("GET /me", d.me)
	mux.HandleFunc("GET "+emailFormPath, d.emailForm)
	mux.HandleFunc("GET "+emailSentPath, d.emailSent)
	mux.HandleFunc("GET "+outboxPath, d.showOutbox)
	cop := http.NewCrossOriginProtection()
	mux.Handle("POST /logout", cop.Handler(http.HandlerFunc(d.logout)))
	mux.Handle(idpPrefix+"/", http.StripPrefix(idpPrefix, d.idp))
	authHandler := d.auth.Handler()
	// A login posted from another site (an OpenID identifier of the
	// attacker's choosing) is refused; links (GET) work from anywhere.
	mux.Handle("/login/", cop.Handler(authHandler))
	mux.Handle("/complete/", authHandler)
	mux.Handle("/disconnect/", authHandler)
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

type homePage struct {
	Data    *socialauth.TemplateData
	Message string
	Backend string
	// Buttons are the backends a link starts: every enabled one but those
	// with forms of their own.
	Buttons []socialauth.BackendInfo
	// LinkButtons are Buttons the user has no account with yet.
	LinkButtons []socialauth.BackendInfo
	// EmailURL starts an email sign-in; LinkEmail offers it to a
	// signed-in user who has a password and no linked address.
	EmailURL  string
	LinkEmail bool
	// OpenIDURL is where the OpenID identifier form posts, when the
	// generic openid backend is enabled.
	OpenIDURL string
	OutboxURL string
}

// openidBackend is the generic OpenID 2.0 backend, whose sign-in asks
// for an identifier.
const openidBackend = "openid"

func (d *demo) home(w http.ResponseWriter, r *http.Request) {
	td, err := d.auth.TemplateData(r)
	if err != nil {
		d.log.ErrorContext(r.Context(), "demo: home", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	page := homePage{Data: td, Message: r.URL.Query().Get("message"), Backend: r.URL.Query().Get("backend"),
		OutboxURL: outboxPath}
	for _, b := range td.Backends {
		switch b.Name {
		case form.EmailBackend:
			page.EmailURL = b.LoginURL
		case openidBackend:
			page.OpenIDURL = b.LoginURL
		default:
			page.Buttons = append(page.Buttons, shortTitle(b))
		}
	}
	for _, b := range td.NotAssociated {
		switch b.Name {
		case form.EmailBackend:
			if td.User != nil {
				// Linking an address asks for the user's own password.
				_, err := d.passwords.Get(r.Context(), td.User.ID)
				page.LinkEmail = err == nil
			}
		case openidBackend:
		default:
			page.LinkButtons = append(page.LinkButtons, shortTitle(b))
		}
	}
	d.render(w, r, "home.html", page)
}

// shortTitle drops the catalogue's note on generic backends ("OpenID
// Connect (generic, configured by OIDC_ENDPOINT)") from a button.
func shortTitle(b socialauth.BackendInfo) socialauth.BackendInfo {
	if before, _, ok := strings.Cut(b.Title, " (generic"); ok && before != "" {
		b.Title = before
	}
	return b
}

// meUser and meAssociation are the JSON of GET /me.
type meUser struct {
	ID        string `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type meAssociation struct {
	ID        string         `json:"id"`
	Provider  string         `json:"provider"`
	UID       string         `json:"uid"`
	ExtraData map[string]any `json:"extra_data"`
}

type meReply struct {
	Authenticated bool            `json:"authenticated"`
	User          *meUser         `json:"user"`
	Associations  []meAssociation `json:"associations"`
}

func (d *demo) me(w http.ResponseWriter, r *http.Request) {
	reply := meReply{Associations: []meAssociation{}}
	u, err := d.auth.CurrentUser(r)
	if err == nil && u != nil {
		reply.Authenticated = true
		reply.User = &meUser{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}
		var all []*store.Association
		all, err = d.auth.Store().AssociationsForUser(r.Context(), u.ID, "")
		for _, a := range all {
			reply.Associations = append(reply.Associations, meAssociation{ID: a.ID, Provider: a.Provider, UID: a.UID, ExtraData: a.ExtraData})
		}
	}
	if err != nil {
		d.log.ErrorContext(r.Context(), "demo: /me", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(reply)
}

func (d *demo) logout(w http.ResponseWriter, r *http.Request) {
	if err := d.auth.Logout(w, r); err != nil {
		d.log.ErrorContext(r.Context(), "demo: logout", "err", err)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
