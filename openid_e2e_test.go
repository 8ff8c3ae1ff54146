package socialauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

const steamID64 = "76561197960287930"

// openIDApp is an application with the generic openid backend and steam,
// served over TLS, with a fake OP and a fake Steam Web API.
type openIDApp struct {
	t     *testing.T
	op    *socialtest.OpenIDProvider
	store *memstore.Store
	srv   *httptest.Server
}

func newOpenIDApp(t *testing.T, opts ...socialtest.OpenIDOption) *openIDApp {
	t.Helper()
	app := &openIDApp{t: t, store: memstore.New(memstore.Options{})}
	app.op = socialtest.NewOpenIDProvider(t, opts...)
	steamAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ISteamUser/GetPlayerSummaries/v0002/" || r.URL.Query().Get("key") != "steam-key" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"response": map[string]any{"players": []any{
			map[string]any{"steamid": r.URL.Query().Get("steamids"), "personaname": "gordon"}}}})
	}))
	t.Cleanup(steamAPI.Close)
	mux := http.NewServeMux()
	app.srv = httptest.NewTLSServer(mux)
	t.Cleanup(app.srv.Close)
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_SECRET_KEY":              testSecretKey,
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"openid", "social_core.backends.steam.SteamOpenId"},
			"SOCIAL_AUTH_STEAM_URL":               app.op.OPIdentifier(),
			"SOCIAL_AUTH_STEAM_API_KEY":           "steam-key",
			"SOCIAL_AUTH_STEAM_API_URL":           steamAPI.URL,
			"SOCIAL_AUTH_STEAM_EXTRA_DATA":        []string{"player"},
			"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
			"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",
		}),
		Store: app.store,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := auth.Handler()
	mux.Handle("/login/", h)
	mux.Handle("/complete/", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		who := "anonymous"
		if u, err := auth.CurrentUser(r); err == nil && u != nil {
			who = u.Username
		}
		fmt.Fprintf(w, "page=%s user=%s", r.URL.Path, who)
	})
	return app
}

// openIDBrowser keeps cookies and follows redirects by hand.
type openIDBrowser struct {
	t *testing.T
	c *http.Client
}

func (app *openIDApp) browser() *openIDBrowser {
	jar, _ := cookiejar.New(nil)
	return &openIDBrowser{t: app.t, c: &http.Client{Transport: app.srv.Client().Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *openIDBrowser) do(req *http.Request) *http.Response {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// until follows redirects until a page is served or stop says so, and
// returns the last response.
func (b *openIDBrowser) until(res *http.Response, stop func(*url.URL) bool) (*http.Response, *url.URL) {
	b.t.Helper()
	for i := 0; res.StatusCode >= 300 && res.StatusCode < 400; i++ {
		next, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if err != nil || i > 10 {
			b.t.Fatalf("redirect to %q", res.Header.Get("Location"))
		}
		if stop != nil && stop(next) {
			return res, next
		}
		req, _ := http.NewRequest(http.MethodGet, next.String(), nil)
		res = b.do(req)
	}
	return res, res.Request.URL
}

// start posts to /login/{backend}/ and returns the OP's redirect to the
// callback, not yet visited.
func (b *openIDBrowser) start(app *openIDApp, backendName string, form url.Values) *url.URL {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/login/"+backendName+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, cb := b.until(b.do(req), func(u *url.URL) bool { return strings.HasPrefix(u.Path, "/complete/") })
	return cb
}

// visit GETs a URL and follows redirects to the final page.
func (b *openIDBrowser) visit(raw string) *url.URL {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, raw, nil)
	_, final := b.until(b.do(req), nil)
	return final
}

func (b *openIDBrowser) whoami(app *openIDApp) string {
	b.t.Helper()
	res, err := b.c.Get(app.srv.URL + "/whoami")
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

func (app *openIDApp) nothingStored(b *openIDBrowser, uid string) {
	app.t.Helper()
	if _, err := app.store.GetAssociation(context.Background(), "openid", uid); !errors.Is(err, store.ErrNotFound) {
		app.t.Errorf("an association was stored: %v", err)
	}
	if ok, _ := app.store.UserExists(context.Background(), "alice"); ok {
		app.t.Error("a user was created")
	}
	if who := b.whoami(app); !strings.Contains(who, "user=anonymous") {
		app.t.Errorf("someone is logged in: %s", who)
	}
}

func wantOpenIDError(t *testing.T, final *url.URL, part string) {
	t.Helper()
	if final.Path != "/error" || !strings.Contains(strings.ToLower(final.Query().Get("message")), part) {
		t.Fatalf("landed on %s, want /error with %q", final, part)
	}
}

func TestOpenIDLoginEndToEnd(t *testing.T) {
	app := newOpenIDApp(t)
	b := app.browser()
	cb := b.start(app, "openid", url.Values{"openid_identifier": {app.op.OPIdentifier()}})
	if final := b.visit(cb.String()); final.Path != "/home" {
		t.Fatalf("landed on %s", final)
	}
	if who := b.whoami(app); !strings.Contains(who, "user=alice") {
		t.Fatalf("whoami: %s", who)
	}
	a, err := app.store.GetAssociation(context.Background(), "openid", app.op.IdentifierURL("alice"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := app.store.GetUser(context.Background(), a.UserID)
	if err != nil || u.Email != "alice@example.com" || u.FirstName != "Alice" {
		t.Errorf("user %+v, %v", u, err)
	}
	if list, _ := app.store.OpenIDAssociations(context.Background(), app.op.EndpointURL(), ""); len(list) != 1 {
		t.Errorf("%d OpenID associations stored", len(list))
	}

	// The same callback again is refused: the flow is spent.
	final := b.visit(cb.String())
	if final.Path != "/error" {
		t.Errorf("a replayed callback landed on %s", final)
	}
}

func TestOpenIDMissingIdentifierEndToEnd(t *testing.T) {
	app := newOpenIDApp(t)
	b := app.browser()
	wantOpenIDError(t, b.visit(app.srv.URL+"/login/openid/"), "openid_identifier")
	wantOpenIDError(t, b.visit(app.srv.URL+"/login/openid/?openid_identifier=%3Dalice"), "xri")
	app.nothingStored(b, app.op.IdentifierURL("alice"))
}

func TestOpenIDHostileEndToEnd(t *testing.T) {
	other := socialtest.NewOpenIDProvider(t)
	for _, tc := range []struct {
		name    string
		setup   func(op *socialtest.OpenIDProvider)
		message string
		twice   bool
	}{
		{"wrong key", func(op *socialtest.OpenIDProvider) { op.SignWithWrongKey() }, "authentication failed", false},
		{"altered return_to", func(op *socialtest.OpenIDProvider) {
			op.AlterReturnTo(func(s string) string { return strings.Replace(s, "/complete/openid/", "/complete/steam/", 1) })
		}, "authentication failed", false},
		{"reused nonce", func(op *socialtest.OpenIDProvider) { op.ReuseNonce() }, "already used", true},
		{"foreign claimed_id", func(op *socialtest.OpenIDProvider) { op.AssertClaimedID(other.IdentifierURL("alice")) }, "not allowed", false},
		{"cancel", func(op *socialtest.OpenIDProvider) { op.Cancel() }, "canceled", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newOpenIDApp(t)
			tc.setup(app.op)
			if tc.twice {
				first := app.browser()
				first.visit(first.start(app, "openid", url.Values{"openid_identifier": {app.op.OPIdentifier()}}).String())
			}
			b := app.browser()
			cb := b.start(app, "openid", url.Values{"openid_identifier": {app.op.OPIdentifier()}})
			wantOpenIDError(t, b.visit(cb.String()), tc.message)
			if who := b.whoami(app); !strings.Contains(who, "user=anonymous") {
				t.Errorf("someone is logged in: %s", who)
			}
			if !tc.twice {
				app.nothingStored(b, app.op.IdentifierURL("alice"))
			}
		})
	}
	t.Run("callback in another browser", func(t *testing.T) {
		app := newOpenIDApp(t)
		cb := app.browser().start(app, "openid", url.Values{"openid_identifier": {app.op.OPIdentifier()}})
		attacker := app.browser()
		wantOpenIDError(t, attacker.visit(cb.String()), "state")
		app.nothingStored(attacker, app.op.IdentifierURL("alice"))
	})
	t.Run("unsigned extension fields are not used", func(t *testing.T) {
		app := newOpenIDApp(t)
		app.op.UnsignedExtensions()
		b := app.browser()
		if final := b.visit(b.start(app, "openid", url.Values{"openid_identifier": {app.op.OPIdentifier()}}).String()); final.Path != "/home" {
			t.Fatalf("landed on %s", final)
		}
		a, err := app.store.GetAssociation(context.Background(), "openid", app.op.IdentifierURL("alice"))
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := app.store.GetUser(context.Background(), a.UserID); u == nil || u.Email != "" || u.Username == "alice" {
			t.Errorf("unsigned fields reached the user: %+v", u)
		}
	})
}

func TestSteamEndToEnd(t *testing.T) {
	app := newOpenIDApp(t, socialtest.WithOpenIDUser(steamID64, map[string]string{"nickname": "not-used"}))
	b := app.browser()
	if final := b.visit(b.start(app, "steam", nil).String()); final.Path != "/home" {
		t.Fatalf("landed on %s", final)
	}
	a, err := app.store.GetAssociation(context.Background(), "steam", steamID64)
	if err != nil {
		t.Fatal(err)
	}
	if player, _ := a.ExtraData["player"].(map[string]any); player["personaname"] != "gordon" {
		t.Errorf("extra data %v", a.ExtraData)
	}
	if who := b.whoami(app); !strings.Contains(who, "user=gordon") {
		t.Errorf("whoami: %s", who)
	}
}
