package oauth1

import (
	"context"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
)

// Hooks is provider code run at fixed points of a login. Every hook is
// optional.
type Hooks struct {
	// UserData fetches the user data instead of the default signed GET of
	// the user data URL. It may make further signed calls with c.
	// [Caller.UserData] is the default call, for hooks that extend it.
	UserData func(ctx context.Context, c *Caller, tok *backend.Token) (map[string]any, error)
	// MapDetails adjusts the details after the mapping was applied and
	// before full and split names are filled in from each other.
	MapDetails func(resp map[string]any, d *backend.Details)
	// UID computes the account's uid instead of reading the ID_KEY path.
	UID func(resp map[string]any, d backend.Details) (string, error)
}

// Provider describes an OAuth 1.0a provider as data. The zero value of
// every field is a sensible, secure default; settings may override most
// of them when the backend is built (see [New]).
type Provider struct {
	// RequestTokenURL issues temporary credentials (RFC 5849 section 2.1).
	RequestTokenURL string
	// AuthorizationURL is where the browser is sent with the request
	// token (section 2.2).
	AuthorizationURL string
	// AccessTokenURL exchanges the request token and verifier for token
	// credentials (section 2.3).
	AccessTokenURL string
	// UserDataURL returns the user's profile as a JSON object, called
	// with a signed GET. It is required unless Hooks.UserData is set. Its
	// query is signed and sent as is (include_email=true, say).
	UserDataURL string
	// APIURL is the base that relative endpoint URLs are resolved
	// against.
	APIURL string

	// SignatureMethod signs every call; HMACSHA1 when empty.
	SignatureMethod SignatureMethod
	// RSAPrivateKey is the PEM private key for RSASHA1, unless the
	// RSA_PRIVATE_KEY setting gives one.
	RSAPrivateKey string

	// IDKey is the dotted path of the uid in the user data; "id" when
	// empty.
	IDKey string
	// Details maps the user data to the normalised details; empty fields
	// use the default keys (username, email, name, first_name,
	// last_name).
	Details oauth2.DetailsMapping
	// ExtraData is the default EXTRA_DATA; the setting replaces it.
	ExtraData []oauth2.ExtraField

	// Hooks is provider code.
	Hooks Hooks
}
