package providers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

const redirectURI = "https://app.example.com/complete/provider/"

func testConfig(name string, m settings.Map) backend.Config {
	return backend.Config{
		Name:       name,
		Settings:   settings.New(m).For(name),
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		UserAgent:  "socialauth-test/1",
		Logger:     slog.New(slog.DiscardHandler),
		Now:        time.Now,
	}
}

// prefixed returns m with every name prefixed by the backend's setting
// prefix ("KEY" → "SOCIAL_AUTH_GITHUB_KEY").
func prefixed(name string, m map[string]any) settings.Map {
	out := settings.Map{}
	for k, v := range m {
		out[oauth2.SettingName(name, k)] = v
	}
	return out
}

// fakeSettings points a backend's key, secret and endpoints at a fake
// provider.
func fakeSettings(name string, p *socialtest.Provider, extra map[string]any) settings.Map {
	m := map[string]any{
		"KEY": p.ClientID, "SECRET": p.ClientSecret,
		"AUTHORIZATION_URL": p.AuthorizeURL(), "ACCESS_TOKEN_URL": p.TokenURL(), "USER_DATA_URL": p.UserURL(),
		"API_URL": p.URL,
	}
	for k, v := range extra {
		m[k] = v
	}
	return prefixed(name, m)
}

func newFake(t *testing.T, user map[string]any) *socialtest.Provider {
	t.Helper()
	opts := []socialtest.Option{socialtest.WithRedirectURI(redirectURI), socialtest.WithRequirePKCE()}
	if user != nil {
		opts = append(opts, socialtest.WithUser(user))
	}
	return socialtest.NewOAuth2Provider(t, opts...)
}

func build(t *testing.T, name string, m settings.Map) backend.Backend {
	t.Helper()
	spec, ok := Lookup(name)
	if !ok {
		t.Fatalf("no backend %q", name)
	}
	b, err := spec.Build(testConfig(name, m))
	if err != nil {
		t.Fatalf("Build %s: %v", name, err)
	}
	return b
}

// login drives a whole login: Begin, the provider's authorization
// redirect, Complete.
func login(t *testing.T, b backend.Backend) (*backend.Identity, *url.URL, error) {
	t.Helper()
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "state-xyz"})
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	authURL, err := url.Parse(res.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := socialtest.NewBrowserNoRedirect(t).Get(res.RedirectURL)
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("authorize: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	id, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: loc.Query(), Stash: res.Stash})
	return id, authURL, err
}

func wantKind(t *testing.T, err error, kind socialerr.Kind) {
	t.Helper()
	if got := socialerr.KindOf(err); got != kind || !errors.Is(err, kind) {
		t.Fatalf("error %v: kind %q, want %s", err, got, kind)
	}
}

// missingSettings returns the full names of the settings an error reports
// as not set.
func missingSettings(err error) []string {
	var names []string
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if se, ok := err.(*oauth2.SettingError); ok && errors.Is(se.Err, oauth2.ErrNotSet) {
			names = append(names, se.Name)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return names
}
