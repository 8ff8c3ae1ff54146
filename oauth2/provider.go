package oauth2

import (
	"context"
	"net/http"
	"net/url"

	"github.com/socialauth/socialauth/backend"
)

// TokenAuthMethod is how the client authenticates at the token endpoint
// (RFC 6749 section 2.3.1).
type TokenAuthMethod string

const (
	// ClientSecretBasic sends client_id and client_secret in an HTTP Basic
	// Authorization header. It is the default.
	ClientSecretBasic TokenAuthMethod = "client_secret_basic"
	// ClientSecretPost sends client_id and client_secret as form fields.
	ClientSecretPost TokenAuthMethod = "client_secret_post"
)

// TokenPlacement is where the access token goes on calls to the provider's
// API.
type TokenPlacement string

const (
	// TokenInHeader sends "Authorization: Bearer <token>" (RFC 6750). It is
	// the default.
	TokenInHeader TokenPlacement = "header"
	// TokenInQuery sends the token as the access_token query parameter, for
	// providers that want it there.
	TokenInQuery TokenPlacement = "query"
)

// Unmapped, as a [DetailsMapping] field, means the detail is never taken
// from the user data.
const Unmapped = "-"

// DetailsMapping says where each normalised detail is in the user data, as
// a dotted path into the JSON object ("user.profile.email"). An empty field
// uses the default key: username, email, name, first_name, last_name.
// EmailVerified has no default: an email is marked verified only when a
// mapping (or a hook) says so.
type DetailsMapping struct {
	Username      string
	Email         string
	FullName      string
	FirstName     string
	LastName      string
	EmailVerified string
}

// ExtraField is one EXTRA_DATA entry: the value at Name (a dotted path) in
// the user data, else in the token reply, is stored under Alias (Name when
// empty). With Discard, an empty value is left out and never replaces a
// stored one.
type ExtraField struct {
	Name    string
	Alias   string
	Discard bool
}

// Hooks is provider code run at fixed points of a login. Every hook is
// optional.
type Hooks struct {
	// UserData fetches the user data instead of the default GET of the
	// user data URL. It may make further calls (emails, membership checks)
	// with c and merge their results. [Caller.UserData] is the default
	// call, for hooks that extend it.
	UserData func(ctx context.Context, c *Caller, tok *backend.Token) (map[string]any, error)
	// MapDetails adjusts the details after the mapping was applied and
	// before full and split names are filled in from each other.
	MapDetails func(resp map[string]any, d *backend.Details)
	// UID computes the account's uid instead of reading the ID_KEY path.
	UID func(resp map[string]any, d backend.Details) (string, error)
	// Revoke revokes the token of an association instead of the RFC 7009
	// call to the revocation URL.
	Revoke func(ctx context.Context, c *Caller, extraData map[string]any) error
	// ValidateClientToken checks, for a login from a client SDK's access
	// token (backend.TokenAuthenticator), that the token is valid and was
	// issued to this application (client): without that check a token
	// obtained by any other application could be replayed here. Without
	// the hook such logins are refused unless the setting
	// UNSAFE_CLIENT_TOKEN_WITHOUT_AUDIENCE_CHECK is true.
	ValidateClientToken func(ctx context.Context, c *Caller, tok *backend.Token, client Client) error

	// The hooks below let a protocol built on OAuth 2.0 (OpenID Connect)
	// reuse the code flow.

	// Endpoints resolves the endpoints at each call, for providers whose
	// endpoints are discovered at run time. Its non-empty fields replace
	// the configured ones. With it, no endpoint is required when the
	// backend is built. The hook must check the URLs it returns (see
	// [CheckEndpoint]).
	Endpoints func(ctx context.Context) (Endpoints, error)
	// AuthorizationParams adds parameters to the authorization URL and
	// values to the stash when a login begins (an OpenID Connect nonce).
	// The parameters that carry the login's security (state,
	// redirect_uri, PKCE, client_id, response_type) are set after it
	// runs, so it cannot replace them.
	AuthorizationParams func(ctx context.Context, req *backend.BeginRequest, params url.Values, stash backend.Stash) error
	// CheckCallback checks the provider's reply after the state was
	// verified and before the code is exchanged (RFC 9207's iss).
	CheckCallback func(ctx context.Context, req *backend.CompleteRequest) error
	// LoginData fetches the user data of a login instead of UserData,
	// given the callback request with the stash Begin kept: it can check
	// what the token reply carries against it (an ID token's nonce).
	LoginData func(ctx context.Context, c *Caller, tok *backend.Token, req *backend.CompleteRequest) (map[string]any, error)
	// AuthenticateClient adds the client's credentials to a request to
	// the token or revocation endpoint (form fields or headers) instead of
	// TokenAuth; endpoint is the URL being called. With it, the
	// TOKEN_AUTH_METHOD setting is left to the hook.
	AuthenticateClient func(ctx context.Context, endpoint string, form url.Values, header http.Header) error
}

// Client is the application's registration at the provider.
type Client struct {
	ID     string // KEY
	Secret string // SECRET
}

// Endpoints are a backend's endpoint URLs for one call; see
// Hooks.Endpoints. An empty field keeps the configured endpoint.
type Endpoints struct {
	Authorization string
	Token         string
	Refresh       string
	Revoke        string
	UserData      string
}

// Provider describes an OAuth 2.0 provider. The zero value of every field
// is a sensible, secure default; settings may override most of them when
// the backend is built (see [New]).
type Provider struct {
	// AuthorizationURL is where the browser is sent to log in.
	AuthorizationURL string
	// AccessTokenURL exchanges the code for a token.
	AccessTokenURL string
	// RefreshTokenURL refreshes a token; AccessTokenURL when empty.
	RefreshTokenURL string
	// RevokeTokenURL revokes a token (RFC 7009); none when empty.
	RevokeTokenURL string
	// UserDataURL returns the user's profile as a JSON object. It is
	// required unless Hooks.UserData is set.
	UserDataURL string
	// APIURL is the base that relative endpoint URLs are resolved
	// against.
	APIURL string

	// DefaultScope is always asked for, unless IGNORE_DEFAULT_SCOPE.
	DefaultScope []string
	// ScopeSeparator joins scopes; " " when empty.
	ScopeSeparator string
	// ScopeParameterName is the scope's query parameter; "scope" when empty.
	ScopeParameterName string
	// ResponseType is sent as response_type; "code" when empty.
	ResponseType string

	// DisableStateParameter is for providers that do not return the state
	// parameter (python-social-auth's STATE_PARAMETER = False).
	DisableStateParameter bool
	// RedirectState sends the state inside redirect_uri as redirect_state
	// when the state parameter is disabled.
	RedirectState bool
	// DisablePKCE is for providers that reject PKCE parameters.
	DisablePKCE bool
	// SecretOptional makes the SECRET setting optional, for clients that
	// authenticate otherwise (a private key, with
	// Hooks.AuthenticateClient).
	SecretOptional bool

	// TokenAuth is the client authentication at the token endpoint;
	// ClientSecretBasic when empty.
	TokenAuth TokenAuthMethod
	// TokenMethod is the token request's HTTP method; POST when empty.
	// With GET the form goes in the query.
	TokenMethod string
	// UserDataAuth is where the token goes on API calls; TokenInHeader
	// when empty.
	UserDataAuth TokenPlacement

	// IDKey is the dotted path of the uid in the user data; "id" when
	// empty.
	IDKey string
	// Details maps the user data to the normalised details.
	Details DetailsMapping
	// ExtraData is the default EXTRA_DATA; the setting replaces it.
	ExtraData []ExtraField

	// Hooks is provider code.
	Hooks Hooks
}
