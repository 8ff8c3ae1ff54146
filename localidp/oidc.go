package localidp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// OpenID Connect paths, relative to the mount point.
const (
	// DiscoveryPath serves the OpenID Provider metadata.
	DiscoveryPath = "/.well-known/openid-configuration"
	// JWKSPath serves the public signing keys.
	JWKSPath = "/jwks"
)

// PrivateKeyJWT is the client authentication of RFC 7523 (OpenID Connect's
// private_key_jwt): a JWT signed with the client's private key, checked
// with [Client.PublicKey].
const PrivateKeyJWT AuthMethod = "private_key_jwt"

// Defaults of [OIDCConfig].
const (
	DefaultIDTokenTTL = 10 * time.Minute
	DefaultKeysMaxAge = time.Hour
)

// OIDCConfig makes a [Server] an OpenID Provider too: with it (and
// Config.Issuer), a request whose scope has "openid" gets an ID token
// beside its access token, signed with a key the server generates, and the
// discovery document and key set are served at [DiscoveryPath] and
// [JWKSPath].
type OIDCConfig struct {
	// Algorithm signs ID tokens: RS256 (the default), RS384, RS512,
	// PS256, PS384, PS512, ES256, ES384 or ES512. The key is generated
	// for it (RSA 2048 bits or the algorithm's curve).
	Algorithm string
	// IDTokenTTL is how long an ID token is valid (DefaultIDTokenTTL).
	IDTokenTTL time.Duration
	// CacheMaxAge is the max-age of the discovery document and the key
	// set (DefaultKeysMaxAge).
	CacheMaxAge time.Duration
	// Tamper, when set, may change every ID token before it is signed: a
	// test provider forging hostile tokens.
	Tamper func(*IDToken)
}

// IDToken is an ID token about to be signed, as [OIDCConfig.Tamper] sees
// it.
type IDToken struct {
	// Claims are the token's claims.
	Claims map[string]any
	// Alg is the "alg" header. "none" sends an unsigned token; HS256,
	// HS384 and HS512 sign with HMACKey; other values sign with the
	// server's key (whatever the header says).
	Alg string
	// KeyID is the "kid" header; empty leaves it out.
	KeyID string
	// HMACKey is the key of the HS algorithms.
	HMACKey []byte
	// AccessToken is the access token issued with the ID token, or ""
	// (read only: at_hash is already computed from it).
	AccessToken string
	// SigningKey, when set, signs instead of the server's key (a forged
	// signature); its algorithm must suit Alg.
	SigningKey crypto.Signer
}

// SignIDToken signs tok as the server signs ID tokens: with its current
// key, its algorithm and key id unless tok says otherwise. Tests use it to
// mint the ID token a client SDK would hold.
func (s *Server) SignIDToken(tok *IDToken) (string, error) {
	if s.oidc == nil {
		return "", ErrNotOIDC
	}
	s.mu.Lock()
	key := s.oidc.keys[len(s.oidc.keys)-1]
	s.mu.Unlock()
	if tok.Alg == "" {
		tok.Alg = key.alg
	}
	if tok.KeyID == "" {
		tok.KeyID = key.kid
	}
	return signJWT(tok, key)
}

// signingKey is one of the server's key pairs.
type signingKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

// oidcState is the provider's OpenID Connect part; its mutable fields are
// guarded by Server.mu.
type oidcState struct {
	cfg  OIDCConfig
	keys []signingKey // the last one signs
	jtis map[string]time.Time
}

func newOIDCState(cfg OIDCConfig) (*oidcState, error) {
	if cfg.Algorithm == "" {
		cfg.Algorithm = "RS256"
	}
	if cfg.IDTokenTTL <= 0 {
		cfg.IDTokenTTL = DefaultIDTokenTTL
	}
	if cfg.CacheMaxAge <= 0 {
		cfg.CacheMaxAge = DefaultKeysMaxAge
	}
	k, err := generateKey(cfg.Algorithm)
	if err != nil {
		return nil, err
	}
	return &oidcState{cfg: cfg, keys: []signingKey{k}, jtis: map[string]time.Time{}}, nil
}

func generateKey(alg string) (signingKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	default:
		return signingKey{}, fmt.Errorf("localidp: unsupported ID token algorithm %q", alg)
	}
	if err != nil {
		return signingKey{}, fmt.Errorf("localidp: generating a key: %w", err)
	}
	var kid [8]byte
	rand.Read(kid[:])
	return signingKey{kid: hex.EncodeToString(kid[:]), alg: alg, priv: priv}, nil
}

// ErrNotOIDC is returned by the OpenID Connect methods of a server built
// without [Config.OIDC].
var ErrNotOIDC = errors.New("localidp: the server is not an OpenID Provider (Config.OIDC is nil)")

// RotateSigningKey generates a new signing key that signs every ID token
// from now on, and returns its key id. The previous keys stay in the key
// set unless retireOld.
func (s *Server) RotateSigningKey(retireOld bool) (string, error) {
	if s.oidc == nil {
		return "", ErrNotOIDC
	}
	k, err := generateKey(s.oidc.cfg.Algorithm)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if retireOld {
		s.oidc.keys = nil
	}
	s.oidc.keys = append(s.oidc.keys, k)
	return k.kid, nil
}

// SigningKey returns the key id, algorithm and public key that sign ID
// tokens now.
func (s *Server) SigningKey() (kid, alg string, pub crypto.PublicKey, err error) {
	if s.oidc == nil {
		return "", "", nil, ErrNotOIDC
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.oidc.keys[len(s.oidc.keys)-1]
	return k.kid, k.alg, k.priv.Public(), nil
}

// KeySet returns the public key set served at [JWKSPath].
func (s *Server) KeySet() (jose.JSONWebKeySet, error) {
	if s.oidc == nil {
		return jose.JSONWebKeySet{}, ErrNotOIDC
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, k := range s.oidc.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: k.alg, Use: "sig"})
	}
	return set, nil
}

// Discovery returns the OpenID Provider metadata served at
// [DiscoveryPath].
func (s *Server) Discovery() (map[string]any, error) {
	if s.oidc == nil {
		return nil, ErrNotOIDC
	}
	iss := s.cfg.Issuer
	scopes := []string{"openid", "profile", "email"}
	if s.cfg.Scopes != nil {
		scopes = slices.Clone(s.cfg.Scopes)
	}
	methods := []string{string(ClientSecretBasic), string(ClientSecretPost), string(PrivateKeyJWT)}
	return map[string]any{
		"issuer":                                           iss,
		"authorization_endpoint":                           iss + "/authorize",
		"token_endpoint":                                   iss + "/token",
		"userinfo_endpoint":                                iss + "/userinfo",
		"revocation_endpoint":                              iss + "/revoke",
		"jwks_uri":                                         iss + JWKSPath,
		"scopes_supported":                                 scopes,
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         []string{"query"},
		"grant_types_supported":                            []string{"authorization_code", "refresh_token"},
		"subject_types_supported":                          []string{"public"},
		"id_token_signing_alg_values_supported":            []string{s.oidc.cfg.Algorithm},
		"token_endpoint_auth_methods_supported":            methods,
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS256", "PS256", "ES256", "ES384"},
		"revocation_endpoint_auth_methods_supported":       methods,
		"code_challenge_methods_supported":                 []string{"S256"},
		"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"name", "given_name", "family_name", "preferred_username", "email", "email_verified"},
		"authorization_response_iss_parameter_supported": true,
	}, nil
}

// serveOIDC serves the discovery document and the key set; it reports
// whether the path was one of them.
func (s *Server) serveOIDC(w http.ResponseWriter, r *http.Request) bool {
	if s.oidc == nil || (r.URL.Path != DiscoveryPath && r.URL.Path != JWKSPath) {
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return true
	}
	var v any
	var err error
	if r.URL.Path == DiscoveryPath {
		v, err = s.Discovery()
	} else {
		v, err = s.KeySet()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return true
	}
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.oidc.cfg.CacheMaxAge/time.Second)))
	writeJSON(w, http.StatusOK, v)
	return true
}

// idTokenLocked returns a signed ID token for a grant being redeemed, or
// "" when the server is no OpenID Provider or the scope has no "openid".
func (s *Server) idTokenLocked(now time.Time, from *grant, scope, accessToken string) (string, error) {
	if s.oidc == nil || !slices.Contains(strings.Fields(scope), "openid") {
		return "", nil
	}
	key := s.oidc.keys[len(s.oidc.keys)-1]
	claims := map[string]any{}
	for k, v := range Profile(from.user) {
		if k != "id" {
			claims[k] = v
		}
	}
	claims["iss"] = s.cfg.Issuer
	claims["sub"] = from.user.ID
	if sub, ok := claims["sub"].(string); !ok || sub == "" {
		claims["sub"] = from.user.ID
	}
	claims["aud"] = from.clientID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(s.oidc.cfg.IDTokenTTL).Unix()
	if !from.authTime.IsZero() {
		claims["auth_time"] = from.authTime.Unix()
	}
	if from.kind == kindCode && from.nonce != "" {
		claims["nonce"] = from.nonce
	}
	if accessToken != "" {
		claims["at_hash"] = HalfHash(key.alg, accessToken)
	}
	tok := &IDToken{Claims: claims, Alg: key.alg, KeyID: key.kid, AccessToken: accessToken}
	if s.oidc.cfg.Tamper != nil {
		s.oidc.cfg.Tamper(tok)
	}
	return signJWT(tok, key)
}

// HalfHash is OpenID Connect's at_hash and c_hash of value for a signing
// algorithm: the left half of its hash, base64url without padding.
func HalfHash(alg, value string) string {
	h := hashFor(alg)
	h.Write([]byte(value))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

func hashFor(alg string) hash.Hash {
	switch {
	case strings.HasSuffix(alg, "384"):
		return sha512.New384()
	case strings.HasSuffix(alg, "512"):
		return sha512.New()
	}
	return sha256.New()
}

func cryptoHash(alg string) crypto.Hash {
	switch {
	case strings.HasSuffix(alg, "384"):
		return crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		return crypto.SHA512
	}
	return crypto.SHA256
}

// signJWT encodes and signs tok in the JWS compact serialization.
func signJWT(tok *IDToken, key signingKey) (string, error) {
	header := map[string]any{"alg": tok.Alg, "typ": "JWT"}
	if tok.KeyID != "" {
		header["kid"] = tok.KeyID
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(tok.Claims)
	if err != nil {
		return "", fmt.Errorf("localidp: encoding ID token claims: %w", err)
	}
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	var sig []byte
	switch {
	case tok.Alg == "none":
	case strings.HasPrefix(tok.Alg, "HS"):
		sig = hmacSum(tok.Alg, tok.HMACKey, input)
	default:
		if tok.SigningKey != nil {
			key = signingKey{alg: tok.Alg, priv: tok.SigningKey}
		}
		sig, err = signWith(key, input)
		if err != nil {
			return "", err
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func hmacSum(alg string, key []byte, input string) []byte {
	newHash := sha256.New
	switch {
	case strings.HasSuffix(alg, "384"):
		newHash = sha512.New384
	case strings.HasSuffix(alg, "512"):
		newHash = sha512.New
	}
	m := hmac.New(newHash, key)
	m.Write([]byte(input))
	return m.Sum(nil)
}

// signWith signs input with the key's own algorithm.
func signWith(key signingKey, input string) ([]byte, error) {
	ch := cryptoHash(key.alg)
	h := ch.New()
	h.Write([]byte(input))
	digest := h.Sum(nil)
	switch priv := key.priv.(type) {
	case *rsa.PrivateKey:
		if strings.HasPrefix(key.alg, "PS") {
			return rsa.SignPSS(rand.Reader, priv, ch, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, priv, ch, digest)
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest)
		if err != nil {
			return nil, err
		}
		size := (priv.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
	return nil, fmt.Errorf("localidp: unsupported key %T", key.priv)
}

// maxAssertionLifetime bounds how far in the future a client assertion's
// exp may be.
const maxAssertionLifetime = 10 * time.Minute

// authenticateAssertion checks a private_key_jwt client assertion (RFC
// 7523 §3): signed by the client's key, iss and sub the client id, aud
// this server's token endpoint (or the endpoint called, or the issuer),
// not expired, and a jti never seen before.
func (s *Server) authenticateAssertion(r *http.Request, form url.Values) (string, *tokenError) {
	unauthorized := &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication failed"}
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return "", invalidRequest("unsupported client_assertion_type")
	}
	if _, _, hasBasic := r.BasicAuth(); hasBasic || form.Has("client_secret") {
		return "", invalidRequest("use one client authentication method only")
	}
	jws, err := jose.ParseSignedCompact(form.Get("client_assertion"),
		[]jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512})
	if err != nil || len(jws.Signatures) != 1 {
		return "", unauthorized
	}
	var unverified struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &unverified) != nil {
		return "", unauthorized
	}
	client, ok := s.Client(unverified.Iss)
	if !ok || client.AuthMethod != PrivateKeyJWT || client.PublicKey == nil {
		return "", unauthorized
	}
	payload, err := jws.Verify(client.PublicKey)
	if err != nil {
		return "", unauthorized
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *int64          `json:"exp"`
		Jti string          `json:"jti"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Iss != unverified.Iss || c.Sub != c.Iss || c.Exp == nil || c.Jti == "" {
		return "", unauthorized
	}
	if id := form.Get("client_id"); id != "" && id != c.Iss {
		return "", invalidRequest("client_id differs from the authenticated client")
	}
	var auds []string
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		auds = []string{one}
	} else if json.Unmarshal(c.Aud, &auds) != nil {
		return "", unauthorized
	}
	iss := s.cfg.Issuer
	if !slices.ContainsFunc(auds, func(a string) bool { return a == iss || a == iss+"/token" || a == iss+r.URL.Path }) {
		return "", unauthorized
	}
	now := s.cfg.Now()
	exp := time.Unix(*c.Exp, 0)
	if !now.Before(exp) || exp.Sub(now) > maxAssertionLifetime {
		return "", unauthorized
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.DeleteFunc(s.oidc.jtis, func(_ string, until time.Time) bool { return !now.Before(until) })
	key := c.Iss + "\x00" + c.Jti
	if _, seen := s.oidc.jtis[key]; seen {
		return "", &tokenError{http.StatusUnauthorized, "invalid_client", "client assertion replayed"}
	}
	if len(s.oidc.jtis) >= s.cfg.MaxGrants {
		return "", &tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "the provider is busy, try again later"}
	}
	s.oidc.jtis[key] = exp
	return c.Iss, nil
}
