package oidc_test

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oidc"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

const redirectURI = "http://app.test/complete/oidc/"

// testSecret is long enough for HS256.
const testSecret = "socialtest-secret-0123456789-abcdefghij"

// clock is a settable clock shared by the provider and the backend.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func oidcUser() map[string]any {
	return map[string]any{
		"sub": "u-42", "preferred_username": "ada", "name": "Ada Lovelace", "given_name": "Ada",
		"family_name": "Lovelace", "email": "ada@example.com", "email_verified": true,
	}
}

// env is a fake OpenID Provider, a clock and settings for an "oidc"
// backend pointed at it.
type env struct {
	t   *testing.T
	p   *socialtest.OIDCProvider
	clk *clock
	m   settings.Map
}

func newEnv(t *testing.T, opts ...socialtest.OIDCOption) *env {
	t.Helper()
	clk := newClock()
	all := append([]socialtest.OIDCOption{socialtest.WithClock(clk.Now), socialtest.WithUser(oidcUser()),
		socialtest.WithClient(socialtest.DefaultClientID, testSecret), socialtest.WithRedirectURI(redirectURI)}, opts...)
	p := socialtest.NewOIDCProvider(t, all...)
	return &env{t: t, p: p, clk: clk, m: settings.Map{
		"SOCIAL_AUTH_OIDC_KEY":           p.ClientID,
		"SOCIAL_AUTH_OIDC_SECRET":        p.ClientSecret,
		"SOCIAL_AUTH_OIDC_OIDC_ENDPOINT": p.Issuer(),
	}}
}

func (e *env) set(name string, v any) *env {
	e.m["SOCIAL_AUTH_OIDC_"+name] = v
	return e
}

func (e *env) config() backend.Config {
	return backend.Config{Name: "oidc", Settings: settings.New(e.m).For("oidc"),
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Now: e.clk.Now}
}

func (e *env) build() oidc.Backend {
	e.t.Helper()
	b, err := oidc.New(e.config(), oidc.Provider{})
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// begin runs Begin and the provider's authorization endpoint, returning
// the callback parameters, the stash and the authorization URL.
func (e *env) begin(b backend.Backend) (url.Values, backend.Stash, *url.URL) {
	e.t.Helper()
	res, err := b.Begin(e.t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: randomState()})
	if err != nil {
		e.t.Fatal(err)
	}
	authURL, _ := url.Parse(res.RedirectURL)
	c := socialtest.NewBrowserNoRedirect(e.t)
	reply, err := c.Get(res.RedirectURL)
	if err != nil {
		e.t.Fatal(err)
	}
	reply.Body.Close()
	cb, err := url.Parse(reply.Header.Get("Location"))
	if err != nil || reply.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: %d %s", reply.StatusCode, reply.Header.Get("Location"))
	}
	return cb.Query(), res.Stash, authURL
}

// login runs a whole login.
func (e *env) login(b backend.Backend) (*backend.Identity, *url.URL, error) {
	e.t.Helper()
	params, stash, authURL := e.begin(b)
	id, err := b.Complete(e.t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: stash})
	return id, authURL, err
}

func randomState() string { return rand.Text() }

// wantErr asserts err has kind and cause.
func wantErr(t *testing.T, err error, kind socialerr.Kind, cause error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s wrapping %v", kind, cause)
	}
	if !errors.Is(err, kind) || (cause != nil && !errors.Is(err, cause)) {
		t.Fatalf("err = %v; want %s wrapping %v", err, kind, cause)
	}
}
