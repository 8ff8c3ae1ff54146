package oauth2_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/settings"
)

// A provider described as data, built from settings, starting a login.
func ExampleNew() {
	provider := oauth2.Provider{
		AuthorizationURL: "https://id.example.com/oauth/authorize",
		AccessTokenURL:   "https://id.example.com/oauth/token",
		APIURL:           "https://api.example.com/v1/",
		UserDataURL:      "me", // resolved against APIURL
		DefaultScope:     []string{"profile"},
		IDKey:            "account.id",
		Details:          oauth2.DetailsMapping{Username: "account.login", EmailVerified: "email_verified"},
		ExtraData:        []oauth2.ExtraField{{Name: "account.login", Alias: "login"}},
	}
	conf := settings.New(settings.Map{
		"SOCIAL_AUTH_EXAMPLE_KEY":                  "my-client-id",
		"SOCIAL_AUTH_EXAMPLE_SECRET":               "my-client-secret",
		"SOCIAL_AUTH_EXAMPLE_SCOPE":                []string{"email"},
		"SOCIAL_AUTH_EXAMPLE_AUTH_EXTRA_ARGUMENTS": map[string]string{"prompt": "consent"},
	})
	b, err := oauth2.New(backend.Config{
		Name:       "example",
		Settings:   conf.For("example"),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		UserAgent:  "my-app/1.0",
	}, provider)
	if err != nil {
		log.Fatal(err)
	}
	res, err := b.Begin(context.Background(), &backend.BeginRequest{
		RedirectURI: "https://app.example.com/complete/example/",
		State:       "random-state",
	})
	if err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(res.RedirectURL)
	q := u.Query()
	fmt.Println(u.Host + u.Path)
	for _, k := range []string{"client_id", "scope", "state", "prompt", "code_challenge_method"} {
		fmt.Printf("%s=%s\n", k, q.Get(k))
	}
	fmt.Println("verifier stashed:", res.Stash["verifier"] != "")
	// Output:
	// id.example.com/oauth/authorize
	// client_id=my-client-id
	// scope=profile email
	// state=random-state
	// prompt=consent
	// code_challenge_method=S256
	// verifier stashed: true
}

// Missing settings are all reported at once, by their full names.
func ExampleNew_missingSettings() {
	_, err := oauth2.New(backend.Config{Name: "example", Settings: settings.New(settings.Map{}).For("example")},
		oauth2.Provider{AuthorizationURL: "https://id.example.com/a", AccessTokenURL: "https://id.example.com/t",
			UserDataURL: "https://id.example.com/me"})
	fmt.Println(err)
	// Output:
	// oauth2: backend example: SOCIAL_AUTH_EXAMPLE_KEY is not set
	// SOCIAL_AUTH_EXAMPLE_SECRET is not set
}
