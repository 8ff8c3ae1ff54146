package main

import (
	"bytes"
	"html"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/socialauth/socialauth/socialtest"
)

// These tests point the demo's generic backends at fake providers on
// loopback ports, by environment only, and log in through each.

// loginByButton signs in from the home page's button whose text contains
// title and returns /me.
func (b *browser) loginByButton(d *runningDemo, title string) meJSON {
	b.t.Helper()
	home := b.get(d.URL + "/")
	p := b.follow(home, "Sign in with "+title)
	if p.Status != http.StatusOK || p.URL.Path != "/" || p.URL.Query().Has("message") ||
		!strings.Contains(p.Body, "Signed in as") {
		b.t.Fatalf("login with %s ended on %d %s\n%s", title, p.Status, p.URL, p.Body)
	}
	m := b.me(d)
	if !m.Authenticated {
		b.t.Fatalf("/me after login with %s = %+v", title, m)
	}
	return m
}

func TestDemoOIDCFromEnvironment(t *testing.T) {
	op := socialtest.NewOIDCProvider(t)
	d := startDemo(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "demo.db"), testEnviron(
		"SOCIAL_AUTH_OIDC_OIDC_ENDPOINT="+op.Issuer(),
		"SOCIAL_AUTH_OIDC_KEY="+op.ClientID,
		"SOCIAL_AUTH_OIDC_SECRET="+op.ClientSecret,
	))
	if err := op.AllowRedirect(d.URL + "/complete/oidc/"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.out.String(), "backends: local, oidc, email") {
		t.Errorf("demo printed %q", d.out.String())
	}
	b := newTestBrowser(t)
	// The button carries the backend's short title.
	if home := b.get(d.URL + "/"); !strings.Contains(home.Body, ">Sign in with OpenID Connect</a>") {
		t.Errorf("home page has no OpenID Connect button:\n%s", home.Body)
	}
	m := b.loginByButton(d, "OpenID Connect")
	if m.User.Email != "test.user@example.com" || m.User.FirstName != "Test" || len(m.Associations) != 1 {
		t.Fatalf("/me = %+v, user %+v", m, m.User)
	}
	if as := m.Associations[0]; as.Provider != "oidc" || as.UID != "1001" {
		t.Errorf("association = %+v", as)
	}
	if n := len(op.RequestsTo(socialtest.TokenPath)); n != 1 {
		t.Errorf("the token endpoint was called %d times", n)
	}

	// Logged out, the same person signs in again as the same user.
	id := m.User.ID
	b.logout(d)
	if again := b.loginByButton(d, "OpenID Connect"); again.User.ID != id {
		t.Errorf("second login is user %s, want %s", again.User.ID, id)
	}
}

func TestDemoOIDCWithoutEndpointDoesNotStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out, logs bytes.Buffer
	err = runDemoOn(t.Context(), ln, filepath.Join(t.TempDir(), "demo.db"),
		testEnviron("SOCIAL_AUTH_OIDC_KEY=client", "SOCIAL_AUTH_OIDC_SECRET=secret"), &out, &logs)
	if err == nil || !strings.Contains(err.Error(), "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT") {
		t.Fatalf("runDemoOn without the OIDC endpoint = %v, want an error naming SOCIAL_AUTH_OIDC_OIDC_ENDPOINT", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("the listener is still open after a failed start")
	}
}

func TestDemoOAuth1FromEnvironment(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(map[string]any{
		"id": "555", "username": "lovelace", "name": "Ada Lovelace", "email": "ada@example.com",
	}))
	d := startDemo(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "demo.db"), testEnviron(
		"SOCIAL_AUTH_OAUTH1_KEY="+p.ConsumerKey,
		"SOCIAL_AUTH_OAUTH1_SECRET="+p.ConsumerSecret,
		"SOCIAL_AUTH_OAUTH1_REQUEST_TOKEN_URL="+p.RequestTokenURL(),
		"SOCIAL_AUTH_OAUTH1_AUTHORIZATION_URL="+p.AuthorizeURL(),
		"SOCIAL_AUTH_OAUTH1_ACCESS_TOKEN_URL="+p.AccessTokenURL(),
		"SOCIAL_AUTH_OAUTH1_USER_DATA_URL="+p.UserURL(),
	))
	if !strings.Contains(d.out.String(), "backends: local, oauth1, email") {
		t.Errorf("demo printed %q", d.out.String())
	}
	b := newTestBrowser(t)
	m := b.loginByButton(d, "OAuth 1.0a")
	if m.User.Username != "lovelace" || m.User.Email != "ada@example.com" || m.User.FirstName != "Ada" ||
		len(m.Associations) != 1 {
		t.Fatalf("/me = %+v, user %+v", m, m.User)
	}
	as := m.Associations[0]
	if as.Provider != "oauth1" || as.UID != "555" {
		t.Errorf("association = %+v", as)
	}
	tok, _ := as.ExtraData["access_token"].(map[string]any)
	if tok["oauth_token"] == nil || tok["oauth_token_secret"] == nil {
		t.Errorf("association keeps no token pair: %v", as.ExtraData)
	}
	if n := len(p.RequestsTo(socialtest.OAuth1AccessTokenPath)); n != 1 {
		t.Errorf("the access-token endpoint was called %d times", n)
	}
	// The provider saw the demo's own callback.
	reqs := p.RequestsTo(socialtest.OAuth1RequestTokenPath)
	if len(reqs) != 1 || !strings.Contains(reqs[0].Header.Get("Authorization"),
		`oauth_callback="`+url.QueryEscape(d.URL+"/complete/oauth1/")+`"`) {
		t.Errorf("request-token calls = %+v", reqs)
	}
}

func TestDemoOpenIDFromEnvironment(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t)
	d := startDemo(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "demo.db"),
		testEnviron("SOCIAL_AUTH_AUTHENTICATION_BACKENDS=openid"))
	if !strings.Contains(d.out.String(), "backends: local, openid, email") {
		t.Errorf("demo printed %q", d.out.String())
	}
	b := newTestBrowser(t)
	home := b.get(d.URL + "/")
	f := home.form(t, "/login/openid/")
	if f.Method != "post" || len(f.Inputs) != 1 || f.Inputs[0] != "openid_identifier" {
		t.Fatalf("OpenID form = %+v", f)
	}
	if strings.Contains(home.Body, `href="/login/openid/"`) {
		t.Errorf("home page links to /login/openid/ without an identifier")
	}

	// A form posted from another site cannot start a login.
	forged := b.post(d.URL+"/login/openid/", url.Values{"openid_identifier": {op.OPIdentifier()}}, "cross-site")
	if forged.Status != http.StatusForbidden {
		t.Errorf("cross-site POST /login/openid/ = %d, want 403", forged.Status)
	}
	if n := len(op.RequestsWithMode("checkid_setup")); n != 0 {
		t.Errorf("a cross-site post reached the provider %d times", n)
	}

	p := b.submit(home, f, map[string]string{"openid_identifier": op.OPIdentifier()}, "Sign in with OpenID")
	if p.Status != http.StatusOK || p.URL.Path != "/" || p.URL.Query().Has("message") || !strings.Contains(p.Body, "Signed in as alice") {
		t.Fatalf("OpenID login ended on %d %s\n%s", p.Status, p.URL, p.Body)
	}
	m := b.me(d)
	if !m.Authenticated || m.User.Username != "alice" || m.User.Email != "alice@example.com" || len(m.Associations) != 1 {
		t.Fatalf("/me = %+v, user %+v", m, m.User)
	}
	if as := m.Associations[0]; as.Provider != "openid" || !strings.HasPrefix(as.UID, op.URL+"/openid/") {
		t.Errorf("association = %+v", as)
	}

	// Signed in, the page still offers OpenID, to link another identifier.
	if home := b.get(d.URL + "/"); !strings.Contains(home.Body, html.EscapeString("Link another account")) ||
		!strings.Contains(home.Body, `name="openid_identifier"`) {
		t.Errorf("signed-in home page has no OpenID form:\n%s", home.Body)
	}

	// An identifier that is not one is refused with a message.
	b.logout(d)
	home = b.get(d.URL + "/")
	bad := b.submit(home, home.form(t, "/login/openid/"), map[string]string{"openid_identifier": "=xri.example"}, "Sign in with OpenID")
	if bad.URL.Path != "/" || bad.URL.Query().Get("message") == "" || bad.URL.Query().Get("backend") != "openid" {
		t.Errorf("an XRI identifier ended on %s", bad.URL)
	}
	if m := b.me(d); m.Authenticated {
		t.Errorf("signed in with a bad identifier: %+v", m)
	}
}
