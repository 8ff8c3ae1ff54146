package providers

import (
	"net/url"
	"slices"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/oidc"
)

// oidcEntry is an OpenID Connect backend of the catalogue: its issuer is
// fixed (endpoint), or given by the OIDC_ENDPOINT setting, or derived by
// issuer from other settings. OIDC_ENDPOINT always wins, so every entry
// can point at a staging server or a local fake.
type oidcEntry struct {
	name     string
	title    string
	python   string
	reads    []string
	endpoint string
	issuer   func(cfg backend.Config) (string, error)
}

// oidcEntries is the OpenID Connect part of the catalogue.
func oidcEntries() []oidcEntry {
	return []oidcEntry{
		{name: "oidc", title: "OpenID Connect (generic, configured by OIDC_ENDPOINT)",
			python: "social_core.backends.open_id_connect.OpenIdConnectAuth"},
		{name: "google-openidconnect", title: "Google (OpenID Connect)", endpoint: "https://accounts.google.com",
			python: "social_core.backends.google_openidconnect.GoogleOpenIdConnect"},
		{name: "okta-openidconnect", title: "Okta (OpenID Connect)", reads: []string{settingAPIURL},
			python: "social_core.backends.okta_openidconnect.OktaOpenIdConnect", issuer: oktaIssuer},
		{name: "keycloak", title: "Keycloak (OpenID Connect)",
			python: "social_core.backends.keycloak.KeycloakOAuth2", issuer: keycloakIssuer},
	}
}

// oktaIssuer derives the issuer from API_URL, the setting Okta backends
// share: https://{org}.okta.com/oauth2/{server} is a custom authorization
// server, whose issuer it is; https://{org}.okta.com/oauth2 is the org
// server, whose issuer is https://{org}.okta.com.
func oktaIssuer(cfg backend.Config) (string, error) {
	api, err := oauth2.RequireOwnString(cfg, settingAPIURL)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(strings.TrimSuffix(api, "/"))
	if err != nil {
		return "", &oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, settingAPIURL), Err: err}
	}
	if u.Path == "/oauth2" {
		u.Path = ""
	}
	return u.String(), nil
}

// keycloakIssuer reads OIDC_ENDPOINT (https://{host}/realms/{realm}) or,
// for settings written for python-social-auth's Keycloak backend, derives
// it from AUTHORIZATION_URL (…/realms/{realm}/protocol/openid-connect/auth).
func keycloakIssuer(cfg backend.Config) (string, error) {
	authURL := strings.TrimSpace(cfg.Settings.String("AUTHORIZATION_URL", ""))
	if issuer, ok := strings.CutSuffix(authURL, "/protocol/openid-connect/auth"); ok && issuer != "" {
		return issuer, nil
	}
	return "", &oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, oidc.SettingEndpoint), Err: oauth2.ErrNotSet}
}

// oidcSpecs returns the OpenID Connect backends' Specs.
func oidcSpecs() []backend.Spec {
	entries := oidcEntries()
	specs := make([]backend.Spec, 0, len(entries))
	for _, e := range entries {
		specs = append(specs, e.spec())
	}
	return specs
}

// lookupOIDC finds an OpenID Connect backend by name or class path.
func lookupOIDC(name string) (backend.Spec, bool) {
	for _, e := range oidcEntries() {
		if e.name == name || slices.Contains(aliases(e.python), name) {
			return e.spec(), true
		}
	}
	return backend.Spec{}, false
}

func (e oidcEntry) spec() backend.Spec {
	return backend.Spec{
		Name:     e.name,
		Protocol: "oidc",
		Title:    e.title,
		NeedsKey: true,
		Aliases:  aliases(e.python),
		Reads:    append(slices.Clone(e.reads), oidc.Settings()...),
		Build:    e.build,
	}
}

func (e oidcEntry) build(cfg backend.Config) (backend.Backend, error) {
	if cfg.Name == "" {
		cfg.Name = e.name
	}
	p := oidc.Provider{Endpoint: e.endpoint}
	if e.issuer != nil && !ownSetting(cfg, oidc.SettingEndpoint) {
		issuer, err := e.issuer(cfg)
		if err != nil {
			keys := []string{"KEY", "SECRET"}
			if cfg.Settings.Has(oidc.SettingPrivateKey) {
				keys = keys[:1] // private_key_jwt needs no secret
			}
			return nil, describeError(cfg, err, keys...)
		}
		p.Endpoint = issuer
	}
	return oidc.New(cfg, p)
}

// ownSetting reports whether a setting is given under the backend's own
// name.
func ownSetting(cfg backend.Config, name string) bool {
	_, foundAs, ok := cfg.Settings.Settings().Lookup(cfg.Name, name)
	return ok && foundAs == oauth2.SettingName(cfg.Name, name)
}
