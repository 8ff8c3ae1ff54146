package oidc

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// The settings the protocol reads, beyond oauth2's common ones.
const (
	SettingEndpoint          = "OIDC_ENDPOINT"
	SettingIDTokenAlgorithms = "ID_TOKEN_ALGORITHMS"
	SettingIDTokenMaxAge     = "ID_TOKEN_MAX_AGE"
	SettingIDTokenLeeway     = "ID_TOKEN_LEEWAY"
	SettingTokenAuthMethod   = "TOKEN_AUTH_METHOD"
	SettingPrivateKey        = "PRIVATE_KEY"
	SettingKeyID             = "KEY_ID"
	SettingPrompt            = "PROMPT"
	SettingMaxAge            = "MAX_AGE"
	SettingACRValues         = "ACR_VALUES"
	SettingLoginHint         = "LOGIN_HINT"
	SettingDisplay           = "DISPLAY"
	SettingUILocales         = "UI_LOCALES"
	SettingIDTokenHint       = "ID_TOKEN_HINT"
	SettingUnsafeAccessToken = "UNSAFE_ACCESS_TOKEN_LOGIN"
	settingUnsafeAllowHTTP   = "UNSAFE_ALLOW_HTTP_ENDPOINTS"
	settingSecret            = "SECRET"
	defaultIDTokenMaxAge     = 10 * time.Minute
	defaultIDTokenLeeway     = time.Minute
	clientAssertionType      = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	clientAssertionLifetime  = time.Minute
	privateKeyJWT            = "private_key_jwt"
	stashNonce               = "nonce"
)

// requestSettings maps the settings added to the authorization URL to
// their parameter.
func requestSettings() [][2]string {
	return [][2]string{
		{SettingPrompt, "prompt"}, {SettingMaxAge, "max_age"}, {SettingACRValues, "acr_values"},
		{SettingLoginHint, "login_hint"}, {SettingDisplay, "display"}, {SettingUILocales, "ui_locales"},
		{SettingIDTokenHint, "id_token_hint"},
	}
}

// Settings returns the setting names (without prefix) the protocol reads
// beyond [oauth2.CommonSettings], in a fresh slice.
func Settings() []string {
	out := []string{SettingEndpoint, SettingIDTokenAlgorithms, SettingIDTokenMaxAge, SettingIDTokenLeeway,
		SettingPrivateKey, SettingKeyID, SettingUnsafeAccessToken}
	for _, rs := range requestSettings() {
		out = append(out, rs[0])
	}
	return out
}

// Provider describes an OpenID Provider. Everything else is discovered.
type Provider struct {
	// Endpoint is the issuer URL, whose
	// /.well-known/openid-configuration is the discovery document. The
	// OIDC_ENDPOINT setting replaces it; one of them is required.
	Endpoint string
	// DefaultScope is asked for unless IGNORE_DEFAULT_SCOPE; "openid",
	// "profile" and "email" when nil. "openid" is always sent.
	DefaultScope []string
	// MapDetails adjusts the details taken from the claims.
	MapDetails func(claims map[string]any, d *backend.Details)
}

// Backend is an OpenID Connect backend: a [backend.Backend] that also
// refreshes and revokes tokens and logs people in from an ID token a
// client SDK obtained.
type Backend interface {
	backend.Backend
	backend.Refresher
	backend.Revoker
	backend.TokenAuthenticator
	// Metadata returns the provider's discovery document (cached).
	Metadata(ctx context.Context) (*Metadata, error)
}

// oidcBackend is the Backend New returns.
type oidcBackend struct {
	name     string
	clientID string
	secret   string
	inner    backend.Backend // the OAuth 2.0 code flow

	disc     *discoveryCache
	verifier *verifier
	caller   *oauth2.Caller
	logger   *slog.Logger
	now      func() time.Time

	authParams  url.Values
	maxAge      time.Duration
	hasMaxAge   bool
	authMethod  string // TOKEN_AUTH_METHOD, or "" to choose from the metadata
	signer      *assertionSigner
	allowAccess bool
}

var _ Backend = (*oidcBackend)(nil)

// New builds an OpenID Connect backend named cfg.Name for provider p,
// reading its settings; every missing or malformed setting is reported at
// once. Nothing is fetched until the first login.
func New(cfg backend.Config, p Provider) (Backend, error) {
	name := cmp.Or(cfg.Name, cfg.Settings.Name())
	if name == "" {
		return nil, errors.New("oidc: backend name is empty")
	}
	cfg.Name = name
	set := cfg.Settings.Settings()
	b := &oidcBackend{name: name, logger: cfg.Logger, now: cfg.Now, caller: oauth2.NewCaller(cfg)}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	full := func(setting string) string { return oauth2.SettingName(name, setting) }

	// The endpoint is read under the backend's own name only: a global
	// OIDC_ENDPOINT would send every backend's logins to one provider.
	endpoint := p.Endpoint
	if _, foundAs, ok := set.Lookup(name, SettingEndpoint); ok && foundAs == full(SettingEndpoint) {
		v, err := set.StringE(name, SettingEndpoint, "")
		add(err)
		endpoint = v
	}
	endpoint = normalizeIssuer(endpoint)
	allowHTTP, err := set.BoolE(name, settingUnsafeAllowHTTP, false)
	add(err)
	if endpoint == "" {
		add(&oauth2.SettingError{Name: full(SettingEndpoint), Err: oauth2.ErrNotSet})
	} else if err := oauth2.CheckEndpoint(endpoint, allowHTTP); err != nil {
		add(&oauth2.SettingError{Name: full(SettingEndpoint), Err: err})
	} else if u, _ := url.Parse(endpoint); u.RawQuery != "" || u.Fragment != "" {
		add(&oauth2.SettingError{Name: full(SettingEndpoint), Err: errors.New("an issuer has no query or fragment")})
	}

	b.clientID, err = set.StringE(name, "KEY", "")
	add(err)
	b.secret, err = set.StringE(name, settingSecret, "")
	add(err)
	b.clientID, b.secret = strings.TrimSpace(b.clientID), strings.TrimSpace(b.secret)

	// ID token checks.
	v := &verifier{backend: name, now: b.now}
	if set.Has(name, SettingIDTokenAlgorithms) {
		algs, err := set.StringsE(name, SettingIDTokenAlgorithms, nil)
		add(err)
		for _, a := range algs {
			switch {
			case strings.EqualFold(a, "none"):
				add(&oauth2.SettingError{Name: full(SettingIDTokenAlgorithms), Err: errors.New(`"none" is never accepted`)})
			case a == "HS256" || a == "HS384" || a == "HS512":
				// An HMAC key must be as long as the hash output.
				if need := hmacKeySize(a); len(b.secret) < need {
					add(&oauth2.SettingError{Name: full(SettingIDTokenAlgorithms),
						Err: fmt.Errorf("%s needs a SECRET of at least %d bytes", a, need)})
				}
			case slices.Contains(asymmetricAlgorithms(), a):
			default:
				add(&oauth2.SettingError{Name: full(SettingIDTokenAlgorithms), Err: fmt.Errorf("unknown algorithm %q", a)})
			}
		}
		v.algorithms = algs
		if v.algorithms == nil {
			v.algorithms = []string{}
		}
	}
	v.maxAge, err = set.SecondsE(name, SettingIDTokenMaxAge, defaultIDTokenMaxAge)
	add(err)
	v.leeway, err = set.SecondsE(name, SettingIDTokenLeeway, defaultIDTokenLeeway)
	add(err)
	if v.leeway < 0 || v.leeway > 10*time.Minute {
		add(&oauth2.SettingError{Name: full(SettingIDTokenLeeway), Err: errors.New("must be between 0 and 600 seconds")})
	}
	if v.maxAge <= 0 {
		add(&oauth2.SettingError{Name: full(SettingIDTokenMaxAge), Err: errors.New("must be positive")})
	}

	// Authorization request settings.
	b.authParams = url.Values{}
	for _, rs := range requestSettings() {
		s, err := set.StringE(name, rs[0], "")
		add(err)
		if s = strings.TrimSpace(s); s != "" {
			b.authParams.Set(rs[1], s)
		}
	}
	if s := b.authParams.Get("max_age"); s != "" {
		secs, err := set.IntE(name, SettingMaxAge, 0)
		if err != nil || secs < 0 {
			add(&oauth2.SettingError{Name: full(SettingMaxAge), Err: errors.New("must be a number of seconds")})
		}
		b.maxAge, b.hasMaxAge = time.Duration(secs)*time.Second, true
	}

	// Client authentication.
	b.authMethod, err = set.StringE(name, SettingTokenAuthMethod, "")
	add(err)
	pemKey, err := set.StringE(name, SettingPrivateKey, "")
	add(err)
	keyID, err := set.StringE(name, SettingKeyID, "")
	add(err)
	if strings.TrimSpace(pemKey) != "" {
		b.signer, err = newAssertionSigner(pemKey, keyID)
		if err != nil {
			add(&oauth2.SettingError{Name: full(SettingPrivateKey), Err: err})
		}
	}
	switch b.authMethod {
	case "", string(oauth2.ClientSecretBasic), string(oauth2.ClientSecretPost):
	case privateKeyJWT:
		if strings.TrimSpace(pemKey) == "" {
			add(&oauth2.SettingError{Name: full(SettingPrivateKey), Err: oauth2.ErrNotSet})
		}
	default:
		add(&oauth2.SettingError{Name: full(SettingTokenAuthMethod),
			Err: fmt.Errorf("unknown method %q (want client_secret_basic, client_secret_post or private_key_jwt)", b.authMethod)})
	}
	b.allowAccess, err = set.BoolE(name, SettingUnsafeAccessToken, false)
	add(err)

	scope := p.DefaultScope
	if scope == nil {
		scope = []string{"openid", "profile", "email"}
	}
	if !slices.Contains(scope, "openid") {
		scope = append([]string{"openid"}, scope...)
	}
	inner, err := oauth2.New(cfg, oauth2.Provider{
		DefaultScope:   scope,
		IDKey:          "sub",
		SecretOptional: strings.TrimSpace(pemKey) != "",
		Details: oauth2.DetailsMapping{
			Username:      "preferred_username",
			Email:         "email",
			FullName:      "name",
			FirstName:     "given_name",
			LastName:      "family_name",
			EmailVerified: "email_verified",
		},
		ExtraData: []oauth2.ExtraField{{Name: "id_token", Alias: "id_token"}},
		Hooks: oauth2.Hooks{
			Endpoints:           b.endpoints,
			AuthorizationParams: b.authorizationParams,
			CheckCallback:       b.checkCallback,
			LoginData:           b.loginData,
			AuthenticateClient:  b.authenticateClient,
			MapDetails: func(claims map[string]any, d *backend.Details) {
				if d.Username == "" {
					d.Username = strings.TrimSpace(oauth2.String(claims["nickname"]))
				}
				if p.MapDetails != nil {
					p.MapDetails(claims, d)
				}
			},
		},
	})
	if err != nil {
		errs = append(errs, err)
	}
	if !slices.Contains(scopeOf(set, name), "openid") && err == nil {
		// IGNORE_DEFAULT_SCOPE with a SCOPE lacking openid would make the
		// provider answer as plain OAuth 2.0.
		add(&oauth2.SettingError{Name: full("SCOPE"), Err: errors.New(`must contain "openid"`)})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("oidc: backend %s: %w", name, errors.Join(errs...))
	}
	b.inner = inner
	b.disc = &discoveryCache{backend: name, endpoint: endpoint, allowHTTP: allowHTTP, caller: b.caller, now: b.now}
	v.clientID, v.secret = b.clientID, b.secret
	v.keys = &keyCache{backend: name, caller: b.caller, now: b.now, refetchInterval: DefaultKeyRefetchInterval}
	b.verifier = v
	return b, nil
}

// scopeOf is the scope oauth2.New sends, to check that it has "openid".
func scopeOf(set interface {
	BoolE(string, string, bool) (bool, error)
	StringsE(string, string, []string) ([]string, error)
}, name string) []string {
	ignore, _ := set.BoolE(name, "IGNORE_DEFAULT_SCOPE", false)
	extra, _ := set.StringsE(name, "SCOPE", nil)
	if !ignore {
		return append([]string{"openid"}, extra...)
	}
	return extra
}

// Name implements backend.Backend.
func (b *oidcBackend) Name() string { return b.name }

// Metadata implements Backend.
func (b *oidcBackend) Metadata(ctx context.Context) (*Metadata, error) { return b.disc.get(ctx) }

// Begin implements backend.Backend: OAuth 2.0's, with a nonce.
func (b *oidcBackend) Begin(ctx context.Context, req *backend.BeginRequest) (*backend.BeginResult, error) {
	return b.inner.Begin(ctx, req)
}

// Complete implements backend.Backend: OAuth 2.0's, with the ID token
// checked and userinfo merged.
func (b *oidcBackend) Complete(ctx context.Context, req *backend.CompleteRequest) (*backend.Identity, error) {
	return b.inner.Complete(ctx, req)
}

func (b *oidcBackend) endpoints(ctx context.Context) (oauth2.Endpoints, error) {
	doc, err := b.disc.get(ctx)
	if err != nil {
		return oauth2.Endpoints{}, err
	}
	return oauth2.Endpoints{Authorization: doc.AuthorizationEndpoint, Token: doc.TokenEndpoint,
		Revoke: doc.RevocationEndpoint, UserData: doc.UserinfoEndpoint}, nil
}

func (b *oidcBackend) authorizationParams(_ context.Context, _ *backend.BeginRequest, q url.Values, stash backend.Stash) error {
	for k, vs := range b.authParams {
		q[k] = slices.Clone(vs)
	}
	nonce := randomString()
	q.Set("nonce", nonce)
	stash[stashNonce] = nonce
	return nil
}

// checkCallback applies RFC 9207: a provider announcing the iss parameter
// must send its issuer; an iss sent anyway must be the issuer.
func (b *oidcBackend) checkCallback(ctx context.Context, req *backend.CompleteRequest) error {
	doc, err := b.disc.get(ctx)
	if err != nil {
		return err
	}
	got, present := req.Params["iss"]
	switch {
	case !present && doc.IssuerParameterSupported:
		return socialerr.Wrap(socialerr.AuthStateForbidden, b.name, fmt.Errorf("%w: missing", ErrResponseIssuer), "")
	case present && (len(got) != 1 || got[0] != doc.Issuer):
		return socialerr.Wrap(socialerr.AuthStateForbidden, b.name, fmt.Errorf("%w: %q", ErrResponseIssuer, got), "")
	}
	return nil
}

// loginData checks the ID token of a login and merges userinfo.
func (b *oidcBackend) loginData(ctx context.Context, _ *oauth2.Caller, tok *backend.Token, req *backend.CompleteRequest) (map[string]any, error) {
	doc, err := b.disc.get(ctx)
	if err != nil {
		return nil, err
	}
	raw, _ := tok.Raw["id_token"].(string)
	claims, err := b.verifier.verify(ctx, doc, raw, checks{
		nonce: req.Stash[stashNonce], checkNonce: true,
		accessToken: tok.AccessToken, code: req.Params.Get("code"),
		maxAge: b.maxAge, hasMaxAge: b.hasMaxAge,
	})
	if err != nil {
		return nil, err
	}
	return b.withUserinfo(ctx, doc, claims, tok.AccessToken)
}

// registeredClaims stay as the ID token says when userinfo is merged.
func registeredClaims() []string {
	return []string{"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "at_hash", "c_hash", "acr", "amr", "jti"}
}

// withUserinfo merges the userinfo endpoint's claims, when the provider
// has one and an access token was given, into the ID token's. Its sub must
// be the ID token's.
func (b *oidcBackend) withUserinfo(ctx context.Context, doc *Metadata, claims map[string]any, accessToken string) (map[string]any, error) {
	if doc.UserinfoEndpoint == "" || accessToken == "" {
		return claims, nil
	}
	info, err := b.userinfo(ctx, doc, accessToken)
	if err != nil {
		return nil, err
	}
	if claims == nil {
		return info, nil
	}
	if sub, _ := info["sub"].(string); sub != claims["sub"] {
		return nil, socialerr.Wrap(socialerr.AuthFailed, b.name, ErrSubject, "the provider's user info is about someone else")
	}
	out := maps.Clone(claims)
	for k, v := range info {
		if !slices.Contains(registeredClaims(), k) {
			out[k] = v
		}
	}
	return out, nil
}

func (b *oidcBackend) userinfo(ctx context.Context, doc *Metadata, accessToken string) (map[string]any, error) {
	var info map[string]any
	if err := b.caller.GetJSON(ctx, doc.UserinfoEndpoint, &backend.Token{AccessToken: accessToken}, &info); err != nil {
		return nil, err
	}
	if sub, _ := info["sub"].(string); sub == "" {
		return nil, socialerr.Wrap(socialerr.AuthFailed, b.name, fmt.Errorf("%w: userinfo has no sub", ErrSubject), "")
	}
	return info, nil
}

// Refresh implements backend.Refresher. An ID token in the reply is
// checked like a login's, without nonce.
func (b *oidcBackend) Refresh(ctx context.Context, refreshToken string) (*backend.Token, error) {
	tok, err := b.inner.(backend.Refresher).Refresh(ctx, refreshToken)
	if err != nil {
		return nil, err
	}
	if raw, _ := tok.Raw["id_token"].(string); raw != "" {
		doc, err := b.disc.get(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := b.verifier.verify(ctx, doc, raw, checks{accessToken: tok.AccessToken}); err != nil {
			return nil, err
		}
	}
	return tok, nil
}

// Revoke implements backend.Revoker with the discovered
// revocation_endpoint; without one there is nothing to call.
func (b *oidcBackend) Revoke(ctx context.Context, extraData map[string]any) error {
	return b.inner.(backend.Revoker).Revoke(ctx, extraData)
}

// AuthenticateToken implements backend.TokenAuthenticator. creds holds an
// id_token (checked like a login's; its nonce only when creds has a
// "nonce"), optionally with the access_token issued with it (checked
// against at_hash, used for userinfo). An access token alone proves
// nothing about whom it was issued to, so it is refused unless
// UNSAFE_ACCESS_TOKEN_LOGIN is true.
func (b *oidcBackend) AuthenticateToken(ctx context.Context, creds url.Values) (*backend.Identity, error) {
	raw, access := creds.Get("id_token"), creds.Get("access_token")
	if raw == "" && access == "" {
		return nil, socialerr.Missing(b.name, "id_token")
	}
	if raw == "" && !b.allowAccess {
		return nil, socialerr.Wrap(socialerr.AuthTokenError, b.name, ErrAccessTokenOnly, "an ID token is required")
	}
	doc, err := b.disc.get(ctx)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if raw != "" {
		nonce := creds.Get("nonce")
		claims, err = b.verifier.verify(ctx, doc, raw, checks{nonce: nonce, checkNonce: nonce != "",
			accessToken: access, maxAge: b.maxAge, hasMaxAge: b.hasMaxAge})
		if err != nil {
			return nil, err
		}
	} else if doc.UserinfoEndpoint == "" {
		return nil, socialerr.Wrap(socialerr.AuthTokenError, b.name, ErrAccessTokenOnly, "the provider has no userinfo endpoint")
	}
	data, err := b.withUserinfo(ctx, doc, claims, access)
	if err != nil {
		return nil, err
	}
	tokRaw := map[string]any{}
	if raw != "" {
		tokRaw["id_token"] = raw
	}
	if access != "" {
		tokRaw["access_token"] = access
	}
	return oauth2.IdentityFor(b.inner, &backend.Token{AccessToken: access, TokenType: "Bearer", Raw: tokRaw}, data)
}

// authenticateClient authenticates at the token and revocation endpoints
// with TOKEN_AUTH_METHOD, or else the best method the provider supports:
// private_key_jwt when PRIVATE_KEY is set, then client_secret_basic, then
// client_secret_post.
func (b *oidcBackend) authenticateClient(ctx context.Context, endpoint string, form url.Values, header http.Header) error {
	method := b.authMethod
	if method == "" {
		doc, err := b.disc.get(ctx)
		if err != nil {
			return err
		}
		method = chooseAuthMethod(doc.TokenEndpointAuthMethods, b.signer != nil)
	}
	if method != privateKeyJWT {
		oauth2.AuthenticateWithSecret(oauth2.TokenAuthMethod(method), b.clientID, b.secret, form, header)
		return nil
	}
	if b.signer == nil {
		return socialerr.New(socialerr.AuthUnknownError, b.name, "private_key_jwt needs PRIVATE_KEY")
	}
	assertion, err := b.signer.sign(b.clientID, endpoint, b.now())
	if err != nil {
		return socialerr.Wrap(socialerr.AuthUnknownError, b.name, err, "")
	}
	form.Set("client_id", b.clientID)
	form.Set("client_assertion_type", clientAssertionType)
	form.Set("client_assertion", assertion)
	return nil
}

func chooseAuthMethod(supported []string, haveKey bool) string {
	switch {
	case haveKey && slices.Contains(supported, privateKeyJWT):
		return privateKeyJWT
	case len(supported) == 0 || slices.Contains(supported, string(oauth2.ClientSecretBasic)):
		return string(oauth2.ClientSecretBasic)
	case slices.Contains(supported, string(oauth2.ClientSecretPost)):
		return string(oauth2.ClientSecretPost)
	case haveKey:
		return privateKeyJWT
	}
	return string(oauth2.ClientSecretBasic)
}

// assertionSigner signs RFC 7523 client assertions.
type assertionSigner struct {
	key   crypto.Signer
	alg   jose.SignatureAlgorithm
	keyID string
}

// newAssertionSigner parses a PEM private key (PKCS #8, PKCS #1 or SEC 1).
// An environment value may write its line breaks as "\n".
func newAssertionSigner(pemText, keyID string) (*assertionSigner, error) {
	if !strings.Contains(pemText, "\n") {
		pemText = strings.ReplaceAll(pemText, `\n`, "\n")
	}
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
	}
	if err != nil {
		return nil, err
	}
	s := &assertionSigner{keyID: strings.TrimSpace(keyID)}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("RSA key shorter than 2048 bits")
		}
		s.key, s.alg = k, jose.RS256
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			s.alg = jose.ES256
		case elliptic.P384():
			s.alg = jose.ES384
		case elliptic.P521():
			s.alg = jose.ES512
		default:
			return nil, errors.New("unsupported elliptic curve")
		}
		s.key = k
	default:
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
	return s, nil
}

// sign returns a client assertion for a call to audience.
func (s *assertionSigner) sign(clientID, audience string, now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: jose.JSONWebKey{Key: s.key, KeyID: s.keyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(map[string]any{
		"iss": clientID, "sub": clientID, "aud": audience, "jti": randomString(),
		"iat": now.Unix(), "exp": now.Add(clientAssertionLifetime).Unix(),
	})
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// randomString returns 32 random bytes, base64url.
func randomString() string {
	var buf [32]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(buf[:])
}
