package providers

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

// oauth1FakeSettings points an OAuth 1.0a backend at a fake provider.
func oauth1FakeSettings(name string, p *socialtest.OAuth1Provider, extra map[string]any) settings.Map {
	m := map[string]any{
		"KEY": p.ConsumerKey, "SECRET": p.ConsumerSecret,
		"REQUEST_TOKEN_URL": p.RequestTokenURL(), "AUTHORIZATION_URL": p.AuthorizeURL(),
		"ACCESS_TOKEN_URL": p.AccessTokenURL(), "USER_DATA_URL": p.UserURL(),
	}
	for k, v := range extra {
		m[k] = v
	}
	return prefixed(name, m)
}

// oauth1Login drives a whole OAuth 1.0a login: Begin, the provider's
// authorization redirect, Complete.
func oauth1Login(t *testing.T, b backend.Backend) (*backend.Identity, *url.URL, error) {
	t.Helper()
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "unused"})
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	authURL, _ := url.Parse(res.RedirectURL)
	resp, err := socialtest.NewBrowserNoRedirect(t).Get(res.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	id, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: loc.Query(), Stash: res.Stash})
	return id, authURL, err
}

// checkOAuth1Spec is TestCatalogue's walk for an OAuth 1.0a entry: the
// spec, what Build reports missing, https defaults, and a whole login
// against the fake provider with every endpoint overridden.
func checkOAuth1Spec(t *testing.T, spec backend.Spec) {
	if spec.Title == "" || spec.Build == nil || !spec.NeedsKey {
		t.Errorf("spec %+v", spec)
	}
	if got, ok := Lookup(spec.Name); !ok || got.Name != spec.Name || got.Protocol != "oauth1" {
		t.Errorf("Lookup(%q) = %v, %v", spec.Name, got.Name, ok)
	}
	for _, alias := range spec.Aliases {
		if got, ok := Lookup(alias); !ok || got.Name != spec.Name {
			t.Errorf("Lookup(%q) = %v, %v", alias, got.Name, ok)
		}
	}
	b, required, m := buildWithRequired(t, spec)
	if _, ok := b.(backend.TokenAuthenticator); !ok {
		t.Error("an OAuth 1.0a backend cannot log in from a token pair")
	}
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
	// Every default endpoint is https.
	for _, e := range oauth1Entries() {
		if e.name != spec.Name {
			continue
		}
		p, err := e.provider(testConfig(spec.Name, m))
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range []string{p.RequestTokenURL, p.AuthorizationURL, p.AccessTokenURL, p.UserDataURL, p.APIURL} {
			if u, err := url.Parse(raw); raw != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
				t.Errorf("endpoint %q is not an https URL", raw)
			}
		}
	}

	// Every endpoint is overridable: a whole login against a fake.
	fake := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(map[string]any{
		"id": 7, "id_str": "7", "screen_name": "ada", "username": "ada", "email": "ada@example.com", "name": "Ada L",
	}))
	fm := oauth1FakeSettings(spec.Name, fake, nil)
	for k, v := range m {
		if _, ok := fm[k]; !ok {
			fm[k] = v
		}
	}
	b, err := spec.Build(testConfig(spec.Name, fm))
	if err != nil {
		t.Fatal(err)
	}
	id, authURL, err := oauth1Login(t, b)
	if err != nil {
		t.Fatalf("login against the fake: %v", err)
	}
	if authURL.Host != strings.TrimPrefix(fake.URL, "http://") {
		t.Errorf("AUTHORIZATION_URL ignored: %s", authURL)
	}
	pair, _ := id.ExtraData["access_token"].(map[string]any)
	if id.UID != "7" || id.Token.AccessToken == "" || id.Token.Secret == "" || pair["oauth_token"] != id.Token.AccessToken {
		t.Errorf("identity %+v", id)
	}
	for _, path := range []string{socialtest.OAuth1RequestTokenPath, socialtest.OAuth1AccessTokenPath, socialtest.OAuth1UserPath} {
		if len(fake.RequestsTo(path)) != 1 {
			t.Errorf("%s called %d times", path, len(fake.RequestsTo(path)))
		}
	}
}

func TestGenericOAuth1NeedsEndpoints(t *testing.T) {
	spec, ok := Lookup("oauth1")
	if !ok {
		t.Fatal("no oauth1 backend")
	}
	_, err := spec.Build(testConfig("oauth1", prefixed("oauth1", map[string]any{"KEY": "k", "SECRET": "s"})))
	want := []string{"SOCIAL_AUTH_OAUTH1_REQUEST_TOKEN_URL", "SOCIAL_AUTH_OAUTH1_AUTHORIZATION_URL",
		"SOCIAL_AUTH_OAUTH1_ACCESS_TOKEN_URL", "SOCIAL_AUTH_OAUTH1_USER_DATA_URL"}
	if got := missingSettings(err); !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v", got, want)
	}
	// Configured by settings alone, with dotted keys.
	fake := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(map[string]any{
		"data": map[string]any{"uid": 99, "mail": "x@example.com", "handle": "xy"},
	}))
	b := build(t, "oauth1", oauth1FakeSettings("oauth1", fake, map[string]any{
		"ID_KEY": "data.uid", "EMAIL_KEY": "data.mail", "USERNAME_KEY": "data.handle",
		"EXTRA_DATA": []any{[]any{"data.handle", "handle"}},
	}))
	id, _, err := oauth1Login(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "99" || id.Details.Email != "x@example.com" || id.Details.Username != "xy" ||
		id.ExtraData["handle"] != "xy" || id.Details.EmailVerified {
		t.Errorf("identity %+v", id)
	}
}

func TestTwitter(t *testing.T) {
	spec, ok := Lookup("social_core.backends.twitter.TwitterOAuth")
	if !ok || spec.Name != "twitter" || spec.Protocol != "oauth1" {
		t.Fatalf("Lookup by python class path: %+v, %v", spec, ok)
	}
	p := twitter()
	if p.RequestTokenURL != "https://api.twitter.com/oauth/request_token" ||
		p.AuthorizationURL != "https://api.twitter.com/oauth/authenticate" ||
		p.AccessTokenURL != "https://api.twitter.com/oauth/access_token" ||
		p.UserDataURL != "https://api.twitter.com/1.1/account/verify_credentials.json?include_email=true" {
		t.Errorf("endpoints %+v", p)
	}
	profile := map[string]any{"id": 4012966701, "id_str": "4012966701", "screen_name": "notinourselves",
		"name": "Not In Ourselves", "email": "test@example.com"}
	fake := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(profile))
	b := build(t, "twitter", oauth1FakeSettings("twitter", fake, map[string]any{
		"USER_DATA_URL": fake.UserURL() + "?include_email=true",
	}))
	id, _, err := oauth1Login(t, b)
	if err != nil {
		t.Fatal(err)
	}
	d := id.Details
	if id.UID != "4012966701" || d.Username != "notinourselves" || d.FullName != "Not In Ourselves" ||
		d.FirstName != "Not" || d.Email != "test@example.com" || !d.EmailVerified {
		t.Errorf("identity %+v", id)
	}
	if user := fake.RequestsTo(socialtest.OAuth1UserPath); len(user) != 1 || user[0].Query.Get("include_email") != "true" {
		t.Errorf("verify_credentials call %+v", user)
	}
	// No email (not verified, or not allowed): nothing is verified.
	delete(profile, "email")
	fake.SetUser(profile)
	id, _, err = oauth1Login(t, b)
	if err != nil || id.Details.Email != "" || id.Details.EmailVerified {
		t.Errorf("without email: %+v, %v", id, err)
	}
	// A wrong consumer secret is refused by the provider's signature check.
	bad := build(t, "twitter", oauth1FakeSettings("twitter", fake, map[string]any{"SECRET": "wrong"}))
	_, err = bad.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI})
	wantKind(t, err, socialerr.AuthTokenError)
	if n := len(fake.RequestsTo(socialtest.OAuth1AuthorizePath)); n != 2 {
		t.Errorf("%d authorizations", n)
	}
}
