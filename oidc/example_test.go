package oidc_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oidc"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
)

// The generic "oidc" backend needs the issuer, the client id and the
// secret; everything else is discovered at the first login.
func Example() {
	p, err := socialtest.StartOIDCProvider(socialtest.WithRedirectURI("https://app.example.com/complete/oidc/"))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	b, err := oidc.New(backend.Config{Name: "oidc", Settings: settings.New(settings.Map{
		"SOCIAL_AUTH_OIDC_OIDC_ENDPOINT": p.Issuer(),
		"SOCIAL_AUTH_OIDC_KEY":           p.ClientID,
		"SOCIAL_AUTH_OIDC_SECRET":        p.ClientSecret,
	}).For("oidc")}, oidc.Provider{})
	if err != nil {
		panic(err)
	}
	res, err := b.Begin(context.Background(), &backend.BeginRequest{
		RedirectURI: "https://app.example.com/complete/oidc/", State: "random-state"})
	if err != nil {
		panic(err)
	}
	u, _ := url.Parse(res.RedirectURL)
	q := u.Query()
	fmt.Println(u.Path, q.Get("scope"), q.Get("nonce") == res.Stash["nonce"], q.Get("code_challenge_method"))
	// Output: /authorize openid profile email true S256
}

// A missing setting is named in full.
func ExampleNew_missingEndpoint() {
	_, err := oidc.New(backend.Config{Name: "oidc", Settings: settings.New(settings.Map{
		"SOCIAL_AUTH_OIDC_KEY": "id", "SOCIAL_AUTH_OIDC_SECRET": "secret",
	}).For("oidc")}, oidc.Provider{})
	fmt.Println(err)
	// Output: oidc: backend oidc: SOCIAL_AUTH_OIDC_OIDC_ENDPOINT is not set
}
