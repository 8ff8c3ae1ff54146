// Package providers is socialauth's catalogue of backends, as data: each
// entry is a [backend.Spec] whose Build hands a provider description to its
// protocol package (oauth2, oidc, oauth1, openid or form). Provider code
// exists only where a provider really needs it: GitHub's email list,
// membership checks and token check, Facebook's signed Graph API calls,
// Google's choice of uid, Steam's player data.
//
// The catalogue is never a mutable registry: [Catalogue] returns a fresh
// slice on every call, and projects choose backends by name with
// [Lookup] (or the engine's AUTHENTICATION_BACKENDS setting).
//
// VK's JavaScript Open API login (vk-openapi) is a small protocol of its
// own, written here: a session signed by VK for the application, checked
// with its secure key (see [VKOpenAPIParams]).
//
// Every backend reads the common settings of its protocol
// ([oauth2.CommonSettings], oauth1.CommonSettings, openid.CommonSettings:
// KEY, SECRET, SCOPE, the endpoint overrides…) plus those listed in its
// Spec.Reads. python-social-auth's class paths are each backend's
// Spec.Aliases.
package providers

import (
	"cmp"
	"slices"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
)

// entry is one backend of the catalogue: what the Spec says, and how to
// describe the provider from the backend's settings.
type entry struct {
	name     string
	title    string
	python   string // python-social-auth's class path, accepted as an alias
	reads    []string
	provider func(cfg backend.Config) (oauth2.Provider, error)
}

// oauth2Entries is the OAuth 2.0 part of the catalogue.
func oauth2Entries() []entry {
	return []entry{
		{name: "oauth2", title: "OAuth 2.0 (generic, configured by settings)",
			provider: func(backend.Config) (oauth2.Provider, error) { return oauth2.Provider{}, nil }},
		{name: "github", python: "social_core.backends.github.GithubOAuth2", title: "GitHub", provider: github(githubPlain, false)},
		{name: "github-org", python: "social_core.backends.github.GithubOrganizationOAuth2", title: "GitHub organization", reads: []string{settingOrgName}, provider: github(githubOrg, false)},
		{name: "github-team", python: "social_core.backends.github.GithubTeamOAuth2", title: "GitHub team", reads: []string{settingTeamID}, provider: github(githubTeam, false)},
		{name: "github-enterprise", python: "social_core.backends.github_enterprise.GithubEnterpriseOAuth2", title: "GitHub Enterprise", reads: []string{settingAPIURL}, provider: github(githubPlain, true)},
		{name: "github-enterprise-org", python: "social_core.backends.github_enterprise.GithubEnterpriseOrganizationOAuth2", title: "GitHub Enterprise organization", reads: []string{settingAPIURL, settingOrgName},
			provider: github(githubOrg, true)},
		{name: "github-enterprise-team", python: "social_core.backends.github_enterprise.GithubEnterpriseTeamOAuth2", title: "GitHub Enterprise team", reads: []string{settingAPIURL, settingTeamID},
			provider: github(githubTeam, true)},
		{name: "google-oauth2", python: "social_core.backends.google.GoogleOAuth2", title: "Google", reads: []string{settingUseUniqueUserID, "TOKENINFO_URL"}, provider: google},
		// google-plus is Google Sign-In from the JavaScript SDK: the page
		// posts the SDK's access token to /token/google-plus/.
		{name: "google-plus", python: "social_core.backends.google.GooglePlusAuth", title: "Google (Sign-In for websites)",
			reads: []string{settingUseUniqueUserID, "TOKENINFO_URL"}, provider: google},
		{name: "facebook", python: "social_core.backends.facebook.FacebookOAuth2", title: "Facebook", reads: []string{settingAPIVersion, settingProfileExtraParams}, provider: facebook},
		{name: "vk-oauth2", python: "social_core.backends.vk.VKOAuth2", title: "VK", reads: []string{settingAPIVersion, settingServiceToken}, provider: vkOAuth2},
	}
}

// Catalogue returns every backend socialauth knows, sorted by name, in a
// fresh slice the caller may change.
func Catalogue() []backend.Spec {
	entries := oauth2Entries()
	specs := make([]backend.Spec, 0, len(entries))
	for _, e := range entries {
		specs = append(specs, e.spec())
	}
	specs = append(specs, formSpecs()...)
	specs = append(specs, openidSpecs()...)
	specs = append(specs, oauth1Specs()...)
	specs = append(specs, oidcSpecs()...)
	specs = append(specs, vkOpenAPISpec())
	slices.SortFunc(specs, func(a, b backend.Spec) int { return cmp.Compare(a.Name, b.Name) })
	return specs
}

// aliases returns the python-social-auth class path of a backend and its
// older "social." form.
func aliases(python string) []string {
	if python == "" {
		return nil
	}
	return []string{python, "social." + python[len("social_core."):]}
}

// Lookup returns the Spec of the backend with that name, or with that
// python-social-auth class path (social_core.backends.github.GithubOAuth2).
func Lookup(name string) (backend.Spec, bool) {
	for _, e := range oauth2Entries() {
		if e.name == name || slices.Contains(aliases(e.python), name) {
			return e.spec(), true
		}
	}
	if s, ok := lookupForm(name); ok {
		return s, true
	}
	if s, ok := lookupOpenID(name); ok {
		return s, true
	}
	if s, ok := lookupOAuth1(name); ok {
		return s, true
	}
	if s, ok := lookupOIDC(name); ok {
		return s, true
	}
	if s, ok := lookupVK(name); ok {
		return s, true
	}
	return backend.Spec{}, false
}

func (e entry) spec() backend.Spec {
	return backend.Spec{
		Name:     e.name,
		Protocol: "oauth2",
		Title:    e.title,
		NeedsKey: true,
		Aliases:  aliases(e.python),
		Reads:    slices.Clone(e.reads),
		Build:    e.build,
	}
}

// build describes the provider from the settings and hands it to the
// protocol. When provider-specific settings are missing, the key and
// secret are checked too, so that every missing setting is reported at
// once.
func (e entry) build(cfg backend.Config) (backend.Backend, error) {
	return buildWith(cfg, e.name, e.provider, oauth2.New)
}

// Settings read by some providers, beyond the common OAuth 2.0 ones.
const (
	settingAPIURL = "API_URL"
	// settingOrgName is the organisation of github-org backends: with
	// the backend's prefix it reads SOCIAL_AUTH_GITHUB_ORG_NAME, the
	// documented name.
	settingOrgName = "NAME"
	// settingTeamID is the team of github-team backends:
	// SOCIAL_AUTH_GITHUB_TEAM_ID.
	settingTeamID             = "ID"
	settingUseUniqueUserID    = "USE_UNIQUE_USER_ID"
	settingAPIVersion         = "API_VERSION"
	settingProfileExtraParams = "PROFILE_EXTRA_PARAMS"
)
