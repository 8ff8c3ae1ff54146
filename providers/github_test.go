package providers

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

func octocat() map[string]any {
	return map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat", "email": nil}
}

// githubFake is a fake GitHub: the OAuth endpoints of a socialtest
// provider, and the API (user, emails, membership) under apiPrefix.
func githubFake(t *testing.T, apiPrefix string, profile map[string]any, emails http.Handler) *socialtest.Provider {
	t.Helper()
	fake := newFake(t, profile)
	fake.HandleJSON("GET "+apiPrefix+"/user", profile)
	if emails != nil {
		fake.Handle("GET "+apiPrefix+"/user/emails", fake.RequireToken(emails))
	}
	return fake
}

func jsonReply(status int, v any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	})
}

func githubSettings(name string, fake *socialtest.Provider, apiPrefix string, extra map[string]any) map[string]any {
	m := map[string]any{"KEY": fake.ClientID, "SECRET": fake.ClientSecret,
		"AUTHORIZATION_URL": fake.AuthorizeURL(), "ACCESS_TOKEN_URL": fake.TokenURL(),
		"API_URL": fake.URL + apiPrefix + "/"}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestGitHubEmails(t *testing.T) {
	for _, tc := range []struct {
		name         string
		profileEmail any
		emails       http.Handler
		wantEmail    string
		wantVerified bool
	}{
		{"private email found in the list", nil, jsonReply(200, []any{
			map[string]any{"email": "old@example.com", "primary": false, "verified": true},
			map[string]any{"email": "octo@example.com", "primary": true, "verified": true},
		}), "octo@example.com", true},
		{"primary unverified is not used", nil, jsonReply(200, []any{
			map[string]any{"email": "octo@example.com", "primary": true, "verified": false},
			map[string]any{"email": "other@example.com", "primary": false, "verified": true},
		}), "other@example.com", true},
		{"no verified email", nil, jsonReply(200, []any{
			map[string]any{"email": "octo@example.com", "primary": true, "verified": false},
		}), "", false},
		{"public email verified in the list", "Pub@Example.com", jsonReply(200, []any{
			map[string]any{"email": "pub@example.com", "primary": false, "verified": true},
		}), "Pub@Example.com", true},
		{"public email unverified in the list", "pub@example.com", jsonReply(200, []any{
			map[string]any{"email": "pub@example.com", "primary": true, "verified": false},
		}), "pub@example.com", false},
		{"list refused without the user:email scope", "pub@example.com", jsonReply(404, map[string]any{"message": "Not Found"}),
			"pub@example.com", false},
		{"list broken", "pub@example.com", jsonReply(200, "not a list"), "pub@example.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			profile := octocat()
			profile["email"] = tc.profileEmail
			fake := githubFake(t, "", profile, tc.emails)
			b := build(t, "github", prefixed("github", githubSettings("github", fake, "", map[string]any{
				"SCOPE": []string{"user:email", "read:user"}})))
			id, authURL, err := login(t, b)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if id.UID != "583231" || id.Details.Username != "octocat" || id.Details.FirstName != "The" {
				t.Errorf("identity %+v", id)
			}
			if id.Details.Email != tc.wantEmail || id.Details.EmailVerified != tc.wantVerified {
				t.Errorf("email %q verified %v, want %q %v", id.Details.Email, id.Details.EmailVerified, tc.wantEmail, tc.wantVerified)
			}
			if id.ExtraData["login"] != "octocat" || id.ExtraData["id"] == nil {
				t.Errorf("ExtraData = %v", id.ExtraData)
			}
			if got := authURL.Query().Get("scope"); got != "user:email,read:user" {
				t.Errorf("scope = %q", got)
			}
			tokenReqs := fake.RequestsTo(socialtest.TokenPath)
			if len(tokenReqs) != 1 || tokenReqs[0].Form.Get("client_secret") != fake.ClientSecret {
				t.Errorf("token request without client_secret_post: %+v", tokenReqs)
			}
			if ua := tokenReqs[0].Header.Get("User-Agent"); ua != "socialauth-test/1" {
				t.Errorf("User-Agent = %q", ua)
			}
		})
	}
}

func TestGitHubOrganization(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		kind   socialerr.Kind
	}{
		{"member", http.StatusNoContent, ""},
		{"not a member", http.StatusNotFound, socialerr.AuthForbidden},
		{"redirected to public members", http.StatusFound, socialerr.AuthForbidden},
		{"token refused", http.StatusUnauthorized, socialerr.AuthTokenError},
		{"github down", http.StatusBadGateway, socialerr.AuthUnknownError},
	} {
		for _, enterprise := range []bool{false, true} {
			name, prefix := "github-org", ""
			if enterprise {
				name, prefix = "github-enterprise-org", "/api/v3"
			}
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				fake := githubFake(t, prefix, octocat(), jsonReply(200, []any{}))
				var asked string
				fake.Handle("GET "+prefix+"/orgs/{org}/members/{login}", fake.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					asked = r.PathValue("org") + "/" + r.PathValue("login")
					if tc.status == http.StatusFound {
						w.Header().Set("Location", "/nowhere")
					}
					w.WriteHeader(tc.status)
				})))
				b := build(t, name, prefixed(name, githubSettings(name, fake, prefix, map[string]any{"NAME": "acme corp"})))
				id, authURL, err := login(t, b)
				if !strings.Contains(authURL.Query().Get("scope"), "read:org") {
					t.Errorf("scope %q lacks read:org", authURL.Query().Get("scope"))
				}
				if asked != "acme corp/octocat" {
					t.Errorf("membership asked for %q", asked)
				}
				if tc.kind == "" {
					if err != nil || id == nil {
						t.Fatalf("login: %v", err)
					}
					return
				}
				wantKind(t, err, tc.kind)
				if id != nil {
					t.Error("identity returned for a refused login")
				}
			})
		}
	}
}

func TestGitHubTeam(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply http.Handler
		kind  socialerr.Kind
	}{
		{"active member", jsonReply(200, map[string]any{"state": "active", "role": "member"}), ""},
		{"pending invitation", jsonReply(200, map[string]any{"state": "pending"}), socialerr.AuthForbidden},
		{"not a member", jsonReply(404, map[string]any{"message": "Not Found"}), socialerr.AuthForbidden},
		{"malformed", jsonReply(200, "active"), socialerr.AuthUnknownError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := githubFake(t, "", octocat(), jsonReply(200, []any{}))
			var asked string
			fake.Handle("GET /teams/{id}/memberships/{login}", fake.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked = r.PathValue("id") + "/" + r.PathValue("login")
				tc.reply.ServeHTTP(w, r)
			})))
			b := build(t, "github-team", prefixed("github-team", githubSettings("github-team", fake, "", map[string]any{"ID": 42})))
			_, _, err := login(t, b)
			if asked != "42/octocat" {
				t.Errorf("membership asked for %q", asked)
			}
			if tc.kind == "" {
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				return
			}
			wantKind(t, err, tc.kind)
		})
	}
}

func TestGitHubEnterpriseURLs(t *testing.T) {
	const api = "https://git.example.com/api/v3/"
	for _, tc := range []struct {
		name     string
		settings map[string]any
		wantAuth string
		wantErr  string
	}{
		{"derived from API_URL", map[string]any{"API_URL": api}, "https://git.example.com/login/oauth/authorize", ""},
		{"API_URL without slash", map[string]any{"API_URL": "https://git.example.com/api/v3"}, "https://git.example.com/login/oauth/authorize", ""},
		{"explicit URL wins", map[string]any{"API_URL": api, "AUTHORIZATION_URL": "https://sso.example.com/authorize"},
			"https://sso.example.com/authorize", ""},
		{"missing API_URL", nil, "", "SOCIAL_AUTH_GITHUB_ENTERPRISE_API_URL is not set"},
		{"relative API_URL", map[string]any{"API_URL": "git.example.com/api/v3"}, "", "SOCIAL_AUTH_GITHUB_ENTERPRISE_API_URL"},
		{"http API_URL", map[string]any{"API_URL": "http://git.example.com/api/v3/"}, "", "SOCIAL_AUTH_GITHUB_ENTERPRISE_API_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]any{"KEY": "k", "SECRET": "s"}
			for k, v := range tc.settings {
				m[k] = v
			}
			spec, _ := Lookup("github-enterprise")
			b, err := spec.Build(testConfig("github-enterprise", prefixed("github-enterprise", m)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Build = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(res.RedirectURL, tc.wantAuth+"?") {
				t.Errorf("authorization URL %s, want %s", res.RedirectURL, tc.wantAuth)
			}
			p, err := github(githubPlain, true)(testConfig("github-enterprise", prefixed("github-enterprise", m)))
			if err != nil || p.AccessTokenURL != "https://git.example.com/login/oauth/access_token" {
				t.Errorf("token URL %q, %v", p.AccessTokenURL, err)
			}
		})
	}

	// A whole login where the API lives under /api/v3 of the fake.
	fake := githubFake(t, "/api/v3", octocat(), jsonReply(200, []any{map[string]any{"email": "o@example.com", "primary": true, "verified": true}}))
	b := build(t, "github-enterprise", prefixed("github-enterprise", githubSettings("github-enterprise", fake, "/api/v3", nil)))
	id, _, err := login(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if id.Details.Email != "o@example.com" || !id.Details.EmailVerified || len(fake.RequestsTo("/api/v3/user")) != 1 {
		t.Errorf("identity %+v", id)
	}
}

func TestGitHubMembershipSettingNames(t *testing.T) {
	// The documented names work…
	for name, setting := range map[string]string{
		"github-org": "SOCIAL_AUTH_GITHUB_ORG_NAME", "github-team": "SOCIAL_AUTH_GITHUB_TEAM_ID",
		"github-enterprise-org": "SOCIAL_AUTH_GITHUB_ENTERPRISE_ORG_NAME", "github-enterprise-team": "SOCIAL_AUTH_GITHUB_ENTERPRISE_TEAM_ID",
	} {
		m := prefixed(name, map[string]any{"KEY": "k", "SECRET": "s", "API_URL": "https://git.example.com/api/v3/"})
		m[setting] = "acme"
		spec, _ := Lookup(name)
		if _, err := spec.Build(testConfig(name, m)); err != nil {
			t.Errorf("%s with %s: %v", name, setting, err)
		}
		// …and global NAME / ID values (common environment variables) are
		// never taken for them.
		delete(m, setting)
		m["NAME"], m["ID"], m["SOCIAL_AUTH_NAME"], m["SOCIAL_AUTH_ID"] = "x", "1", "x", "1"
		if _, err := spec.Build(testConfig(name, m)); err == nil || !strings.Contains(err.Error(), setting+" is not set") {
			t.Errorf("%s with only global values: %v", name, err)
		}
	}
}
