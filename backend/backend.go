// Package backend defines what a socialauth backend is: one way to log in,
// named, built from settings, and able to begin and complete a login.
//
// A backend is created by a [Spec]'s Build function from a [Config] (its
// settings view, the HTTP client, the logger). The engine then calls
// [Backend.Begin] on /login/{backend}/ and [Backend.Complete] on
// /complete/{backend}/. What Begin asks the engine to remember (state, PKCE
// verifier, request token…) travels in a [Stash] that the engine keeps in the
// browser's session, bound to this backend and used once; Complete gets it
// back and must check the reply against it.
//
// Protocols (OAuth 2.0, OAuth 1.0a, OpenID Connect, OpenID 2.0, forms…)
// implement Backend once; the provider catalogue is made of Spec values that
// hand provider data to a protocol.
package backend

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store"
)

// Backend is one way to log in.
type Backend interface {
	// Name is the backend's unique name, used in URLs and setting names.
	Name() string
	// Begin starts a login. It returns where to send the browser (or a
	// response to serve) and what to remember until Complete.
	Begin(ctx context.Context, req *BeginRequest) (*BeginResult, error)
	// Complete finishes a login from the provider's reply. It must verify
	// the reply against req.Stash and fail with a socialerr kind, storing
	// nothing, when anything is wrong.
	Complete(ctx context.Context, req *CompleteRequest) (*Identity, error)
}

// Refresher is a Backend that can refresh an access token.
type Refresher interface {
	Refresh(ctx context.Context, refreshToken string) (*Token, error)
}

// Revoker is a Backend that can revoke a token at the provider.
type Revoker interface {
	// Revoke revokes a token; extraData is the association's ExtraData.
	Revoke(ctx context.Context, extraData map[string]any) error
}

// Stash is what a backend remembers between Begin and Complete. The engine
// keeps it in the browser's session, sealed, for one use.
type Stash map[string]string

// BeginRequest is what Begin gets.
type BeginRequest struct {
	// RedirectURI is the absolute /complete/{backend}/ URL.
	RedirectURI string
	// State is a fresh random value the backend may send as OAuth state.
	State string
	// Params is the request's data (query and form).
	Params url.Values
	// Request is the incoming request, for backends that render forms.
	Request *http.Request
}

// BeginResult is what Begin returns: either a redirect or a response.
type BeginResult struct {
	RedirectURL string       // where to send the browser
	Handler     http.Handler // or a response to serve instead (forms, auto-posting pages)
	Stash       Stash        // what to remember; nil for nothing
}

// CompleteRequest is what Complete gets.
type CompleteRequest struct {
	RedirectURI string
	// Params is the provider's reply: query parameters, and form fields for
	// POST callbacks.
	Params url.Values
	// Stash is what Begin remembered, or nil when the session had none (a
	// forged, replayed or expired callback).
	Stash Stash
	// Request is the incoming request.
	Request *http.Request
}

// Identity is who the provider says the person is.
type Identity struct {
	// UID is the provider's stable identifier of the account (ID_KEY).
	UID string
	// Details is the normalised profile.
	Details Details
	// Response is the provider's user data, merged from every call.
	Response map[string]any
	// Token is the access token, when the protocol has one.
	Token *Token
	// ExtraData is what load_extra_data stores on the association.
	ExtraData map[string]any
	// KeepOldIfEmpty names ExtraData keys whose empty value must not
	// overwrite a value already stored (the EXTRA_DATA discard flag).
	KeepOldIfEmpty map[string]bool
}

// Details is the profile every pipeline step understands.
type Details struct {
	Username  string `json:"username,omitempty"`
	Email     string `json:"email,omitempty"`
	FullName  string `json:"fullname,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	// EmailVerified is true only when the provider vouches that the person
	// controls Email. associate_by_email relies on it.
	EmailVerified bool `json:"email_verified,omitempty"`
	// Extra holds further normalised details a backend or step adds.
	Extra map[string]any `json:"extra,omitempty"`
}

// Token is an access token and what came with it.
type Token struct {
	AccessToken  string         `json:"access_token"`
	TokenType    string         `json:"token_type,omitempty"`
	RefreshToken string         `json:"refresh_token,omitempty"`
	Expiry       time.Time      `json:"expiry,omitzero"`
	Secret       string         `json:"secret,omitempty"` // OAuth 1.0a token secret
	Raw          map[string]any `json:"raw,omitempty"`    // the whole token reply
}

// Config is what a backend is built from.
type Config struct {
	// Name is the backend name being built (a Spec may build several).
	Name string
	// Settings is the settings view for this backend.
	Settings settings.Backend
	// HTTPClient is the client for every call to the provider; it has a
	// timeout (URLOPEN_TIMEOUT).
	HTTPClient *http.Client
	// UserAgent is sent on every call to the provider.
	UserAgent string
	// Logger receives diagnostics; never nil.
	Logger *slog.Logger
	// Now is the clock; never nil.
	Now func() time.Time
	// Nonces records used nonces (OpenID 2.0 replay protection); never nil
	// when built by the engine.
	Nonces store.NonceStore
	// OpenIDAssociations keeps OpenID 2.0 shared secrets; never nil when
	// built by the engine.
	OpenIDAssociations store.OpenIDAssociationStore
}

// TokenAuthenticator is a Backend that can log a person in from
// credentials a client SDK already obtained from the provider (a mobile or
// JavaScript SDK's access token, an OAuth 1.0a token and secret, an ID
// token): python-social-auth's do_auth. It must verify that the
// credentials are valid at the provider and, where the provider allows it,
// that they were issued to this application, and fail with a socialerr
// kind otherwise.
type TokenAuthenticator interface {
	// AuthenticateToken returns who the credentials belong to. creds holds
	// "access_token" (and "oauth_token"/"oauth_token_secret" for OAuth
	// 1.0a, "id_token" for OpenID Connect).
	AuthenticateToken(ctx context.Context, creds url.Values) (*Identity, error)
}

// Spec declares a backend of the catalogue.
type Spec struct {
	// Name is the backend name ("github").
	Name string
	// Protocol names the protocol ("oauth2", "oauth1", "oidc", "openid",
	// "saml", "form", "local").
	Protocol string
	// Title is a human name ("GitHub").
	Title string
	// Aliases are other names that select this backend in
	// AUTHENTICATION_BACKENDS, such as python-social-auth's class path
	// ("social_core.backends.github.GithubOAuth2"), for projects porting
	// their settings. URLs and setting names always use Name.
	Aliases []string
	// NeedsKey reports whether KEY and SECRET are required.
	NeedsKey bool
	// Reads lists the per-backend setting names the backend reads, beyond
	// the common ones, for documentation and `socialauth providers`.
	Reads []string
	// Build creates the backend. It returns an error naming every setting
	// that is missing or malformed.
	Build func(cfg Config) (Backend, error)
}
