// Package localidp is a small, real OAuth 2.0 authorization server served as
// an [http.Handler]: the identity provider built into `socialauth demo` (so a
// whole login works with no keys and no internet) and the engine of the fake
// provider in package socialtest.
//
// It implements the authorization code grant of RFC 6749 with PKCE (RFC 7636,
// S256 only), the refresh token grant, a user-info endpoint for bearer tokens
// (RFC 6750), token revocation (RFC 7009) and, when an issuer is configured,
// authorization server metadata (RFC 8414). Mount it under any prefix:
//
//	idp, err := localidp.New(localidp.Config{
//		Issuer:  "http://localhost:8000/idp",
//		Clients: map[string]localidp.Client{
//			"demo": {Secret: "demo-secret", RedirectURIs: []string{"http://localhost:8000/complete/local/"}},
//		},
//	})
//	if err != nil { ... }
//	mux.Handle("/idp/", http.StripPrefix("/idp", idp))
//
// Endpoints, relative to the mount point:
//
//	GET  /authorize   validate the request and show the login form
//	POST /authorize   the login form's submission: redirect back with a code or access_denied
//	POST /token       grant_type=authorization_code or refresh_token
//	GET  /userinfo    the profile of the bearer token's user (POST accepted too)
//	POST /revoke      RFC 7009 token revocation
//	GET  /.well-known/oauth-authorization-server   RFC 8414 metadata (with Config.Issuer)
//
// The login form trusts what is typed: it is a development provider, not a
// user database. It vouches for the email only when the person ticks the
// "verified" box, so that socialauth's association-by-email rules can be
// tried both ways.
//
// The security rules are nevertheless the real ones: redirect URIs match
// registered ones exactly and an unregistered one is never redirected to;
// the pending request travels in the form under an HMAC with a per-server
// random key; codes are random, single use, short-lived and bound to the
// client, the redirect URI and the PKCE challenge; a replayed code is refused
// and the tokens issued from it are revoked (RFC 6749 §10.5), as are those of
// a replayed (rotated) refresh token; client secrets are compared in constant
// time; request bodies are capped. All state lives in memory behind a mutex,
// bounded by [Config.MaxGrants], and expired entries are swept lazily: the
// server starts no goroutine.
package localidp

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults used when the corresponding [Config] field is zero.
const (
	DefaultCodeTTL      = 60 * time.Second
	DefaultTokenTTL     = time.Hour
	DefaultRefreshTTL   = 30 * 24 * time.Hour
	DefaultFormTTL      = 15 * time.Minute
	DefaultMaxGrants    = 10000
	DefaultMaxBodyBytes = 32 << 10
)

// AuthMethod is how a client authenticates at the token and revocation
// endpoints.
type AuthMethod string

// The client authentication methods of RFC 6749 §2.3.1 (names from RFC 8414).
const (
	// AuthMethodAny accepts client_secret_basic or client_secret_post.
	AuthMethodAny AuthMethod = ""
	// ClientSecretBasic is HTTP Basic authentication.
	ClientSecretBasic AuthMethod = "client_secret_basic"
	// ClientSecretPost is client_id and client_secret in the form body.
	ClientSecretPost AuthMethod = "client_secret_post"
)

// Client is a registered OAuth 2.0 client (a confidential one: it has a
// secret).
type Client struct {
	// Name is shown on the login page; the client id when empty.
	Name string
	// Secret is the client secret. Required.
	Secret string
	// RedirectURIs are the absolute URIs codes may be sent to. A redirect
	// URI of a request must equal one of them exactly.
	RedirectURIs []string
	// AuthMethod restricts how the client authenticates; any by default.
	AuthMethod AuthMethod
	// PublicKey checks the client assertions of a client whose
	// AuthMethod is PrivateKeyJWT (such a client needs no Secret).
	PublicKey crypto.PublicKey
}

// User is the person a code and its tokens are issued for.
type User struct {
	// ID is the stable identifier returned as "id" and "sub".
	ID            string
	Username      string
	Name          string
	GivenName     string
	FamilyName    string
	Email         string
	EmailVerified bool
	// Claims, when non-nil, is returned by /userinfo as it is instead of
	// the fields above (test providers use it to imitate another
	// provider's JSON).
	Claims map[string]any
}

// AuthorizationRequest is a validated request to /authorize.
type AuthorizationRequest struct {
	ClientID string
	// RedirectURI is the registered URI the reply goes to.
	RedirectURI string
	// RedirectURIGiven tells whether the request named it (when not, the
	// client's only registered URI is used and /token must not name one).
	RedirectURIGiven    bool
	State               string
	Scope               string
	CodeChallenge       string
	CodeChallengeMethod string
	// LoginHint pre-fills the username field.
	LoginHint string
	// Nonce is OpenID Connect's nonce, echoed in the ID token.
	Nonce string
}

// Outcome is what an [Approver] decides.
type Outcome int

// The outcomes of a [Decision].
const (
	// ShowLoginForm renders the login form, as without an Approver.
	ShowLoginForm Outcome = iota
	// Approve redirects back at once with a code for Decision.User.
	Approve
	// Deny redirects back at once with an error.
	Deny
)

// Decision is an [Approver]'s answer.
type Decision struct {
	Outcome Outcome
	// User is who the code is issued for, with Approve.
	User User
	// Error and ErrorDescription are sent back with Deny; Error defaults
	// to "access_denied".
	Error            string
	ErrorDescription string
}

// Approver decides a valid authorization request without the login form.
// It runs on GET (not HEAD) /authorize once the client, redirect URI and
// parameters have been checked.
type Approver func(r *http.Request, req AuthorizationRequest) Decision

// Config configures a [Server].
type Config struct {
	// Issuer is the absolute URL the server is mounted at, without a
	// trailing slash. When set, redirects carry RFC 9207's "iss" and the
	// RFC 8414 metadata document is served.
	Issuer string
	// Clients are the registered clients by client id. More can be added
	// with [Server.RegisterClient].
	Clients map[string]Client
	// Scopes, when non-nil, are the only scope values accepted.
	Scopes []string
	// RequirePKCE refuses authorization requests without a code challenge.
	RequirePKCE bool
	// Approve, when set, may decide requests without the login form.
	Approve Approver
	// Title names the provider on its pages ("Local identity provider").
	Title string

	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// CodeTTL is how long a code is valid (DefaultCodeTTL).
	CodeTTL time.Duration
	// TokenTTL is how long an access token is valid (DefaultTokenTTL).
	TokenTTL time.Duration
	// RefreshTTL is how long the refresh tokens of one grant are valid,
	// counted from the code's redemption (DefaultRefreshTTL).
	RefreshTTL time.Duration
	// FormTTL is how long a login form may be submitted (DefaultFormTTL).
	FormTTL time.Duration
	// MaxGrants caps the codes and tokens kept in memory (DefaultMaxGrants).
	MaxGrants int
	// MaxBodyBytes caps request bodies (DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Logger receives diagnostics (discarded when nil). Secrets, codes and
	// tokens are never logged.
	Logger *slog.Logger
	// OIDC, when set, makes the server an OpenID Provider too (it needs
	// Issuer); see [OIDCConfig].
	OIDC *OIDCConfig
}

// Server is the authorization server. Create it with [New]; it is safe for
// concurrent use.
type Server struct {
	cfg   Config
	key   []byte // HMAC key of the login form's pending request
	pages *template.Template

	mu        sync.Mutex
	clients   map[string]Client
	grants    map[string]*grant // by sha256 of the code or token
	lastSweep time.Time
	oidc      *oidcState // nil unless Config.OIDC
}

// ErrInvalidClient reports a client registration that cannot be used.
var ErrInvalidClient = errors.New("localidp: invalid client registration")

// New validates cfg and returns a server.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = DefaultCodeTTL
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.FormTTL <= 0 {
		cfg.FormTTL = DefaultFormTTL
	}
	if cfg.MaxGrants <= 0 {
		cfg.MaxGrants = DefaultMaxGrants
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Title == "" {
		cfg.Title = "Local identity provider"
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if cfg.Issuer != "" {
		u, err := url.Parse(cfg.Issuer)
		if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("localidp: issuer %q must be an absolute URL without query or fragment", cfg.Issuer)
		}
	}
	s := &Server{
		cfg:     cfg,
		key:     make([]byte, 32),
		clients: make(map[string]Client, len(cfg.Clients)),
		grants:  make(map[string]*grant),
	}
	rand.Read(s.key)
	var errs []error
	for id, c := range cfg.Clients {
		if err := validateClient(id, c); err != nil {
			errs = append(errs, err)
			continue
		}
		s.clients[id] = cloneClient(c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.cfg.Clients = nil // the live registry is s.clients
	s.cfg.Scopes = append([]string(nil), cfg.Scopes...)
	if cfg.Scopes == nil {
		s.cfg.Scopes = nil
	}
	if cfg.OIDC != nil {
		if cfg.Issuer == "" {
			return nil, errors.New("localidp: Config.OIDC needs Config.Issuer")
		}
		oidc, err := newOIDCState(*cfg.OIDC)
		if err != nil {
			return nil, err
		}
		s.oidc = oidc
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

func validateClient(id string, c Client) error {
	if id == "" {
		return fmt.Errorf("%w: empty client id", ErrInvalidClient)
	}
	if c.Secret == "" && (c.AuthMethod != PrivateKeyJWT || c.PublicKey == nil) {
		return fmt.Errorf("%w: client %q has no secret", ErrInvalidClient, id)
	}
	switch c.AuthMethod {
	case AuthMethodAny, ClientSecretBasic, ClientSecretPost:
	case PrivateKeyJWT:
		if c.PublicKey == nil {
			return fmt.Errorf("%w: client %q authenticates with private_key_jwt but has no public key", ErrInvalidClient, id)
		}
	default:
		return fmt.Errorf("%w: client %q: unknown auth method %q", ErrInvalidClient, id, c.AuthMethod)
	}
	if len(c.RedirectURIs) == 0 {
		return fmt.Errorf("%w: client %q has no redirect URI", ErrInvalidClient, id)
	}
	for _, raw := range c.RedirectURIs {
		u, err := url.Parse(raw)
		if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || strings.Contains(raw, "#") {
			return fmt.Errorf("%w: client %q: redirect URI %q must be absolute, without fragment", ErrInvalidClient, id, raw)
		}
	}
	return nil
}

func cloneClient(c Client) Client {
	c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
	return c
}

// RegisterClient adds a client or replaces the registration of id.
// Codes and tokens already issued to the client stay valid.
func (s *Server) RegisterClient(id string, c Client) error {
	if err := validateClient(id, c); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = cloneClient(c)
	return nil
}

// Client returns a copy of the registration of id.
func (s *Server) Client(id string) (Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return Client{}, false
	}
	return cloneClient(c), true
}

// ServeHTTP routes to the endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/authorize":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.authorize(w, r)
		case http.MethodPost:
			s.authorizeSubmit(w, r)
		default:
			methodNotAllowed(w, "GET, HEAD, POST")
		}
	case "/token":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		s.token(w, r)
	case "/userinfo":
		if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD, POST")
			return
		}
		s.userinfo(w, r)
	case "/revoke":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		s.revoke(w, r)
	case "/.well-known/oauth-authorization-server":
		if s.cfg.Issuer == "" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		s.metadata(w)
	default:
		if !s.serveOIDC(w, r) {
			http.NotFound(w, r)
		}
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
}

func (s *Server) metadata(w http.ResponseWriter) {
	iss := s.cfg.Issuer
	doc := map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + "/authorize",
		"token_endpoint":                                 iss + "/token",
		"userinfo_endpoint":                              iss + "/userinfo",
		"revocation_endpoint":                            iss + "/revoke",
		"response_types_supported":                       []string{"code"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{string(ClientSecretBasic), string(ClientSecretPost)},
		"revocation_endpoint_auth_methods_supported":     []string{string(ClientSecretBasic), string(ClientSecretPost)},
		"authorization_response_iss_parameter_supported": true,
	}
	if s.cfg.Scopes != nil {
		doc["scopes_supported"] = s.cfg.Scopes
	}
	writeJSON(w, http.StatusOK, doc)
}
