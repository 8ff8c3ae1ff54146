package socialauth_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
)

// o1Profile is what the fake OAuth 1.0a provider serves: Twitter's keys
// (id_str, screen_name) and the generic backend's (id, username).
func o1Profile() map[string]any {
	return map[string]any{"id": "555", "id_str": "555", "username": "lovelace", "screen_name": "lovelace",
		"name": "Ada Lovelace", "email": "ada@example.com"}
}

// o1App is an application using socialauth with the generic oauth1 backend
// and twitter both pointed at one fake OAuth 1.0a provider.
type o1App struct {
	*site
	p *socialtest.OAuth1Provider
}

func newO1App(t *testing.T, extra settings.Map) *o1App {
	t.Helper()
	app := &o1App{p: socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(o1Profile()))}
	app.site = serveApp(t, func(s *site) socialauth.Config {
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
		return socialauth.Config{Settings: settings.New(extra, base), Store: s.store}
	})
	return app
}

// wantO1Error asserts a login failed: the error page, nothing stored,
// nobody logged in.
func (app *o1App) wantO1Error(b *browser, final *url.URL, backendName, messagePart string) {
	app.t.Helper()
	wantError(app.t, final, backendName, messagePart)
	wantNothingStored(app.t, app.store, "lovelace", account{"oauth1", "555"}, account{"twitter", "555"})
	b.wantAnonymous()
}

func TestOAuth1LoginEndToEnd(t *testing.T) {
	for _, name := range []string{"oauth1", "twitter"} {
		t.Run(name, func(t *testing.T) {
			app := newO1App(t, nil)
			b := app.newBrowser()
			final, body := b.visit("/login/" + name + "/?next=/after")
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
			b2 := app.newBrowser()
			if final, body := b2.visit("/login/" + name + "/"); final.Path != "/home" || !strings.Contains(body, "user=lovelace") {
				t.Errorf("second login landed on %s: %s", final, body)
			}
		})
	}
}

func TestOAuth1HostileEndToEnd(t *testing.T) {
	t.Run("wrong consumer secret: the provider refuses the signature", func(t *testing.T) {
		app := newO1App(t, settings.Map{"SOCIAL_AUTH_OAUTH1_SECRET": "not-the-secret"})
		b := app.newBrowser()
		final, _ := b.visit("/login/oauth1/")
		app.wantO1Error(b, final, "oauth1", "token")
		if len(app.p.RequestsTo(socialtest.OAuth1AuthorizePath)) != 0 {
			t.Error("the browser was sent to the provider")
		}
	})
	t.Run("callback not confirmed", func(t *testing.T) {
		app := newO1App(t, nil)
		app.p.NoCallbackConfirmed()
		b := app.newBrowser()
		final, _ := b.visit("/login/twitter/")
		app.wantO1Error(b, final, "twitter", "failed")
	})
	t.Run("a verifier for another token", func(t *testing.T) {
		app := newO1App(t, nil)
		victim, attacker := app.newBrowser(), app.newBrowser()
		victim.callback("oauth1")              // the victim's login is under way
		foreign := attacker.callback("oauth1") // the attacker's own token and verifier
		final, _ := victim.visit(foreign.String())
		app.wantO1Error(victim, final, "oauth1", "another token")
		if n := len(app.p.RequestsTo(socialtest.OAuth1AccessTokenPath)); n != 0 {
			t.Errorf("the foreign verifier was exchanged (%d calls)", n)
		}
	})
	t.Run("denied", func(t *testing.T) {
		app := newO1App(t, nil)
		app.p.Deny()
		b := app.newBrowser()
		final, _ := b.visit("/login/oauth1/")
		app.wantO1Error(b, final, "oauth1", "canceled")
	})
	t.Run("replayed callback", func(t *testing.T) {
		app := newO1App(t, nil)
		b := app.newBrowser()
		cb := b.callback("oauth1")
		if final, _ := b.visit(cb.String()); final.Path != "/home" {
			t.Fatalf("first callback landed on %s", final)
		}
		final, _ := b.visit(cb.String())
		if final.Path != "/error" || !strings.Contains(final.Query().Get("message"), "state") {
			t.Errorf("replay landed on %s", final)
		}
		if n := len(app.p.RequestsTo(socialtest.OAuth1AccessTokenPath)); n != 1 {
			t.Errorf("the replayed verifier was sent to the provider (%d exchanges)", n)
		}
	})
	t.Run("missing stash: callback in another browser", func(t *testing.T) {
		app := newO1App(t, nil)
		cb := app.newBrowser().callback("twitter")
		attacker := app.newBrowser()
		final, _ := attacker.visit(cb.String())
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
		b := app.newBrowser()
		final, _ := b.visit("/login/twitter/")
		app.wantO1Error(b, final, "twitter", "")
	})
	t.Run("malformed token reply", func(t *testing.T) {
		app := newO1App(t, nil)
		app.p.FailNext(socialtest.OAuth1AccessTokenPath, http.StatusOK, `{"oauth_token":`)
		b := app.newBrowser()
		final, _ := b.visit("/login/oauth1/")
		app.wantO1Error(b, final, "oauth1", "")
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
