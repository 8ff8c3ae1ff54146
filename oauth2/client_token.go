package oauth2

import (
	"context"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialerr"
)

// maxClientTokenLength bounds the access tokens a client may present.
const maxClientTokenLength = 4096

// AuthenticateToken implements [backend.TokenAuthenticator]: a login from
// an access token a mobile or JavaScript SDK obtained (python-social-auth's
// do_auth). The token is first checked with the provider's
// ValidateClientToken hook (that it is valid and issued to this
// application), then the user data is fetched with it as after a normal
// login.
func (b *oauth2Backend) AuthenticateToken(ctx context.Context, creds url.Values) (*backend.Identity, error) {
	access := strings.TrimSpace(creds.Get("access_token"))
	if access == "" {
		return nil, socialerr.Missing(b.name, "access_token")
	}
	if len(access) > maxClientTokenLength || strings.ContainsAny(access, " \t\r\n") {
		return nil, socialerr.New(socialerr.AuthTokenError, b.name, "malformed access token")
	}
	tok := &backend.Token{AccessToken: access, TokenType: "Bearer", Raw: map[string]any{"access_token": access}}
	ends, err := b.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	c := b.callerFor(ends)
	switch {
	case b.hooks.ValidateClientToken != nil:
		if err := b.hooks.ValidateClientToken(ctx, c, tok, Client{ID: b.clientID, Secret: b.clientSecret}); err != nil {
			return nil, err
		}
	case !b.unsafeClientTokens:
		return nil, socialerr.New(socialerr.AuthForbidden, b.name,
			"this service cannot check that a client token was issued to this application")
	}
	return b.identity(ctx, c, tok)
}
