package socialauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestOAuth1TokenLoginRoute(t *testing.T) {
	app := newO1App(t, nil)
	token, secret := app.p.IssueToken(o1Profile())
	if status, reply := app.newBrowser().postToken("twitter", url.Values{"oauth_token": {token}, "oauth_token_secret": {"forged"}}); status == http.StatusOK {
		t.Fatalf("forged token secret logged in: %+v", reply)
	}
	status, reply := app.newBrowser().postToken("twitter", url.Values{"access_token": {"oauth_token=" + url.QueryEscape(token) + "&oauth_token_secret=" + url.QueryEscape(secret)}})
	if status != http.StatusOK || reply.User == nil || reply.User.Username != "lovelace" {
		t.Fatalf("token pair login: %d %+v", status, reply)
	}
}

func TestOIDCTokenLoginRoute(t *testing.T) {
	app := newOIDCApp(t)
	now := app.clk.Now()
	for name, claims := range map[string]map[string]any{
		"another audience": {"aud": "another-app"},
		"expired":          {"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()},
		"another issuer":   {"iss": "https://issuer.example.net"},
	} {
		tok, err := app.p.MintIDToken(now, claims)
		if err != nil {
			t.Fatal(err)
		}
		if status, reply := app.newBrowser().postToken("oidc", url.Values{"id_token": {tok}}); status == http.StatusOK || reply.User != nil {
			t.Errorf("%s: ID token accepted: %+v", name, reply)
		}
	}
	if status, reply := app.newBrowser().postToken("oidc", url.Values{"id_token": {"not.a.jwt"}}); status == http.StatusOK {
		t.Errorf("garbage ID token accepted: %+v", reply)
	}
	if ok, _ := app.store.UserExists(t.Context(), "ada"); ok {
		t.Fatal("a refused token login stored a user")
	}
	tok, err := app.p.MintIDToken(now, nil)
	if err != nil {
		t.Fatal(err)
	}
	status, reply := app.newBrowser().postToken("oidc", url.Values{"id_token": {tok}})
	if status != http.StatusOK || reply.User == nil || !strings.EqualFold(reply.User.Username, "ada") {
		t.Fatalf("ID token login: %d %+v", status, reply)
	}
}
