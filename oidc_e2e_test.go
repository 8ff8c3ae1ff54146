package socialauth_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
)

// oidcApp is an application with the catalogue's generic "oidc" backend
// pointed at a fake OpenID Provider, sharing a settable clock with the
// provider.
type oidcApp struct {
	*site
	p     *socialtest.OIDCProvider
	clk   *clock
	fails []string
	mu    sync.Mutex
}

func newOIDCApp(t *testing.T) *oidcApp {
	t.Helper()
	app := &oidcApp{clk: &clock{now: time.Now().Truncate(time.Second)}}
	app.site = serveApp(t, func(s *site) socialauth.Config {
		app.p = socialtest.NewOIDCProvider(t, socialtest.WithClock(app.clk.Now),
			socialtest.WithRedirectURI(s.srv.URL+"/complete/oidc/"),
			socialtest.WithUser(map[string]any{"sub": "u-42", "preferred_username": "ada", "name": "Ada Lovelace",
				"email": "ada@example.com", "email_verified": true}))
		return socialauth.Config{
			Settings: settings.New(settings.Map{
				"SOCIAL_AUTH_SECRET_KEY":              testSecretKey,
				"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"oidc"},
				"SOCIAL_AUTH_OIDC_KEY":                app.p.ClientID,
				"SOCIAL_AUTH_OIDC_SECRET":             app.p.ClientSecret,
				"SOCIAL_AUTH_OIDC_OIDC_ENDPOINT":      app.p.Issuer(),
				"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
				"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",
			}),
			Store: s.store,
			Now:   app.clk.Now,
			Events: socialauth.Events{LoginFailed: func(_ context.Context, b string, err error) {
				app.mu.Lock()
				defer app.mu.Unlock()
				app.fails = append(app.fails, fmt.Sprintf("%s: %v", b, err))
			}},
		}
	})
	return app
}

// mustStoreNothing asserts no user and no association exist and the
// browser is anonymous.
func (app *oidcApp) mustStoreNothing(b *browser) {
	app.t.Helper()
	wantNothingStored(app.t, app.store, "ada", account{"oidc", "u-42"})
	b.wantAnonymous()
}

func TestOIDCLoginEndToEnd(t *testing.T) {
	app := newOIDCApp(t)
	b := app.newBrowser()
	final, body := b.visit("/login/oidc/")
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
	b2 := app.newBrowser()
	cb := b2.callback("oidc")
	if final, _ := b2.visit(cb.String()); final.Path != "/home" {
		t.Fatalf("second login landed on %s", final)
	}
	if final, _ := b2.visit(cb.String()); final.Path != "/error" {
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
			b := app.newBrowser()
			final, _ := b.visit("/login/oidc/")
			wantError(t, final, "oidc", tt.message)
			app.mustStoreNothing(b)
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
	victim, attacker := app.newBrowser(), app.newBrowser()
	victim.visit("/whoami")
	cb := attacker.callback("oidc") // the attacker's own login, code and all
	final, _ := victim.visit(cb.String())
	if final.Path != "/error" {
		t.Fatalf("landed on %s", final)
	}
	app.mustStoreNothing(victim)
}

func TestOIDCDiscoveryCachedAcrossLogins(t *testing.T) {
	app := newOIDCApp(t)
	for range 3 {
		if final, _ := app.newBrowser().visit("/login/oidc/"); final.Path != "/home" {
			t.Fatalf("landed on %s", final)
		}
	}
	if n, k := len(app.p.RequestsTo(socialtest.DiscoveryPath)), len(app.p.RequestsTo(socialtest.JWKSPath)); n != 1 || k != 1 {
		t.Errorf("%d discovery and %d key set fetches for three logins", n, k)
	}
	app.clk.Advance(2 * time.Hour)
	if final, _ := app.newBrowser().visit("/login/oidc/"); final.Path != "/home" {
		t.Fatalf("landed on %s", final)
	}
	if n := len(app.p.RequestsTo(socialtest.DiscoveryPath)); n != 2 {
		t.Errorf("%d discovery fetches after expiry", n)
	}
}
