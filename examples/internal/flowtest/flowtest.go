// Package flowtest is the end-to-end test suite the example sites share:
// a whole "Sign in with GitHub" against socialtest's fake provider over
// real HTTP (the site on httptest's TLS server, the provider on loopback),
// linking a second account, disconnecting, logging out, and refusing
// forged or replayed callbacks.
//
// Each example's tests describe their site with a [Site] and call [Run].
package flowtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/examples/internal/site"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store"
)

// The redirect targets the suite configures, so that each landing can be
// told apart.
const (
	LoginRedirectURL      = "/?welcome=1"
	LoginErrorURL         = "/?failed=1"
	DisconnectRedirectURL = "/?disconnected=1"
)

// App is an example site under test.
type App interface {
	http.Handler
	// Auth returns the site's socialauth engine, to look into its store
	// and sessions.
	Auth() *socialauth.Auth
}

// Site describes an example site.
type Site struct {
	// Prefix is where socialauth's routes are mounted: "" or "/auth".
	Prefix string
	// New builds the site from its settings, with a fresh database, and
	// logs to logger. It fails the test on error.
	New func(t *testing.T, s *settings.Settings, logger *slog.Logger) App
}

// OnSQLite returns a [Site.New] that builds the example site with newApp
// on a fresh SQLite file in the test's temporary directory.
func OnSQLite[A App](newApp func(context.Context, site.Config) (A, error)) func(*testing.T, *settings.Settings, *slog.Logger) App {
	return func(t *testing.T, s *settings.Settings, logger *slog.Logger) App {
		t.Helper()
		ctx := context.Background()
		db, err := site.OpenDB(ctx, filepath.Join(t.TempDir(), "example.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		app, err := newApp(ctx, site.Config{Settings: s, DB: db, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
}

// Run runs the whole suite against a site.
func Run(t *testing.T, site Site) {
	t.Run("Login", func(t *testing.T) { testLogin(t, site) })
	t.Run("SecondAccountAndDisconnect", func(t *testing.T) { testDisconnect(t, site) })
	t.Run("HostileCallbacks", func(t *testing.T) { testHostileCallbacks(t, site) })
}

// A GitHub account of the fake provider. The profile has no public email,
// as is common on GitHub: the address comes from /user/emails.
type account struct {
	id    int
	login string
	email string
}

var (
	ada    = account{id: 4242, login: "ada", email: "ada@example.com"}
	adaAlt = account{id: 4343, login: "ada-work", email: "ada@work.example.com"}
)

func (a account) uid() string { return fmt.Sprint(a.id) }

// env is one site, its fake GitHub and the log of what socialauth
// reported.
type env struct {
	t      *testing.T
	site   Site
	app    App
	srv    *httptest.Server
	github *socialtest.Provider
	logs   *kindRecorder
	mu     sync.Mutex
	emails map[string][]map[string]any // /user/emails by GitHub user id
}

func newEnv(t *testing.T, site Site) *env {
	t.Helper()
	e := &env{t: t, site: site, logs: &kindRecorder{}, emails: map[string][]map[string]any{}}
	e.github = socialtest.NewOAuth2Provider(t)
	// GitHub's email list: the one the backend asks for when the profile
	// shows no email. It answers for the token's user.
	e.github.Handle("GET /user/emails", e.github.RequireToken(http.HandlerFunc(e.serveEmails)))

	s := settings.New(settings.Map{
		"SOCIAL_AUTH_AUTHENTICATION_BACKENDS":  "github",
		"SOCIAL_AUTH_SECRET_KEY":               "an example secret key of at least 32 bytes, for tests",
		"SOCIAL_AUTH_LOGIN_REDIRECT_URL":       LoginRedirectURL,
		"SOCIAL_AUTH_LOGIN_ERROR_URL":          LoginErrorURL,
		"SOCIAL_AUTH_DISCONNECT_REDIRECT_URL":  DisconnectRedirectURL,
		"SOCIAL_AUTH_GITHUB_KEY":               e.github.ClientID,
		"SOCIAL_AUTH_GITHUB_SECRET":            e.github.ClientSecret,
		"SOCIAL_AUTH_GITHUB_SCOPE":             "user:email",
		"SOCIAL_AUTH_GITHUB_AUTHORIZATION_URL": e.github.AuthorizeURL(),
		"SOCIAL_AUTH_GITHUB_ACCESS_TOKEN_URL":  e.github.TokenURL(),
		"SOCIAL_AUTH_GITHUB_USER_DATA_URL":     e.github.UserURL(),
		"SOCIAL_AUTH_GITHUB_API_URL":           e.github.URL + "/",
	})
	e.app = site.New(t, s, slog.New(e.logs))
	e.srv = httptest.NewTLSServer(e.app)
	t.Cleanup(e.srv.Close)
	if err := e.github.AllowRedirect(e.callbackURL()); err != nil {
		t.Fatal(err)
	}
	return e
}

// callbackURL is where the site must ask GitHub to send the browser back.
func (e *env) callbackURL() string { return e.srv.URL + e.site.Prefix + "/complete/github/" }

// url is an absolute URL of the site.
func (e *env) url(path string) string { return e.srv.URL + path }

// signUp makes acc the user the fake GitHub approves next.
func (e *env) signUp(acc account) {
	e.mu.Lock()
	e.emails[acc.uid()] = []map[string]any{
		{"email": "old-" + acc.email, "primary": false, "verified": true},
		{"email": acc.email, "primary": true, "verified": true},
	}
	e.mu.Unlock()
	e.github.SetUser(map[string]any{"id": acc.id, "login": acc.login, "name": "Ada Lovelace", "email": nil})
}

func (e *env) serveEmails(w http.ResponseWriter, r *http.Request) {
	info, _ := e.github.TokenInfo(r) // RequireToken checked it
	e.mu.Lock()
	emails, ok := e.emails[info.User.ID]
	e.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(emails); err != nil {
		e.t.Errorf("serving /user/emails: %v", err)
	}
}

// browser returns a cookie-keeping client that trusts the site's
// certificate and records every redirect it follows.
func (e *env) browser() (*http.Client, *[]*url.URL) {
	c := socialtest.NewBrowser(e.t)
	c.Transport = e.srv.Client().Transport
	var hops []*url.URL
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		hops = append(hops, req.URL)
		return nil
	}
	return c, &hops
}

// stepper returns a cookie-keeping client that stops at each redirect.
func (e *env) stepper() *http.Client {
	c := socialtest.NewBrowserNoRedirect(e.t)
	c.Transport = e.srv.Client().Transport
	return c
}

// login runs a whole login of acc in the browser and returns the page it
// lands on.
func (e *env) login(c *http.Client, acc account) (*http.Response, string) {
	e.t.Helper()
	e.signUp(acc)
	res, body := get(e.t, c, e.url(e.site.Prefix+"/login/github/"))
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("login of %s ended with %s: %s", acc.login, res.Status, body)
	}
	return res, body
}

// association returns the site's association with a GitHub account, or
// nil.
func (e *env) association(acc account) *store.Association {
	e.t.Helper()
	as, err := e.app.Auth().Store().GetAssociation(context.Background(), "github", acc.uid())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

// currentUser asks socialauth who the browser's session belongs to.
func (e *env) currentUser(c *http.Client) *store.User {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodGet, e.url("/"), nil)
	for _, ck := range c.Jar.Cookies(r.URL) {
		r.AddCookie(ck)
	}
	u, err := e.app.Auth().CurrentUser(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func testLogin(t *testing.T, site Site) {
	e := newEnv(t, site)
	c, hops := e.browser()

	// Before: the home page offers the login at the mounted path.
	_, body := get(t, c, e.url("/"))
	wantContains(t, body, "You are not signed in", `href="`+site.Prefix+`/login/github/"`)

	res, body := e.login(c, ada)

	// The redirect chain: GitHub's authorize page, the site's callback
	// under its prefix, then LOGIN_REDIRECT_URL.
	if len(*hops) != 3 {
		t.Fatalf("followed %d redirects %v, want 3", len(*hops), *hops)
	}
	if got := (*hops)[0]; !sameEndpoint(got, e.github.AuthorizeURL()) {
		t.Errorf("first redirect to %s, want GitHub's authorize endpoint %s", got, e.github.AuthorizeURL())
	}
	if got := (*hops)[1]; !sameEndpoint(got, e.callbackURL()) {
		t.Errorf("GitHub sent the browser back to %s, want %s", got, e.callbackURL())
	}
	if got, want := res.Request.URL.String(), e.url(LoginRedirectURL); got != want {
		t.Errorf("landed on %s, want LOGIN_REDIRECT_URL %s", got, want)
	}

	// The callback URL GitHub was given carries the prefix, in both the
	// authorization request and the code exchange.
	authz := e.github.RequestsTo(socialtest.AuthorizePath)
	tokens := e.github.RequestsTo(socialtest.TokenPath)
	if len(authz) != 1 || len(tokens) != 1 {
		t.Fatalf("GitHub got %d authorization and %d token requests, want 1 and 1", len(authz), len(tokens))
	}
	if got := authz[0].Query.Get("redirect_uri"); got != e.callbackURL() {
		t.Errorf("authorization redirect_uri = %q, want %q", got, e.callbackURL())
	}
	if got := tokens[0].Form.Get("redirect_uri"); got != e.callbackURL() {
		t.Errorf("token exchange redirect_uri = %q, want %q", got, e.callbackURL())
	}
	if got := authz[0].Query.Get("scope"); !strings.Contains(got, "user:email") {
		t.Errorf("scope = %q, want user:email in it", got)
	}
	if n := len(e.github.RequestsTo("/user/emails")); n != 1 {
		t.Errorf("the site read GitHub's email list %d times, want 1", n)
	}

	// The store has the user and the association.
	as := e.association(ada)
	if as == nil {
		t.Fatal("no association for the GitHub account after login")
	}
	u, err := e.app.Auth().Store().GetUser(context.Background(), as.UserID)
	if err != nil {
		t.Fatalf("the association's user: %v", err)
	}
	if u.Username != ada.login || u.Email != ada.email || !u.IsActive {
		t.Errorf("user = %+v, want active %s <%s> (the primary verified email)", u, ada.login, ada.email)
	}
	if tok, _ := as.ExtraData["access_token"].(string); tok == "" {
		t.Errorf("association extra data has no access token: %v", as.ExtraData)
	}

	// The session shows the user logged in, to socialauth and on the page.
	if cur := e.currentUser(c); cur == nil || cur.ID != u.ID {
		t.Errorf("current user = %+v, want %s", cur, u.ID)
	}
	wantContains(t, body, "Signed in as <strong>ada</strong>", "GitHub account 4242")

	// Logging out forgets the session; a GET does not log out.
	if res, _ := get(t, c, e.url("/logout/")); res.StatusCode < 400 || e.currentUser(c) == nil {
		t.Errorf("GET /logout/: %s; want it refused and the user still logged in", res.Status)
	}
	res, body = post(t, c, e.url("/logout/"))
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/" {
		t.Errorf("logout ended with %s at %s", res.Status, res.Request.URL)
	}
	wantContains(t, body, "You are not signed in")
	if cur := e.currentUser(c); cur != nil {
		t.Errorf("still logged in as %s after logout", cur.Username)
	}

	// Logging in again finds the same user.
	e.login(c, ada)
	if cur := e.currentUser(c); cur == nil || cur.ID != u.ID {
		t.Errorf("second login: current user = %+v, want the same user %s", cur, u.ID)
	}
}

func testDisconnect(t *testing.T, site Site) {
	e := newEnv(t, site)
	ctx := context.Background()
	c, _ := e.browser()

	e.login(c, ada)
	_, body := e.login(c, adaAlt) // while logged in: linked to the same user
	first, second := e.association(ada), e.association(adaAlt)
	if first == nil || second == nil {
		t.Fatal("missing association after two logins")
	}
	if first.UserID != second.UserID {
		t.Fatalf("second account went to user %s, want the logged-in user %s", second.UserID, first.UserID)
	}
	wantContains(t, body, "GitHub account 4242", "GitHub account 4343",
		`action="`+site.Prefix+"/disconnect/github/"+second.ID+`/"`)

	oneURL := e.url(site.Prefix + "/disconnect/github/" + second.ID + "/")
	countLinks := func() int {
		t.Helper()
		all, err := e.app.Auth().Store().AssociationsForUser(ctx, first.UserID, "github")
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}

	// Refused: GET, a cross-site POST, and a POST from a browser that is
	// not logged in. None removes anything.
	if res, _ := get(t, c, oneURL); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET disconnect: %s, Allow %q; want 405, Allow POST", res.Status, res.Header.Get("Allow"))
	}
	req, _ := http.NewRequest(http.MethodPost, oneURL, nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, _ := do(t, c, req); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST disconnect: %s, want 403", res.Status)
	}
	stranger, _ := e.browser()
	res, _ := post(t, stranger, oneURL)
	if got := res.Request.URL; got.Path != "/" || got.Query().Get("failed") != "1" || got.Query().Get("backend") != "github" {
		t.Errorf("anonymous POST disconnect landed on %s, want LOGIN_ERROR_URL", got)
	}
	if n := countLinks(); n != 2 {
		t.Fatalf("refused disconnects left %d associations, want 2", n)
	}
	e.logs.want(t, socialerr.AuthForbidden)

	// Allowed: one of two, by id.
	res, body = post(t, c, oneURL)
	if got, want := res.Request.URL.String(), e.url(DisconnectRedirectURL); got != want {
		t.Errorf("disconnect landed on %s, want DISCONNECT_REDIRECT_URL %s", got, want)
	}
	if e.association(adaAlt) != nil {
		t.Error("the disconnected association is still stored")
	}
	if e.association(ada) == nil {
		t.Error("disconnecting one account removed the other")
	}
	if !strings.Contains(body, "GitHub account 4242") || strings.Contains(body, "GitHub account 4343") {
		t.Errorf("the page after disconnect lists the wrong accounts:\n%s", body)
	}

	// Refused: the last one, which would lock the user out.
	res, _ = post(t, c, e.url(site.Prefix+"/disconnect/github/"))
	if got := res.Request.URL; got.Path != "/" || got.Query().Get("failed") != "1" || got.Query().Get("message") == "" {
		t.Errorf("disconnecting the last account landed on %s, want LOGIN_ERROR_URL with a message", got)
	}
	if e.association(ada) == nil {
		t.Error("the last association was removed")
	}
	e.logs.want(t, socialerr.NotAllowedToDisconnect)
	if cur := e.currentUser(c); cur == nil || cur.ID != first.UserID {
		t.Errorf("current user after disconnects = %+v, want %s", cur, first.UserID)
	}
}

func testHostileCallbacks(t *testing.T, site Site) {
	tests := []struct {
		name   string
		tamper func(q url.Values)
		want   socialerr.Kind
	}{
		{"forged state", func(q url.Values) { q.Set("state", "forged-"+q.Get("state")) }, socialerr.AuthStateForbidden},
		{"missing state", func(q url.Values) { q.Del("state") }, socialerr.AuthStateMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, site)
			e.signUp(ada)
			c := e.stepper()
			callback := e.walkToCallback(c)
			q := callback.Query()
			tt.tamper(q)
			callback.RawQuery = q.Encode()

			res, _ := get(t, c, callback.String())
			e.wantRefused(t, c, res, tt.want)
			if n := len(e.github.RequestsTo(socialtest.TokenPath)); n != 0 {
				t.Errorf("the site exchanged the code %d times despite the bad state", n)
			}
			if e.association(ada) != nil || e.usersWithEmail(ada) != 0 {
				t.Error("a refused callback stored the account")
			}
		})
	}

	t.Run("replayed callback", func(t *testing.T) {
		e := newEnv(t, site)
		e.signUp(ada)
		c := e.stepper()
		callback := e.walkToCallback(c)
		res, _ := get(t, c, callback.String())
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || loc != LoginRedirectURL {
			t.Fatalf("first callback: %s to %q, want 302 to %s", res.Status, loc, LoginRedirectURL)
		}
		// The same callback again, in another browser that never began
		// a login: nothing in its session to match.
		thief := e.stepper()
		res, _ = get(t, thief, callback.String())
		e.wantRefused(t, thief, res, socialerr.AuthStateMissing)
		// And again in the first browser: its flow was used up.
		res, _ = get(t, c, callback.String())
		if res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), "/?failed=1") {
			t.Errorf("replay in the same browser: %s to %q, want a redirect to LOGIN_ERROR_URL", res.Status, res.Header.Get("Location"))
		}
		if n := len(e.github.RequestsTo(socialtest.TokenPath)); n != 1 {
			t.Errorf("the code was exchanged %d times, want once", n)
		}
		if e.usersWithEmail(ada) != 1 {
			t.Errorf("%d users stored after a replayed callback, want the one of the first", e.usersWithEmail(ada))
		}
	})
}

// walkToCallback begins a login in a non-following client and returns the
// callback URL GitHub redirects to.
func (e *env) walkToCallback(c *http.Client) *url.URL {
	e.t.Helper()
	res, _ := get(e.t, c, e.url(e.site.Prefix+"/login/github/"))
	if res.StatusCode != http.StatusFound {
		e.t.Fatalf("login: %s, want 302", res.Status)
	}
	res, _ = get(e.t, c, res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound {
		e.t.Fatalf("GitHub's authorize endpoint: %s, want 302", res.Status)
	}
	callback, err := url.Parse(res.Header.Get("Location"))
	if err != nil || callback.Query().Get("code") == "" {
		e.t.Fatalf("GitHub redirected to %q, want the callback with a code", res.Header.Get("Location"))
	}
	return callback
}

// wantRefused checks a callback was refused: redirected to
// LOGIN_ERROR_URL with a message, reported with the kind, and the browser
// not logged in.
func (e *env) wantRefused(t *testing.T, c *http.Client, res *http.Response, kind socialerr.Kind) {
	t.Helper()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("callback: %s to %q, want a redirect to LOGIN_ERROR_URL", res.Status, res.Header.Get("Location"))
	}
	q := loc.Query()
	if loc.Path != "/" || q.Get("failed") != "1" || q.Get("backend") != "github" || q.Get("message") == "" {
		t.Errorf("callback redirected to %s, want LOGIN_ERROR_URL with message and backend", loc)
	}
	e.logs.want(t, kind)
	if cur := e.currentUser(c); cur != nil {
		t.Errorf("logged in as %s after a refused callback", cur.Username)
	}
}

// usersWithEmail returns how many stored users have acc's email.
func (e *env) usersWithEmail(acc account) int {
	e.t.Helper()
	users, err := e.app.Auth().Store().UsersByEmail(context.Background(), acc.email)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(users)
}

// sameEndpoint reports whether u is want, ignoring the query.
func sameEndpoint(u *url.URL, want string) bool {
	w, err := url.Parse(want)
	return err == nil && u.Scheme == w.Scheme && u.Host == w.Host && u.Path == w.Path
}

// kindRecorder is a slog.Handler keeping the error kinds socialauth
// reports.
type kindRecorder struct {
	mu    sync.Mutex
	kinds []string
}

func (k *kindRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (k *kindRecorder) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "kind" {
			k.mu.Lock()
			k.kinds = append(k.kinds, a.Value.String())
			k.mu.Unlock()
		}
		return true
	})
	return nil
}

func (k *kindRecorder) WithAttrs([]slog.Attr) slog.Handler { return k }
func (k *kindRecorder) WithGroup(string) slog.Handler      { return k }

// want checks that the last kind reported is kind.
func (k *kindRecorder) want(t *testing.T, kind socialerr.Kind) {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.kinds) == 0 || k.kinds[len(k.kinds)-1] != string(kind) {
		t.Errorf("socialauth reported kinds %v, want %s last", k.kinds, kind)
	}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

func post(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func wantContains(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("page lacks %q:\n%s", p, body)
		}
	}
}
