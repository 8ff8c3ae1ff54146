package providers

import (
	"slices"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth1"
	"github.com/socialauth/socialauth/oauth2"
)

// oauth1Entry is one OAuth 1.0a backend of the catalogue: what the Spec
// says, and how to describe the provider from the backend's settings.
type oauth1Entry struct {
	name     string
	title    string
	python   string // python-social-auth's class path, accepted as an alias
	reads    []string
	provider func(cfg backend.Config) (oauth1.Provider, error)
}

// oauth1Entries is the OAuth 1.0a part of the catalogue. Every backend
// reads [oauth1.CommonSettings] (KEY, SECRET, the endpoint overrides…).
func oauth1Entries() []oauth1Entry {
	return []oauth1Entry{
		{name: "oauth1", title: "OAuth 1.0a (generic, configured by settings)",
			provider: func(backend.Config) (oauth1.Provider, error) { return oauth1.Provider{}, nil }},
		{name: "twitter", python: "social_core.backends.twitter.TwitterOAuth", title: "Twitter",
			provider: func(backend.Config) (oauth1.Provider, error) { return twitter(), nil }},
	}
}

// twitter is Twitter's (X's) OAuth 1.0a "Sign in with Twitter": the
// authenticate endpoint skips the consent screen for people who already
// authorised the application, and verify_credentials with
// include_email=true returns the email for applications allowed to ask
// for it. Twitter returns an email only when it is verified (null
// otherwise), so a non-empty email is marked verified. Ids are 64-bit
// numbers: the uid is the string form, id_str.
func twitter() oauth1.Provider {
	return oauth1.Provider{
		RequestTokenURL:  "https://api.twitter.com/oauth/request_token",
		AuthorizationURL: "https://api.twitter.com/oauth/authenticate",
		AccessTokenURL:   "https://api.twitter.com/oauth/access_token",
		UserDataURL:      "https://api.twitter.com/1.1/account/verify_credentials.json?include_email=true",
		IDKey:            "id_str",
		Details:          oauth2.DetailsMapping{Username: "screen_name", FullName: "name", Email: "email"},
		Hooks: oauth1.Hooks{
			MapDetails: func(_ map[string]any, d *backend.Details) { d.EmailVerified = d.Email != "" },
		},
	}
}

// oauth1Specs returns the OAuth 1.0a specs, for [Catalogue].
func oauth1Specs() []backend.Spec {
	entries := oauth1Entries()
	specs := make([]backend.Spec, 0, len(entries))
	for _, e := range entries {
		specs = append(specs, e.spec())
	}
	return specs
}

// lookupOAuth1 finds an OAuth 1.0a backend by name or python class path,
// for [Lookup].
func lookupOAuth1(name string) (backend.Spec, bool) {
	for _, e := range oauth1Entries() {
		if e.name == name || slices.Contains(aliases(e.python), name) {
			return e.spec(), true
		}
	}
	return backend.Spec{}, false
}

func (e oauth1Entry) spec() backend.Spec {
	return backend.Spec{
		Name:     e.name,
		Protocol: "oauth1",
		Title:    e.title,
		NeedsKey: true,
		Aliases:  aliases(e.python),
		Reads:    slices.Clone(e.reads),
		Build:    e.build,
	}
}

func (e oauth1Entry) build(cfg backend.Config) (backend.Backend, error) {
	return buildWith(cfg, e.name, e.provider, oauth1.New)
}
