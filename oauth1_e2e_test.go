package socialauth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store/memstore"
)

// o1Profile is what the fake OAuth 1.0a provider serves: Twitter's keys
// (id_str, screen_name) and the generic backend's (id, username).
func o1Profile() map[string]any {
	return map[string]any{"id": "555", "id_str": "555", "username": "lovelace", "screen_name": "lovelace",
		"name": "Ada Lovelace", "email": "ada@example.com"}
}

// o1App is an application using socialauth over TLS with the generic
// oauth1 backend and twitter both pointed at one fake OAuth 1.0a provider.
type o1App struct {
	t     *testing.T
	p     *socialtest.OAuth1Provider
	store *memstore.Store
	auth  *socialauth.Auth
	srv   *httptest.Server
}

func newO1App(t *testing.T, extra settings.Map) *o1App {
	t.Helper()
	app := &o1App{t: t, store: memstore.New(memstore.Options{})}
	app.p = socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(o1Profile()))
	mux := http.NewServeMux()
	app.srv = httptest.NewTLSServer(mux)
	t.Cleanup(app.srv.Close)
	base := settings.Map{
		"SOCIAL_AUTH_SECRET_KEY":              testSecretKey,
		"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"oauth1", "twitter"},
		"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
		"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",
	}
	for _, name := range []string{"OAUTH1", "TWITTER"} {
		base["SOCIAL_AUTH_"+name+"_KEY"] = app.p.ConsumerKey
		base["SOCIAL_AUTH_"+name+"_SECRET"] = app.p.ConsumerSecret
		base["SOCIAL_AUTH_"+name+"_REQUEST_TOKEN_URL"] = app.p.RequestTokenURL()
		base["SOCIAL_AUTH_"+name+"_AUTHORIZATION_URL"] = app.p.AuthorizeURL()
		base["SOCIAL_AUTH_"+name+"_ACCESS_TOKEN_URL"] = app.p.AccessTokenURL()
		base["SOCIAL_AUTH_"+name+"_USER_DATA_URL"] = app.p.UserURL() + "?include_email=true"
	}
	auth, err := socialauth.New(socialauth.Config{Settings: settings.New(extra, base), Store: app.store})
	if err != nil {
		t.Fatal(err)
	}
	app.auth = auth
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

// o1Browser is a cookie-keeping client of the app that does not follow
// redirects by itself.
func (app *o1App) o1Browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Transport:     app.srv.Client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (app *o1App) get(c *http.Client, rawURL string) *http.Response {
	app.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = app.srv.URL + rawURL
	}
	res, err := c.Get(rawURL)
	if err != nil {
		app.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// visit GETs a URL and follows every redirect, returning the final URL and
// body.
func (app *o1App) visit(c *http.Client, rawURL string) (*url.URL, string) {
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

// callback runs /login/{backend}/ and the provider's authorization, and
// returns the callback URL without visiting it.
func (app *o1App) callback(c *http.Client, backendName string) string {
	app.t.Helper()
	res := app.get(c, "/login/"+backendName+"/")
	if res.StatusCode != http.StatusFound {
		app.t.Fatalf("login: status %d", res.StatusCode)
	}
	res = app.get(c, res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound {
		app.t.Fatalf("authorize: status %d", res.StatusCode)
	}
	return res.Header.Get("Location")
}

// wantO1Error asserts a login failed: the error page, nothing stored,
// nobody logged in.
func (app *o1App) wantO1Error(c *http.Client, final *url.URL, backendName, messagePart string) {
	app.t.Helper()
	q := final.Query()
	if final.Path != "/error" || q.Get("backend") != backendName ||
		!strings.Contains(strings.ToLower(q.Get("message")), strings.ToLower(messagePart)) {
		app.t.Errorf("landed on %s; want /error for %s with a message containing %q", final, backendName, messagePart)
	}
	if ok, _ := app.store.UserExists(context.Background(), "lovelace"); ok {
		app.t.Error("a user was stored")
	}
	for _, b := range []string{"oauth1", "twitter"} {
		if _, err := app.store.GetAssociation(context.Background(), b, "555"); err == nil {
			app.t.Errorf("an association was stored for %s", b)
		}
	}
	if _, body := app.visit(c, "/whoami"); !strings.Contains(body, "user=anonymous") {
		app.t.Errorf("someone is logged in: %s", body)
	}
}

func TestOAuth1LoginEndToEnd(t *testing.T) {
	for _, name := range []string{"oauth1", "twitter"} {
		t.Run(name, func(t *testing.T) {
			app := newO1App(t, nil)
			c := app.o1Browser()
			final, body := app.visit(c, "/login/"+name+"/?next=/after")
			if final.Path != "/after" || !strings.Contains(body, "user=lovelace") {
				t.Fatalf("landed on %s: %s", final, body)
			}
			rt := app.p.RequestsTo(socialtest.OAuth1RequestTokenPath)
			if len(rt) != 1 || !strings.Contains(rt[0].Header.Get("Authorization"),
				"oauth_callback=\""+url.QueryEscape(app.srv.URL+"/complete/"+name+"/")) {
				t.Errorf("request-token call: %+v", rt)
			}
			ctx := context.Background()
			assoc, err := app.store.GetAssociation(ctx, name, "555")
			if err != nil {
				t.Fatal(err)
			}
			pair, _ := assoc.ExtraData["access_token"].(map[string]any)
			if pair["oauth_token"] == nil || pair["oauth_token"] == "" || pair["oauth_token_secret"] == nil || assoc.ExtraData["auth_time"] == nil {
				t.Errorf("extra data %v", assoc.ExtraData)
			}
			u, err := app.store.GetUser(ctx, assoc.UserID)
			if err != nil || u.Email != "ada@example.com" || u.FirstName != "Ada" {
				t.Errorf("user %+v, %v", u, err)
			}
			// A second login finds the same user.
			c2 := app.o1Browser()
			if final, body := app.visit(c2, "/login/"+name+"/"); final.Path != "/home" || !strings.Contains(body, "user=lovelace") {
				t.Errorf("second login landed on %s: %s", final, body)
			}
		})
	}
}

func TestOAuth1HostileEndToEnd(t *testing.T) {
	t.Run("wrong consumer secret: the provider refuses the signature", func(t *testing.T) {
		app := newO1App(t, settings.Map{"SOCIAL_AUTH_OAUTH1_SECRET": "not-the-secret"})
		c := app.o1Browser()
		final, _ := app.visit(c, "/login/oauth1/")
		app.wantO1Error(c, final, "oauth1", "token")
		if len(app.p.RequestsTo(socialtest.OAuth1AuthorizePath)) != 0 {
			t.Error("the browser was sent to the provider")
		}
	})
	t.Run("callback not confirmed", func(t *testing.T) {
		app := newO1App(t, nil)
		app.p.NoCallbackConfirmed()
		c := app.o1Browser()
		final, _ := app.visit(c, "/login/twitter/")
		app.wantO1Error(c, final, "twitter", "failed")
	})
	t.Run("a verifier for another token", func(t *testing.T) {
		app := newO1App(t, nil)
		victim, attacker := app.o1Browser(), app.o1Browser()
		app.callback(victim, "oauth1")              // the victim's login is under way
		foreign := app.callback(attacker, "oauth1") // the attacker's own token and verifier
		final, _ := app.visit(victim, foreign)
		app.wantO1Error(victim, final, "oauth1", "another token")
		if n := len(app.p.RequestsTo(socialtest.OAuth1AccessTokenPath)); n != 0 {
			t.Errorf("the foreign verifier was exchanged (%d calls)", n)
		}
	})
	t.Run("denied", func(t *testing.T) {
		app := newO1App(t, nil)
		app.p.Deny()
		c := app.o1Browser()
		final, _ := app.visit(c, "/login/oauth1/")
		app.wantO1Error(c, final, "oauth1", "canceled")
	})
	t.Run("replayed callback", func(t *testing.T) {
		app := newO1App(t, nil)
		c := app.o1Browser()
		cb := app.callback(c, "oauth1")
		if final, _ := app.visit(c, cb); final.Path != "/home" {
			t.Fatalf("first callback landed on %s", final)
		}
		final, _ := app.visit(c, cb)
		if final.Path != "/error" || !strings.Contains(final.Query().Get("message"), "state") {
			t.Errorf("replay landed on %s", final)
		}
		if n := len(app.p.RequestsTo(socialtest.OAuth1AccessTokenPath)); n != 1 {
			t.Errorf("the replayed verifier was sent to the provider (%d exchanges)", n)
		}
	})
	t.Run("missing stash: callback in another browser", func(t *testing.T) {
		app := newO1App(t, nil)
		cb := app.callback(app.o1Browser(), "twitter")
		attacker := app.o1Browser()
		final, _ := app.visit(attacker, cb)
		app.wantO1Error(attacker, final, "twitter", "state")
	})
	t.Run("oversized user reply", func(t *testing.T) {
		app := newO1App(t, nil)
		app.p.SetUserReply(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"id_str":"555","pad":"`)
			chunk := strings.Repeat("x", 64<<10)
			for range 20 {
				io.WriteString(w, chunk)
			}
			io.WriteString(w, `"}`)
		})
		c := app.o1Browser()
		final, _ := app.visit(c, "/login/twitter/")
		app.wantO1Error(c, final, "twitter", "")
	})
	t.Run("malformed token reply", func(t *testing.T) {
		app := newO1App(t, nil)
		app.p.FailNext(socialtest.OAuth1AccessTokenPath, http.StatusOK, `{"oauth_token":`)
		c := app.o1Browser()
		final, _ := app.visit(c, "/login/oauth1/")
		app.wantO1Error(c, final, "oauth1", "")
	})
}

func TestOAuth1TokenLogin(t *testing.T) {
	app := newO1App(t, nil)
	b, ok := app.auth.Backend("twitter")
	if !ok {
		t.Fatal("no twitter backend")
	}
	ta, ok := b.(backend.TokenAuthenticator)
	if !ok {
		t.Fatal("twitter cannot log in from a token pair")
	}
	token, secret := app.p.IssueToken(o1Profile())
	id, err := ta.AuthenticateToken(context.Background(), url.Values{"access_token": {"oauth_token=" + token + "&oauth_token_secret=" + secret}})
	if err != nil || id.UID != "555" || id.Details.Username != "lovelace" || !id.Details.EmailVerified {
		t.Errorf("identity %+v, %v", id, err)
	}
	if _, err := ta.AuthenticateToken(context.Background(), url.Values{"oauth_token": {token}, "oauth_token_secret": {"forged"}}); err == nil {
		t.Error("a forged token secret logged in")
	}
}
