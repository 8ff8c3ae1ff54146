package providers_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/providers"
	"github.com/socialauth/socialauth/settings"
)

// Build the GitHub backend from settings and start a login.
func ExampleLookup() {
	spec, ok := providers.Lookup("github")
	if !ok {
		log.Fatal("no github backend")
	}
	conf := settings.New(settings.Map{
		"SOCIAL_AUTH_GITHUB_KEY":    "my-client-id",
		"SOCIAL_AUTH_GITHUB_SECRET": "my-client-secret",
		"SOCIAL_AUTH_GITHUB_SCOPE":  []string{"user:email"},
	})
	b, err := spec.Build(backend.Config{
		Name:       spec.Name,
		Settings:   conf.For(spec.Name),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		UserAgent:  "my-app/1.0",
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := b.Begin(context.Background(), &backend.BeginRequest{
		RedirectURI: "https://app.example.com/complete/github/",
		State:       "random-state",
	})
	if err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(res.RedirectURL)
	fmt.Println(spec.Title, spec.Protocol)
	fmt.Println(u.Scheme + "://" + u.Host + u.Path)
	fmt.Println("scope:", u.Query().Get("scope"))
	// Output:
	// GitHub oauth2
	// https://github.com/login/oauth/authorize
	// scope: user:email
}

// A backend reports every setting it misses, by its full name.
func ExampleLookup_missingSettings() {
	spec, _ := providers.Lookup("github-org")
	_, err := spec.Build(backend.Config{Name: spec.Name, Settings: settings.New(settings.Map{
		"SOCIAL_AUTH_GITHUB_ORG_KEY": "my-client-id",
	}).For(spec.Name)})
	fmt.Println(err)
	// Output:
	// providers: backend github-org: SOCIAL_AUTH_GITHUB_ORG_NAME is not set
	// SOCIAL_AUTH_GITHUB_ORG_SECRET is not set
}

// The catalogue lists every backend and the settings it reads.
func ExampleCatalogue() {
	for _, spec := range providers.Catalogue() {
		fmt.Println(spec.Name, spec.Reads)
	}
	// Output:
	// email [FORM_URL FORM_HTML FORM_PASSWORD FORM_TRUSTED_ORIGINS REQUIRES_EMAIL_VALIDATION]
	// facebook [API_VERSION PROFILE_EXTRA_PARAMS]
	// fedora []
	// github []
	// github-enterprise [API_URL]
	// github-enterprise-org [API_URL NAME]
	// github-enterprise-team [API_URL ID]
	// github-org [NAME]
	// github-team [ID]
	// google-oauth2 [USE_UNIQUE_USER_ID TOKENINFO_URL]
	// google-openidconnect [OIDC_ENDPOINT ID_TOKEN_ALGORITHMS ID_TOKEN_MAX_AGE ID_TOKEN_LEEWAY PRIVATE_KEY KEY_ID UNSAFE_ACCESS_TOKEN_LOGIN PROMPT MAX_AGE ACR_VALUES LOGIN_HINT DISPLAY UI_LOCALES ID_TOKEN_HINT]
	// google-plus [USE_UNIQUE_USER_ID TOKENINFO_URL]
	// keycloak [OIDC_ENDPOINT ID_TOKEN_ALGORITHMS ID_TOKEN_MAX_AGE ID_TOKEN_LEEWAY PRIVATE_KEY KEY_ID UNSAFE_ACCESS_TOKEN_LOGIN PROMPT MAX_AGE ACR_VALUES LOGIN_HINT DISPLAY UI_LOCALES ID_TOKEN_HINT]
	// launchpad []
	// livejournal []
	// oauth1 []
	// oauth2 []
	// oidc [OIDC_ENDPOINT ID_TOKEN_ALGORITHMS ID_TOKEN_MAX_AGE ID_TOKEN_LEEWAY PRIVATE_KEY KEY_ID UNSAFE_ACCESS_TOKEN_LOGIN PROMPT MAX_AGE ACR_VALUES LOGIN_HINT DISPLAY UI_LOCALES ID_TOKEN_HINT]
	// okta-openidconnect [API_URL OIDC_ENDPOINT ID_TOKEN_ALGORITHMS ID_TOKEN_MAX_AGE ID_TOKEN_LEEWAY PRIVATE_KEY KEY_ID UNSAFE_ACCESS_TOKEN_LOGIN PROMPT MAX_AGE ACR_VALUES LOGIN_HINT DISPLAY UI_LOCALES ID_TOKEN_HINT]
	// openid []
	// steam [API_KEY API_URL]
	// twitter []
	// username [FORM_URL FORM_HTML FORM_PASSWORD FORM_TRUSTED_ORIGINS REQUIRES_EMAIL_VALIDATION]
	// vk-oauth2 [API_VERSION SERVICE_TOKEN]
	// vk-openapi [ID APP_ID KEY SECRET SERVICE_TOKEN API_VERSION API_URL EXTRA_DATA UNSAFE_ALLOW_HTTP_ENDPOINTS]
}
