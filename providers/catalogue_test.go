package providers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
)

var knownProtocols = []string{"oauth2", "oauth1", "oidc", "openid", "saml", "form", "local"}

// sampleValue is a plausible value for a required setting.
func sampleValue(fullName string) string {
	if strings.HasSuffix(fullName, "_URL") {
		return "https://sample.example.com/api/v3/"
	}
	return "sample"
}

// TestCatalogue walks every backend of the catalogue.
func TestCatalogue(t *testing.T) {
	specs := Catalogue()
	if len(specs) == 0 {
		t.Fatal("empty catalogue")
	}
	if !slices.IsSortedFunc(specs, func(a, b backend.Spec) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("catalogue not sorted by name")
	}
	// A fresh slice each call: changing one does not change the next.
	specs[0].Name = "changed"
	if Catalogue()[0].Name == "changed" {
		t.Error("Catalogue returns shared data")
	}
	specs = Catalogue()
	entries := map[string]entry{}
	for _, e := range oauth2Entries() {
		entries[e.name] = e
	}
	seen := map[string]bool{}
	for _, spec := range specs {
		t.Run(spec.Name, func(t *testing.T) {
			if seen[spec.Name] {
				t.Fatalf("duplicate name %q", spec.Name)
			}
			seen[spec.Name] = true
			if spec.Name != strings.ToLower(spec.Name) || strings.ContainsAny(spec.Name, " /_") {
				t.Errorf("name %q is not a lower-case URL segment", spec.Name)
			}
			if spec.Protocol == "form" {
				checkFormSpec(t, spec) // form_test.go
				return
			}
			if spec.Protocol == "oauth1" {
				checkOAuth1Spec(t, spec) // oauth1_test.go
				return
			}
			if spec.Protocol == "openid" {
				checkOpenIDSpec(t, spec) // openid_test.go
				return
			}
			if spec.Protocol == "oidc" {
				checkOIDCSpec(t, spec) // oidc_test.go
				return
			}
			if spec.Protocol == "vk-openapi" {
				checkVKOpenAPISpec(t, spec) // vk_openapi_test.go
				return
			}
			if !slices.Contains(knownProtocols, spec.Protocol) || spec.Title == "" || spec.Build == nil || !spec.NeedsKey {
				t.Errorf("spec %+v", spec)
			}
			if got, ok := Lookup(spec.Name); !ok || got.Name != spec.Name || got.Protocol != spec.Protocol {
				t.Errorf("Lookup(%q) = %v, %v", spec.Name, got.Name, ok)
			}

			// Without settings, Build names what is missing; fill it in.
			b, required, m := buildWithRequired(t, spec)
			for _, name := range required {
				without := settings.Map{}
				for k, v := range m {
					if k != name {
						without[k] = v
					}
				}
				if _, err := spec.Build(testConfig(spec.Name, without)); err == nil || !strings.Contains(err.Error(), name+" is not set") {
					t.Errorf("Build without %s: %v", name, err)
				}
			}

			// Every default endpoint is https and parseable.
			e, ok := entries[spec.Name]
			if !ok {
				t.Fatalf("no entry for %s", spec.Name)
			}
			p, err := e.provider(testConfig(spec.Name, m))
			if err != nil {
				t.Fatal(err)
			}
			for field, raw := range map[string]string{"authorization": p.AuthorizationURL, "token": p.AccessTokenURL,
				"refresh": p.RefreshTokenURL, "revoke": p.RevokeTokenURL, "user": p.UserDataURL, "api": p.APIURL} {
				if raw == "" {
					continue
				}
				u, err := url.Parse(raw)
				if err == nil && !u.IsAbs() {
					base, berr := url.Parse(p.APIURL)
					if berr != nil || p.APIURL == "" {
						t.Errorf("%s endpoint %q is relative without an API URL", field, raw)
						continue
					}
					u = base.ResolveReference(u)
				}
				if err != nil || u.Scheme != "https" || u.Host == "" {
					t.Errorf("%s endpoint %q is not an https URL", field, raw)
				}
			}
			res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if u, err := url.Parse(res.RedirectURL); err != nil || u.Scheme != "https" || u.Query().Get("code_challenge") == "" || u.Query().Get("state") != "s" {
				t.Errorf("authorization URL %q: want https with PKCE and state", res.RedirectURL)
			}

			// Every endpoint is overridable: a whole login against a fake.
			fake := newFake(t, map[string]any{"id": 7, "sub": "7", "login": "ada", "email": "ada@example.com", "email_verified": true, "name": "Ada L"})
			fake.HandleJSON("GET /user/emails", []any{})
			fake.HandleJSON("GET /api/v3/user/emails", []any{})
			fake.Handle("GET /orgs/{org}/members/{login}", fake.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})))
			fake.HandleJSON("GET /teams/{id}/memberships/{login}", map[string]any{"state": "active"})
			fake.HandleJSON("GET /method/users.get", map[string]any{"response": []any{map[string]any{"id": 7, "screen_name": "ada"}}})
			fm := fakeSettings(spec.Name, fake, nil)
			if spec.Name == "vk-oauth2" { // VK API methods answer in a {"response": …} envelope
				fm[oauth2.SettingName(spec.Name, "USER_DATA_URL")] = fake.URL + "/method/users.get"
			}
			for k, v := range m {
				if _, ok := fm[k]; !ok {
					fm[k] = v
				}
			}
			b, err = spec.Build(testConfig(spec.Name, fm))
			if err != nil {
				t.Fatal(err)
			}
			id, authURL, err := login(t, b)
			if err != nil {
				t.Fatalf("login against the fake: %v", err)
			}
			if authURL.Host != strings.TrimPrefix(fake.URL, "http://") {
				t.Errorf("AUTHORIZATION_URL ignored: %s", authURL)
			}
			if id.UID == "" || id.Token.AccessToken == "" || id.ExtraData["access_token"] != id.Token.AccessToken {
				t.Errorf("identity %+v", id)
			}
			if len(fake.RequestsTo(socialtest.TokenPath)) != 1 {
				t.Errorf("ACCESS_TOKEN_URL ignored")
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, ok := Lookup("no-such-backend"); ok {
		t.Error("Lookup found an unknown backend")
	}
}

func TestReadsAreDocumented(t *testing.T) {
	for name, want := range map[string][]string{
		"github-org":             {"NAME"},
		"github-team":            {"ID"},
		"github-enterprise":      {"API_URL"},
		"github-enterprise-org":  {"API_URL", "NAME"},
		"github-enterprise-team": {"API_URL", "ID"},
		"google-oauth2":          {"USE_UNIQUE_USER_ID", "TOKENINFO_URL"},
		"google-plus":            {"USE_UNIQUE_USER_ID", "TOKENINFO_URL"},
		"facebook":               {"API_VERSION", "PROFILE_EXTRA_PARAMS"},
	} {
		spec, _ := Lookup(name)
		if !slices.Equal(spec.Reads, want) {
			t.Errorf("%s reads %v, want %v", name, spec.Reads, want)
		}
		// and each of them is required or has an effect: the required ones
		// are reported missing.
		_, err := spec.Build(testConfig(name, prefixed(name, map[string]any{"KEY": "k", "SECRET": "s"})))
		for _, r := range want {
			if r == "USE_UNIQUE_USER_ID" || r == "TOKENINFO_URL" || strings.HasPrefix(r, "API_VERSION") || r == "PROFILE_EXTRA_PARAMS" {
				continue
			}
			if !slices.Contains(missingSettings(err), oauth2.SettingName(name, r)) {
				t.Errorf("%s: Build without %s = %v", name, r, err)
			}
		}
	}
}

func TestGenericBackendNeedsEndpoints(t *testing.T) {
	spec, ok := Lookup("oauth2")
	if !ok {
		t.Fatal("no oauth2 backend")
	}
	_, err := spec.Build(testConfig("oauth2", prefixed("oauth2", map[string]any{"KEY": "k", "SECRET": "s"})))
	got := missingSettings(err)
	want := []string{"SOCIAL_AUTH_OAUTH2_AUTHORIZATION_URL", "SOCIAL_AUTH_OAUTH2_ACCESS_TOKEN_URL", "SOCIAL_AUTH_OAUTH2_USER_DATA_URL"}
	if !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v", got, want)
	}
	// Configured by settings alone, with dotted keys.
	fake := newFake(t, nil)
	fake.HandleJSON("GET /me", map[string]any{"data": map[string]any{"uid": json.Number("99"), "mail": "x@example.com", "handle": "xy"}})
	b := build(t, "oauth2", fakeSettings("oauth2", fake, map[string]any{
		"USER_DATA_URL": fake.URL + "/me", "ID_KEY": "data.uid", "EMAIL_KEY": "data.mail", "USERNAME_KEY": "data.handle",
		"SCOPE": []string{"openid", "email"}, "EXTRA_DATA": []any{[]any{"data.handle", "handle"}},
	}))
	id, authURL, err := login(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "99" || id.Details.Email != "x@example.com" || id.Details.Username != "xy" || id.ExtraData["handle"] != "xy" {
		t.Errorf("identity %+v", id)
	}
	if authURL.Query().Get("scope") != "openid email" {
		t.Errorf("scope = %q", authURL.Query().Get("scope"))
	}
}

// buildWithRequired builds spec with only the settings its Build reports
// missing (KEY and SECRET must be among them), filled with sample values.
// It returns the backend, the full names of those settings and the values
// used.
func buildWithRequired(t *testing.T, spec backend.Spec) (backend.Backend, []string, settings.Map) {
	t.Helper()
	_, err := spec.Build(testConfig(spec.Name, settings.Map{}))
	required := missingSettings(err)
	for _, name := range []string{"KEY", "SECRET"} {
		if !slices.Contains(required, oauth2.SettingName(spec.Name, name)) {
			t.Errorf("Build without settings does not report %s: %v", oauth2.SettingName(spec.Name, name), err)
		}
	}
	m := settings.Map{}
	for _, name := range required {
		m[name] = sampleValue(name)
	}
	b, err := spec.Build(testConfig(spec.Name, m))
	if err != nil {
		t.Fatalf("Build with %v: %v", m, err)
	}
	if b.Name() != spec.Name {
		t.Errorf("Name() = %q", b.Name())
	}
	return b, required, m
}
