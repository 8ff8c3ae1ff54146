package oauth1_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth1"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

const redirectURI = "https://app.example.com/complete/oauth1/"

func timeNow() time.Time { return time.Now() }

// config builds a backend Config named "oauth1" from un-prefixed settings.
func config(m map[string]any) backend.Config {
	sm := settings.Map{}
	for k, v := range m {
		sm[oauth2.SettingName("oauth1", k)] = v
	}
	return backend.Config{
		Name:       "oauth1",
		Settings:   settings.New(sm).For("oauth1"),
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		UserAgent:  "socialauth-test/1",
		Logger:     slog.New(slog.DiscardHandler),
		Now:        time.Now,
	}
}

// fakeSettings points the backend at a fake provider.
func fakeSettings(p *socialtest.OAuth1Provider, extra map[string]any) map[string]any {
	m := map[string]any{
		"KEY": p.ConsumerKey, "SECRET": p.ConsumerSecret,
		"REQUEST_TOKEN_URL": p.RequestTokenURL(), "AUTHORIZATION_URL": p.AuthorizeURL(),
		"ACCESS_TOKEN_URL": p.AccessTokenURL(), "USER_DATA_URL": p.UserURL(),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func newBackend(t *testing.T, p *socialtest.OAuth1Provider, extra map[string]any) backend.Backend {
	t.Helper()
	b, err := oauth1.New(config(fakeSettings(p, extra)), oauth1.Provider{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// authorize runs Begin and the provider's authorization step, returning
// Begin's result and the callback parameters.
func authorize(t *testing.T, b backend.Backend) (*backend.BeginResult, url.Values) {
	t.Helper()
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "unused"})
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	resp, err := socialtest.NewBrowserNoRedirect(t).Get(res.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return res, loc.Query()
}

func complete(t *testing.T, b backend.Backend, stash backend.Stash, params url.Values) (*backend.Identity, error) {
	t.Helper()
	return b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: stash})
}

func wantKind(t *testing.T, err error, kind socialerr.Kind) {
	t.Helper()
	if got := socialerr.KindOf(err); got != kind || !errors.Is(err, kind) {
		t.Fatalf("error %v: kind %q, want %s", err, got, kind)
	}
}
