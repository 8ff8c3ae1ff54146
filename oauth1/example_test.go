package oauth1_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth1"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/settings"
)

// A backend for an OAuth 1.0a provider described as data. The key and
// secret come from settings (SOCIAL_AUTH_TRIPIT_KEY, …_SECRET); every
// endpoint could be overridden there too.
func ExampleNew() {
	set := settings.New(settings.Map{
		"SOCIAL_AUTH_TRIPIT_KEY":    "consumer-key",
		"SOCIAL_AUTH_TRIPIT_SECRET": "consumer-secret",
	})
	b, err := oauth1.New(backend.Config{
		Name:       "tripit",
		Settings:   set.For("tripit"),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Logger:     slog.New(slog.DiscardHandler),
		Now:        time.Now,
	}, oauth1.Provider{
		RequestTokenURL:  "https://api.tripit.com/oauth/request_token",
		AuthorizationURL: "https://www.tripit.com/oauth/authorize",
		AccessTokenURL:   "https://api.tripit.com/oauth/access_token",
		UserDataURL:      "https://api.tripit.com/v1/get/profile?format=json",
		IDKey:            "Profile.ref",
		Details:          oauth2.DetailsMapping{Username: "Profile.screen_name", Email: "Profile.ProfileEmailAddresses.ProfileEmailAddress.address"},
		ExtraData:        []oauth2.ExtraField{{Name: "Profile.screen_name", Alias: "screen_name"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, canLogInFromSDKTokens := b.(backend.TokenAuthenticator)
	fmt.Println(b.Name(), canLogInFromSDKTokens)
	// Output: tripit true
}
