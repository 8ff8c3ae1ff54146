package main

import (
	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
)

// localSpec is the demo's built-in local identity provider, offered as an
// ordinary OAuth 2.0 backend named "local" whose endpoints are served by
// the demo itself under issuer (e.g. http://127.0.0.1:8000/idp).
func localSpec(issuer string) backend.Spec {
	provider := oauth2.Provider{
		AuthorizationURL: issuer + "/authorize",
		AccessTokenURL:   issuer + "/token",
		RefreshTokenURL:  issuer + "/token",
		RevokeTokenURL:   issuer + "/revoke",
		UserDataURL:      issuer + "/userinfo",
		DefaultScope:     []string{"profile", "email"},
		IDKey:            "id",
		Details: oauth2.DetailsMapping{
			Username:      "username",
			Email:         "email",
			FullName:      "name",
			FirstName:     "given_name",
			LastName:      "family_name",
			EmailVerified: "email_verified",
		},
		ExtraData: []oauth2.ExtraField{{Name: "username", Alias: "username"}},
	}
	return backend.Spec{
		Name:     "local",
		Protocol: "oauth2",
		Title:    "Local identity provider",
		NeedsKey: true,
		Build: func(cfg backend.Config) (backend.Backend, error) {
			return oauth2.New(cfg, provider)
		},
	}
}
