package socialauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

func TestTokenLoginNeedsAnAudienceCheck(t *testing.T) {
	app := newTestApp(t, nil, nil)
	tok, err := app.p.IssueToken(app.p.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	status, reply := app.browser.postToken("oauth2", url.Values{"access_token": {tok}})
	if status != http.StatusForbidden || reply.Error != "AuthForbidden" || reply.User != nil {
		t.Fatalf("generic backend without audience check: %d %+v", status, reply)
	}
	if app.userCount() != 0 {
		t.Fatal("stored a user")
	}
	app.browser.wantAnonymous()
}

func TestTokenLoginRoute(t *testing.T) {
	app := newTestApp(t, settings.Map{"SOCIAL_AUTH_OAUTH2_UNSAFE_CLIENT_TOKEN_WITHOUT_AUDIENCE_CHECK": true}, nil)
	tok, err := app.p.IssueToken(app.p.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	status, reply := app.browser.postToken("oauth2", url.Values{"access_token": {tok}})
	if status != http.StatusOK || reply.User == nil || reply.User.Username != "testuser" || !reply.IsNew {
		t.Fatalf("token login: %d %+v", status, reply)
	}
	if _, body := app.browser.visit("/whoami"); !strings.Contains(body, "user=testuser") {
		t.Errorf("not logged in after the token login: %s", body)
	}
	if status, reply := app.newBrowser().postToken("oauth2", url.Values{"access_token": {tok}}); status != http.StatusOK || reply.IsNew {
		t.Errorf("second token login: %d %+v", status, reply)
	}

	for name, c := range map[string]struct {
		form   url.Values
		status int
		kind   string
	}{
		"missing token":   {url.Values{}, http.StatusBadRequest, "AuthMissingParameter"},
		"bogus token":     {url.Values{"access_token": {"not-a-token"}}, http.StatusUnauthorized, "AuthTokenError"},
		"malformed":       {url.Values{"access_token": {"a b"}}, http.StatusUnauthorized, "AuthTokenError"},
		"unknown backend": {url.Values{"access_token": {tok}}, http.StatusNotFound, "WrongBackend"},
	} {
		b := app.newBrowser()
		backendName := "oauth2"
		if name == "unknown backend" {
			backendName = "nope"
		}
		status, reply := b.postToken(backendName, c.form)
		if status != c.status || reply.Error != c.kind {
			t.Errorf("%s: %d %+v", name, status, reply)
		}
		b.wantAnonymous()
	}
	if res, _ := app.browser.get("/token/oauth2/"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /token/: %d", res.StatusCode)
	}
	b := app.newBrowser()
	req := b.request(http.MethodPost, "/token/oauth2/", url.Values{"access_token": {tok}})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, _ := b.do(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site token login: %d", res.StatusCode)
	}
}

func TestTokenLoginEntryPointRefusesPauses(t *testing.T) {
	pause := func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		return s.PauseRedirect("/ask")
	}
	app := newTestApp(t, settings.Map{"SOCIAL_AUTH_OAUTH2_UNSAFE_CLIENT_TOKEN_WITHOUT_AUDIENCE_CHECK": true}, func(c *socialauth.Config) {
		c.Pipeline = append(pipeline.Default()[:2], pause)
	})
	tok, _ := app.p.IssueToken(app.p.ClientID)
	_, err := app.auth.AuthenticateToken(context.Background(), "oauth2", url.Values{"access_token": {tok}}, nil)
	if !errors.Is(err, socialerr.AuthFailed) {
		t.Errorf("a pausing pipeline: %v", err)
	}
	if _, err := app.auth.AuthenticateToken(context.Background(), "other", url.Values{"access_token": {tok}}, nil); !errors.Is(err, socialerr.AuthForbidden) {
		t.Errorf("a backend without audience check: %v", err)
	}
}

// providerApp is a test app whose catalogue backends all point at one
// fake provider that also serves each provider's token-check endpoint.
func providerApp(t *testing.T, backends ...string) (*testApp, *socialtest.Provider) {
	t.Helper()
	p := socialtest.NewOAuth2Provider(t)
	introspect := func(tok string) (string, bool) {
		info, ok := p.IDP.Introspect(tok)
		return info.ClientID, ok
	}
	// Google's tokeninfo.
	p.Handle("GET /tokeninfo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := introspect(r.URL.Query().Get("access_token"))
		if !ok {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"aud": client, "azp": client})
	}))
	// Facebook's debug_token.
	p.Handle("GET /debug_token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("access_token") != p.ClientID+"|"+p.ClientSecret {
			http.Error(w, `{"error":{"message":"bad app token"}}`, http.StatusBadRequest)
			return
		}
		client, ok := introspect(r.URL.Query().Get("input_token"))
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"app_id": client, "is_valid": ok}})
	}))
	// Facebook's /me.
	p.Handle("GET /me", p.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"id": "fb-1", "name": "Fay Book", "email": "fay@example.com"})
	})))
	// GitHub's "check a token" and user calls.
	p.Handle("POST /applications/{client}/token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != r.PathValue("client") || id != p.ClientID || secret != p.ClientSecret {
			http.Error(w, `{"message":"Requires authentication"}`, http.StatusUnauthorized)
			return
		}
		var body struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		client, valid := introspect(body.AccessToken)
		if !valid || client != id {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"app": map[string]string{"client_id": client}})
	}))
	p.Handle("GET /user/emails", p.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]map[string]any{{"email": "octo@example.com", "primary": true, "verified": true}})
	})))
	p.Handle("GET /user", p.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"id": 42, "login": "octo", "name": "Octo Cat"})
	})))

	m := settings.Map{}
	for _, b := range backends {
		prefix := "SOCIAL_AUTH_" + settings.BackendPrefix(b) + "_"
		m[prefix+"KEY"] = p.ClientID
		m[prefix+"SECRET"] = p.ClientSecret
		m[prefix+"AUTHORIZATION_URL"] = p.AuthorizeURL()
		m[prefix+"ACCESS_TOKEN_URL"] = p.TokenURL()
		m[prefix+"API_URL"] = p.URL + "/"
		m[prefix+"TOKENINFO_URL"] = p.URL + "/tokeninfo"
		if strings.HasPrefix(b, "google") {
			m[prefix+"USER_DATA_URL"] = p.UserURL()
		}
	}
	m["SOCIAL_AUTH_AUTHENTICATION_BACKENDS"] = append([]string{"oauth2", "other"}, backends...)
	app := newTestApp(t, m, nil)
	return app, p
}

func TestProviderClientTokenChecks(t *testing.T) {
	for _, c := range []struct {
		backend  string
		username string
	}{
		{"github", "octo"},
		{"google-plus", "test.user"},
		{"google-oauth2", "test.user"},
		{"facebook", "fay"},
	} {
		t.Run(c.backend, func(t *testing.T) {
			app, p := providerApp(t, c.backend)
			mine, err := p.IssueToken(p.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			foreign, err := p.IssueToken("another-app")
			if err != nil {
				t.Fatal(err)
			}
			// A token issued to another application is refused.
			b := app.newBrowser()
			status, reply := b.postToken(c.backend, url.Values{"access_token": {foreign}})
			if status == http.StatusOK || reply.User != nil {
				t.Fatalf("foreign token accepted: %d %+v", status, reply)
			}
			b.wantAnonymous()
			// So is an unknown one.
			status, reply = b.postToken(c.backend, url.Values{"access_token": {"unknown-token"}})
			if status == http.StatusOK {
				t.Fatalf("unknown token accepted: %+v", reply)
			}
			// This application's token logs in.
			status, reply = b.postToken(c.backend, url.Values{"access_token": {mine}})
			if status != http.StatusOK || reply.User == nil {
				t.Fatalf("own token refused: %d %+v", status, reply)
			}
			if !strings.EqualFold(strings.ReplaceAll(reply.User.Username, " ", ""), c.username) {
				t.Errorf("username %q, want %q", reply.User.Username, c.username)
			}
		})
	}
}
