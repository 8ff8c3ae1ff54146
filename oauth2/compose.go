package oauth2

import (
	"cmp"
	"errors"
	"net/http"

	"github.com/socialauth/socialauth/backend"
)

// This file exports what protocols built on OAuth 2.0's code flow (OpenID
// Connect) need beyond the hooks: a Caller of their own and the identity
// built with a backend's mapping.

// NewCaller returns a Caller for the backend being built from cfg: its
// HTTP client (a client with a 30-second timeout when cfg has none), its
// User-Agent and the bearer header for tokens. It has no API base or user
// data URL.
func NewCaller(cfg backend.Config) *Caller {
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	return &Caller{
		backend:   cmp.Or(cfg.Name, cfg.Settings.Name()),
		client:    client,
		userAgent: cmp.Or(cfg.UserAgent, "socialauth"),
		placement: TokenInHeader,
	}
}

// ErrNotOAuth2 is returned by [IdentityFor] for a backend [New] did not
// build.
var ErrNotOAuth2 = errors.New("oauth2: not a backend built by oauth2.New")

// IdentityFor builds the identity of a token and user data fetched
// elsewhere (a login from a client SDK's token) exactly as b's Complete
// does: b's details mapping and MapDetails hook, ID_KEY or the UID hook,
// and EXTRA_DATA. b must have been built by [New].
func IdentityFor(b backend.Backend, tok *backend.Token, userData map[string]any) (*backend.Identity, error) {
	ob, ok := b.(*oauth2Backend)
	if !ok {
		return nil, ErrNotOAuth2
	}
	if tok == nil {
		tok = &backend.Token{}
	}
	return ob.identityFrom(tok, userData)
}
