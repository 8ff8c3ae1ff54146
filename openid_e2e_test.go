package socialauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
)

const steamID64 = "76561197960287930"

// openIDApp is an application with the generic openid backend and steam,
// with a fake OP and a fake Steam Web API.
type openIDApp struct {
	*site
	op *socialtest.OpenIDProvider
}

func newOpenIDApp(t *testing.T, opts ...socialtest.OpenIDOption) *openIDApp {
	t.Helper()
	app := &openIDApp{op: socialtest.NewOpenIDProvider(t, opts...)}
	steamAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ISteamUser/GetPlayerSummaries/v0002/" || r.URL.Query().Get("key") != "steam-key" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"response": map[string]any{"players": []any{
			map[string]any{"steamid": r.URL.Query().Get("steamids"), "personaname": "gordon"}}}})
	}))
	t.Cleanup(steamAPI.Close)
	app.site = serveApp(t, func(s *site) socialauth.Config {
		return socialauth.Config{
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
			Store: s.store,
		}
	})
	return app
}

// openIDCallback posts form to /login/{backend}/ and follows redirects up
// to the OP's redirect back to the callback, which it returns unvisited.
func openIDCallback(b *browser, backendName string, form url.Values) *url.URL {
	b.t.Helper()
	res, _ := b.post("/login/"+backendName+"/", form)
	for i := 0; ; i++ {
		next, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if res.StatusCode < 300 || res.StatusCode >= 400 || err != nil || i > 10 {
			b.t.Fatalf("status %d, redirect to %q", res.StatusCode, res.Header.Get("Location"))
		}
		if strings.HasPrefix(next.Path, "/complete/") {
			return next
		}
		res, _ = b.get(next.String())
	}
}

// opLogin runs an openid login at the app's OP up to the callback.
func (app *openIDApp) opLogin(b *browser) *url.URL {
	b.t.Helper()
	return openIDCallback(b, "openid", url.Values{"openid_identifier": {app.op.OPIdentifier()}})
}

// wantNothingStored asserts alice has no user and no openid association.
func (app *openIDApp) wantNothingStored() {
	app.t.Helper()
	wantNothingStored(app.t, app.store, "alice", account{"openid", app.op.IdentifierURL("alice")})
}

func TestOpenIDLoginEndToEnd(t *testing.T) {
	app := newOpenIDApp(t)
	b := app.newBrowser()
	cb := app.opLogin(b)
	if final, _ := b.visit(cb.String()); final.Path != "/home" {
		t.Fatalf("landed on %s", final)
	}
	if who := b.who(); who != "alice" {
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
	if final, _ := b.visit(cb.String()); final.Path != "/error" {
		t.Errorf("a replayed callback landed on %s", final)
	}
}

func TestOpenIDMissingIdentifierEndToEnd(t *testing.T) {
	app := newOpenIDApp(t)
	b := app.newBrowser()
	final, _ := b.visit("/login/openid/")
	wantError(t, final, "openid", "openid_identifier")
	final, _ = b.visit("/login/openid/?openid_identifier=%3Dalice")
	wantError(t, final, "openid", "xri")
	app.wantNothingStored()
	b.wantAnonymous()
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
				first := app.newBrowser()
				first.visit(app.opLogin(first).String())
			}
			b := app.newBrowser()
			final, _ := b.visit(app.opLogin(b).String())
			wantError(t, final, "openid", tc.message)
			b.wantAnonymous()
			if !tc.twice {
				app.wantNothingStored()
			}
		})
	}
	t.Run("callback in another browser", func(t *testing.T) {
		app := newOpenIDApp(t)
		cb := app.opLogin(app.newBrowser())
		attacker := app.newBrowser()
		final, _ := attacker.visit(cb.String())
		wantError(t, final, "openid", "state")
		app.wantNothingStored()
		attacker.wantAnonymous()
	})
	t.Run("unsigned extension fields are not used", func(t *testing.T) {
		app := newOpenIDApp(t)
		app.op.UnsignedExtensions()
		b := app.newBrowser()
		if final, _ := b.visit(app.opLogin(b).String()); final.Path != "/home" {
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
	b := app.newBrowser()
	if final, _ := b.visit(openIDCallback(b, "steam", nil).String()); final.Path != "/home" {
		t.Fatalf("landed on %s", final)
	}
	a, err := app.store.GetAssociation(context.Background(), "steam", steamID64)
	if err != nil {
		t.Fatal(err)
	}
	if player, _ := a.ExtraData["player"].(map[string]any); player["personaname"] != "gordon" {
		t.Errorf("extra data %v", a.ExtraData)
	}
	if who := b.who(); who != "gordon" {
		t.Errorf("whoami: %s", who)
	}
}
