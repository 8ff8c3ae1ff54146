package socialauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// oidcApp is an application with the catalogue's generic "oidc" backend
// pointed at a fake OpenID Provider, served over TLS, sharing a settable
// clock with the provider.
type oidcApp struct {
	t     *testing.T
	p     *socialtest.OIDCProvider
	store *memstore.Store
	srv   *httptest.Server
	clk   *oidcClock
	fails []string
	mu    sync.Mutex
}

type oidcClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *oidcClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *oidcClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newOIDCApp(t *testing.T) *oidcApp {
	t.Helper()
	clk := &oidcClock{t: time.Now().Truncate(time.Second)}
	app := &oidcApp{t: t, clk: clk, store: memstore.New(memstore.Options{})}
	mux := http.NewServeMux()
	app.srv = httptest.NewTLSServer(mux)
	t.Cleanup(app.srv.Close)
	app.p = socialtest.NewOIDCProvider(t, socialtest.WithClock(clk.Now),
		socialtest.WithRedirectURI(app.srv.URL+"/complete/oidc/"),
		socialtest.WithUser(map[string]any{"sub": "u-42", "preferred_username": "ada", "name": "Ada Lovelace",
			"email": "ada@example.com", "email_verified": true}))
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_SECRET_KEY":              testSecretKey,
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"oidc"},
			"SOCIAL_AUTH_OIDC_KEY":                app.p.ClientID,
			"SOCIAL_AUTH_OIDC_SECRET":             app.p.ClientSecret,
			"SOCIAL_AUTH_OIDC_OIDC_ENDPOINT":      app.p.Issuer(),
			"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
			"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",
		}),
		Store: app.store,
		Now:   clk.Now,
		Events: socialauth.Events{LoginFailed: func(_ context.Context, b string, err error) {
			app.mu.Lock()
			defer app.mu.Unlock()
			app.fails = append(app.fails, fmt.Sprintf("%s: %v", b, err))
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := auth.Handler()
	mux.Handle("/login/", h)
	mux.Handle("/complete/", h)
	mux.Handle("/token/", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		who := "anonymous"
		if u, err := auth.CurrentUser(r); err == nil && u != nil {
			who = u.Username
		}
		fmt.Fprintf(w, "page=%s user=%s", r.URL.Path, who)
	})
	return app
}

// browse returns a cookie-keeping client that follows no redirect.
func (app *oidcApp) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Transport: app.srv.Client().Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// visit GETs rawURL and follows redirects (to the provider too).
func (app *oidcApp) visit(c *http.Client, rawURL string) (*url.URL, string) {
	app.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = app.srv.URL + rawURL
	}
	for range 10 {
		res, err := c.Get(rawURL)
		if err != nil {
			app.t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode < 300 || res.StatusCode >= 400 {
			return res.Request.URL, string(body)
		}
		next, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if err != nil {
			app.t.Fatal(err)
		}
		rawURL = next.String()
	}
	app.t.Fatal("redirect loop")
	return nil, ""
}

// callback runs the login up to the provider's redirect back.
func (app *oidcApp) callback(c *http.Client) string {
	app.t.Helper()
	res, err := c.Get(app.srv.URL + "/login/oidc/")
	if err != nil || res.StatusCode != http.StatusFound {
		app.t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	res, err = c.Get(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		app.t.Fatalf("authorize: %v %v", res, err)
	}
	res.Body.Close()
	return res.Header.Get("Location")
}

// mustStoreNothing asserts no user and no association exist and the
// browser is anonymous.
func (app *oidcApp) mustStoreNothing(c *http.Client) {
	app.t.Helper()
	ctx := context.Background()
	if ok, _ := app.store.UserExists(ctx, "ada"); ok {
		app.t.Error("a user was created")
	}
	if _, err := app.store.GetAssociation(ctx, "oidc", "u-42"); !errors.Is(err, store.ErrNotFound) {
		app.t.Errorf("an association was stored (%v)", err)
	}
	if _, body := app.visit(c, "/whoami"); !strings.Contains(body, "user=anonymous") {
		app.t.Errorf("someone is logged in: %s", body)
	}
}

func TestOIDCLoginEndToEnd(t *testing.T) {
	app := newOIDCApp(t)
	c := app.browser()
	final, body := app.visit(c, "/login/oidc/")
	if final.Path != "/home" || !strings.Contains(body, "user=ada") {
		t.Fatalf("landed on %s: %s", final, body)
	}
	assoc, err := app.store.GetAssociation(context.Background(), "oidc", "u-42")
	if err != nil {
		t.Fatal(err)
	}
	if assoc.ExtraData["id_token"] == nil || assoc.ExtraData["access_token"] == nil {
		t.Errorf("extra data %v", assoc.ExtraData)
	}
	authz := app.p.RequestsTo(socialtest.AuthorizePath)
	if len(authz) != 1 || authz[0].Query.Get("nonce") == "" || !strings.Contains(authz[0].Query.Get("scope"), "openid") {
		t.Errorf("authorization request %v", authz)
	}
	// Replaying the same callback in the same browser stores nothing more
	// and fails: the stash (state, nonce) was single use.
	c2 := app.browser()
	cb := app.callback(c2)
	if final, _ := app.visit(c2, cb); final.Path != "/home" {
		t.Fatalf("second login landed on %s", final)
	}
	if final, _ := app.visit(c2, cb); final.Path != "/error" {
		t.Errorf("replayed callback landed on %s", final)
	}
}

func TestOIDCHostileRepliesEndToEnd(t *testing.T) {
	wrongIss, noIss := "https://attacker.example", ""
	tests := []struct {
		name    string
		arrange func(app *oidcApp)
		message string
	}{
		{"wrong issuer", func(app *oidcApp) { app.p.NextIDToken(socialtest.WrongIssuer()) }, "token"},
		{"wrong audience", func(app *oidcApp) { app.p.NextIDToken(socialtest.WrongAudience()) }, "token"},
		{"extra audience without azp", func(app *oidcApp) { app.p.NextIDToken(socialtest.ExtraAudienceWithoutAZP()) }, "token"},
		{"alg none", func(app *oidcApp) { app.p.NextIDToken(socialtest.AlgNone()) }, "token"},
		{"HS256 keyed with the public key", func(app *oidcApp) { app.p.NextIDToken(socialtest.HS256WithKey(app.p.PublicKeyPEM())) }, "token"},
		{"expired", func(app *oidcApp) { app.p.NextIDToken(socialtest.Expired()) }, "token"},
		{"issued in the future", func(app *oidcApp) { app.p.NextIDToken(socialtest.IssuedAt(time.Hour)) }, "token"},
		{"not before", func(app *oidcApp) { app.p.NextIDToken(socialtest.NotBefore(time.Hour)) }, "token"},
		{"unknown kid", func(app *oidcApp) { app.p.NextIDToken(socialtest.UnknownKeyID()) }, "token"},
		{"forged signature", func(app *oidcApp) { app.p.NextIDToken(socialtest.ForgedSignature()) }, "token"},
		{"missing nonce", func(app *oidcApp) { app.p.NextIDToken(socialtest.MissingNonce()) }, "token"},
		{"wrong nonce", func(app *oidcApp) { app.p.NextIDToken(socialtest.WrongNonce()) }, "token"},
		{"wrong at_hash", func(app *oidcApp) { app.p.NextIDToken(socialtest.WrongAtHash()) }, "token"},
		{"userinfo sub mismatch", func(app *oidcApp) { app.p.SetUserinfoSub("someone-else") }, "someone else"},
		{"callback iss missing", func(app *oidcApp) { app.p.SetCallbackIssuer(&noIss) }, "state"},
		{"callback iss wrong", func(app *oidcApp) { app.p.SetCallbackIssuer(&wrongIss) }, "state"},
		{"discovery issuer mismatch", func(app *oidcApp) {
			app.p.EditDiscovery(func(doc map[string]any) { doc["issuer"] = "https://other.example" })
		}, "configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newOIDCApp(t)
			tt.arrange(app)
			c := app.browser()
			final, _ := app.visit(c, "/login/oidc/")
			if final.Path != "/error" || final.Query().Get("backend") != "oidc" ||
				!strings.Contains(strings.ToLower(final.Query().Get("message")), tt.message) {
				t.Errorf("landed on %s; want /error with a message containing %q", final, tt.message)
			}
			app.mustStoreNothing(c)
			app.mu.Lock()
			defer app.mu.Unlock()
			if len(app.fails) != 1 {
				t.Errorf("LoginFailed events: %v", app.fails)
			}
		})
	}
}

func TestOIDCCallbackFromAnotherBrowser(t *testing.T) {
	app := newOIDCApp(t)
	victim, attacker := app.browser(), app.browser()
	app.visit(victim, "/whoami")
	cb := app.callback(attacker) // the attacker's own login, code and all
	final, _ := app.visit(victim, cb)
	if final.Path != "/error" {
		t.Fatalf("landed on %s", final)
	}
	app.mustStoreNothing(victim)
}

func TestOIDCDiscoveryCachedAcrossLogins(t *testing.T) {
	app := newOIDCApp(t)
	for range 3 {
		if final, _ := app.visit(app.browser(), "/login/oidc/"); final.Path != "/home" {
			t.Fatalf("landed on %s", final)
		}
	}
	if n, k := len(app.p.RequestsTo(socialtest.DiscoveryPath)), len(app.p.RequestsTo(socialtest.JWKSPath)); n != 1 || k != 1 {
		t.Errorf("%d discovery and %d key set fetches for three logins", n, k)
	}
	app.clk.Advance(2 * time.Hour)
	if final, _ := app.visit(app.browser(), "/login/oidc/"); final.Path != "/home" {
		t.Fatalf("landed on %s", final)
	}
	if n := len(app.p.RequestsTo(socialtest.DiscoveryPath)); n != 2 {
		t.Errorf("%d discovery fetches after expiry", n)
	}
}
