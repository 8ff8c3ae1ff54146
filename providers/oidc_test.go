package providers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/oidc"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
)

// checkOIDCSpec is TestCatalogue for an OpenID Connect backend: the
// settings it needs, and a whole login against a fake OpenID Provider
// named by OIDC_ENDPOINT.
func checkOIDCSpec(t *testing.T, spec backend.Spec) {
	t.Helper()
	if spec.Title == "" || spec.Build == nil || !spec.NeedsKey || !slices.Contains(spec.Reads, oidc.SettingEndpoint) {
		t.Errorf("spec %+v", spec)
	}
	if got, ok := Lookup(spec.Name); !ok || got.Protocol != "oidc" {
		t.Errorf("Lookup(%q) = %v, %v", spec.Name, got.Name, ok)
	}
	for _, alias := range spec.Aliases {
		if got, ok := Lookup(alias); !ok || got.Name != spec.Name {
			t.Errorf("Lookup(%q) = %q", alias, got.Name)
		}
	}
	_, err := spec.Build(testConfig(spec.Name, settings.Map{}))
	missing := missingSettings(err)
	for _, name := range []string{"KEY", "SECRET"} {
		if !slices.Contains(missing, oauth2.SettingName(spec.Name, name)) {
			t.Errorf("Build without settings does not report %s: %v", name, err)
		}
	}
	m := settings.Map{}
	for _, name := range missing {
		m[name] = "sample"
		if strings.HasSuffix(name, "_URL") || strings.HasSuffix(name, "_ENDPOINT") {
			m[name] = "https://sample.example.com/realms/x"
		}
	}
	b, err := spec.Build(testConfig(spec.Name, m))
	if err != nil {
		t.Fatalf("Build with %v: %v", m, err)
	}
	if b.Name() != spec.Name {
		t.Errorf("Name() = %q", b.Name())
	}
	if _, ok := b.(backend.TokenAuthenticator); !ok {
		t.Error("not a TokenAuthenticator")
	}

	// OIDC_ENDPOINT points every entry at a fake provider.
	redirect := "https://app.example.com/complete/" + spec.Name + "/"
	p := socialtest.NewOIDCProvider(t, socialtest.WithRedirectURI(redirect),
		socialtest.WithUser(map[string]any{"sub": "s-1", "preferred_username": "ada", "email": "ada@example.com", "email_verified": true}))
	fm := prefixed(spec.Name, map[string]any{"KEY": p.ClientID, "SECRET": p.ClientSecret, oidc.SettingEndpoint: p.Issuer()})
	b, err = spec.Build(backend.Config{Name: spec.Name, Settings: settings.New(fm).For(spec.Name),
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirect, State: "s"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := socialtest.NewBrowserNoRedirect(t).Get(res.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	reply.Body.Close()
	cb, _ := url.Parse(reply.Header.Get("Location"))
	id, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirect, Params: cb.Query(), Stash: res.Stash})
	if err != nil {
		t.Fatalf("login against the fake: %v", err)
	}
	if id.UID != "s-1" || id.Details.Username != "ada" || !id.Details.EmailVerified || id.ExtraData["id_token"] == nil {
		t.Errorf("identity %+v", id)
	}
}

func TestOIDCEndpoints(t *testing.T) {
	for _, tt := range []struct {
		name     string
		settings map[string]any
		want     string
	}{
		{"okta-openidconnect", map[string]any{"API_URL": "https://dev-1.okta.com/oauth2/default"}, "https://dev-1.okta.com/oauth2/default"},
		{"okta-openidconnect", map[string]any{"API_URL": "https://dev-1.okta.com/oauth2/"}, "https://dev-1.okta.com"},
		{"keycloak", map[string]any{"AUTHORIZATION_URL": "https://kc.example.com/realms/acme/protocol/openid-connect/auth"}, "https://kc.example.com/realms/acme"},
		{"keycloak", map[string]any{"OIDC_ENDPOINT": "https://kc.example.com/realms/x"}, "https://kc.example.com/realms/x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The fake stands at the expected issuer's place: the discovery
			// request reveals which issuer the backend derived.
			var asked string
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				asked = r.URL.String()
				return &http.Response{StatusCode: http.StatusNotFound, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
			})}
			spec, _ := Lookup(tt.name)
			m := map[string]any{"KEY": "k", "SECRET": "s"}
			for k, v := range tt.settings {
				m[k] = v
			}
			b, err := spec.Build(backend.Config{Name: tt.name, Settings: settings.New(prefixed(tt.name, m)).For(tt.name), HTTPClient: client})
			if err != nil {
				t.Fatal(err)
			}
			b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: "https://app.example.com/cb", State: "s"})
			if asked != tt.want+"/.well-known/openid-configuration" {
				t.Errorf("discovery at %q, want issuer %q", asked, tt.want)
			}
		})
	}
	spec, _ := Lookup("google-openidconnect")
	if _, err := spec.Build(testConfig("google-openidconnect", prefixed("google-openidconnect", map[string]any{"KEY": "k", "SECRET": "s"}))); err != nil {
		t.Errorf("google-openidconnect needs only KEY and SECRET: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
