package socialtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/localidp"
)

// The OpenID Provider's extra paths.
const (
	DiscoveryPath = localidp.DiscoveryPath
	JWKSPath      = localidp.JWKSPath
)

// OIDCOption configures an OpenID Provider: every [Option] is one, and so
// are [WithSigningAlgorithm] and [WithIDTokenTTL].
type OIDCOption interface {
	applyOIDC(*oidcOptions)
}

type oidcOptions struct {
	options
	alg string
	ttl time.Duration
}

func (o Option) applyOIDC(x *oidcOptions) { o(&x.options) }

type oidcOption func(*oidcOptions)

func (o oidcOption) applyOIDC(x *oidcOptions) { o(x) }

// WithSigningAlgorithm sets the ID tokens' algorithm (RS256 by default;
// PS256, ES256, ES384… generate the matching key).
func WithSigningAlgorithm(alg string) OIDCOption {
	return oidcOption(func(o *oidcOptions) { o.alg = alg })
}

// WithIDTokenTTL sets how long ID tokens are valid.
func WithIDTokenTTL(d time.Duration) OIDCOption {
	return oidcOption(func(o *oidcOptions) { o.ttl = d })
}

// Tamper changes an ID token before it is signed; see
// [OIDCProvider.NextIDToken].
type Tamper func(*localidp.IDToken)

// OIDCProvider is a fake OpenID Provider on an httptest server: a
// [Provider] that also serves a discovery document and a key set, and
// issues signed ID tokens (with the nonce sent and at_hash) to requests
// whose scope has "openid". Its controls produce the hostile tokens and
// replies a relying party must refuse.
type OIDCProvider struct {
	*Provider

	omu          sync.Mutex
	tampers      []Tamper
	issuerParam  *string // replaces the callback's iss; "" drops it
	editDoc      func(map[string]any)
	cacheControl string
}

// NewOIDCProvider starts an OpenID Provider closed at the end of the test.
// Its issuer is its URL; the discovery document is at
// URL + DiscoveryPath.
func NewOIDCProvider(t testing.TB, opts ...OIDCOption) *OIDCProvider {
	t.Helper()
	p, err := StartOIDCProvider(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// StartOIDCProvider starts an OpenID Provider outside of a test; the
// caller must Close it.
func StartOIDCProvider(opts ...OIDCOption) (*OIDCProvider, error) {
	o := oidcOptions{options: options{clientID: DefaultClientID, clientSecret: DefaultClientSecret, user: DefaultUser()}}
	for _, opt := range opts {
		opt.applyOIDC(&o)
	}
	p, err := newProvider(o.options)
	if err != nil {
		return nil, err
	}
	op := &OIDCProvider{Provider: p}
	err = p.start(o.options, localidp.Config{
		Title: "socialtest OpenID provider",
		OIDC:  &localidp.OIDCConfig{Algorithm: o.alg, IDTokenTTL: o.ttl, Tamper: op.tamper},
	}, func(mux *http.ServeMux) {
		mux.HandleFunc(AuthorizePath, op.serveAuthorize)
		mux.HandleFunc("GET "+DiscoveryPath, op.serveDiscovery)
		mux.HandleFunc("GET "+JWKSPath, op.serveKeys)
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// Issuer is the provider's issuer identifier (its URL).
func (p *OIDCProvider) Issuer() string { return p.URL }

// DiscoveryURL is the discovery document's URL.
func (p *OIDCProvider) DiscoveryURL() string { return p.URL + DiscoveryPath }

// JWKSURL is the key set's URL.
func (p *OIDCProvider) JWKSURL() string { return p.URL + JWKSPath }

// NextIDToken queues tampers for the next ID token issued (by the token
// endpoint or [OIDCProvider.MintIDToken]); each call covers one token.
func (p *OIDCProvider) NextIDToken(tampers ...Tamper) {
	p.omu.Lock()
	defer p.omu.Unlock()
	p.tampers = append(p.tampers, func(tok *localidp.IDToken) {
		for _, t := range tampers {
			t(tok)
		}
	})
}

func (p *OIDCProvider) tamper(tok *localidp.IDToken) {
	p.omu.Lock()
	var next Tamper
	if len(p.tampers) > 0 {
		next, p.tampers = p.tampers[0], p.tampers[1:]
	}
	p.omu.Unlock()
	if next != nil {
		next(tok)
	}
}

// RotateKeys makes a new key sign ID tokens and returns its key id; the
// old keys stay published unless retireOld.
func (p *OIDCProvider) RotateKeys(retireOld bool) string {
	kid, err := p.IDP.RotateSigningKey(retireOld)
	if err != nil {
		panic("socialtest: " + err.Error())
	}
	return kid
}

// SetCallbackIssuer replaces the iss parameter (RFC 9207) of the
// authorization endpoint's redirects; "" removes it. nil restores it.
func (p *OIDCProvider) SetCallbackIssuer(iss *string) {
	p.omu.Lock()
	defer p.omu.Unlock()
	p.issuerParam = iss
}

// EditDiscovery changes the discovery document served from now on (a
// wrong issuer, a missing endpoint); nil restores it.
func (p *OIDCProvider) EditDiscovery(edit func(doc map[string]any)) {
	p.omu.Lock()
	defer p.omu.Unlock()
	p.editDoc = edit
}

// SetCacheControl sets the Cache-Control header of the discovery document
// and the key set ("" restores localidp's max-age of one hour).
func (p *OIDCProvider) SetCacheControl(v string) {
	p.omu.Lock()
	defer p.omu.Unlock()
	p.cacheControl = v
}

// SetUserinfoSub makes the userinfo endpoint answer with another sub than
// the ID token's (for valid access tokens).
func (p *OIDCProvider) SetUserinfoSub(sub string) {
	p.SetUserReply(p.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := p.TokenInfo(r)
		profile := localidp.Profile(info.User)
		profile["sub"] = sub
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(profile)
	})).ServeHTTP)
}

// RequirePrivateKeyJWT makes the client authenticate with private_key_jwt
// assertions signed by the private key of pub.
func (p *OIDCProvider) RequirePrivateKeyJWT(pub crypto.PublicKey) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.client.AuthMethod = localidp.PrivateKeyJWT
	p.client.PublicKey = pub
	return p.syncClientLocked()
}

// MintIDToken returns an ID token for the provider's current user, as a
// client SDK would hold it: iss, sub, aud (the client id), iat and exp
// (in ten minutes, by now), then claims over them, then the tampers
// queued with NextIDToken and those given.
func (p *OIDCProvider) MintIDToken(now time.Time, claims map[string]any, tampers ...Tamper) (string, error) {
	p.mu.Lock()
	user := userOf(p.user)
	p.mu.Unlock()
	all := map[string]any{}
	for k, v := range localidp.Profile(user) {
		if k != "id" {
			all[k] = v
		}
	}
	all["iss"], all["sub"], all["aud"] = p.Issuer(), user.ID, p.ClientID
	all["iat"], all["exp"] = now.Unix(), now.Add(10*time.Minute).Unix()
	maps.Copy(all, claims)
	tok := &localidp.IDToken{Claims: all}
	p.tamper(tok)
	for _, t := range tampers {
		t(tok)
	}
	return p.IDP.SignIDToken(tok)
}

// The hostile ID tokens, as tampers for NextIDToken and MintIDToken.

// WrongIssuer names another issuer.
func WrongIssuer() Tamper {
	return func(t *localidp.IDToken) { t.Claims["iss"] = "https://issuer.invalid" }
}

// WrongAudience is issued to another client.
func WrongAudience() Tamper {
	return func(t *localidp.IDToken) { t.Claims["aud"] = "another-client" }
}

// ExtraAudienceWithoutAZP is issued to the client and another, with no
// azp.
func ExtraAudienceWithoutAZP() Tamper {
	return func(t *localidp.IDToken) {
		t.Claims["aud"] = []any{t.Claims["aud"], "another-client"}
		delete(t.Claims, "azp")
	}
}

// WrongAZP names another authorized party.
func WrongAZP() Tamper {
	return func(t *localidp.IDToken) { t.Claims["azp"] = "another-client" }
}

// AlgNone is unsigned, with alg "none".
func AlgNone() Tamper {
	return func(t *localidp.IDToken) { t.Alg = "none" }
}

// HS256WithKey is signed with HS256 using key as the HMAC secret (the
// public key's bytes, in the classic key-confusion attack).
func HS256WithKey(key []byte) Tamper {
	return func(t *localidp.IDToken) { t.Alg, t.HMACKey = "HS256", key }
}

// Expired expired an hour before it was issued.
func Expired() Tamper {
	return func(t *localidp.IDToken) { t.Claims["exp"] = claimInt(t.Claims["iat"]) - 3600 }
}

// IssuedAt moves iat by d (negative for an old token); exp stays.
func IssuedAt(d time.Duration) Tamper {
	return func(t *localidp.IDToken) { t.Claims["iat"] = claimInt(t.Claims["iat"]) + int64(d/time.Second) }
}

// NotBefore sets nbf to d after the time it was issued.
func NotBefore(d time.Duration) Tamper {
	return func(t *localidp.IDToken) { t.Claims["nbf"] = claimInt(t.Claims["iat"]) + int64(d/time.Second) }
}

// UnknownKeyID names a key the key set does not have.
func UnknownKeyID() Tamper {
	return func(t *localidp.IDToken) { t.KeyID = "no-such-key" }
}

// ForgedSignature is signed by a key of the right type that the provider
// never published, under the current key id.
func ForgedSignature() Tamper {
	return func(t *localidp.IDToken) {
		var err error
		if strings.HasPrefix(t.Alg, "ES") {
			t.SigningKey, err = ecdsa.GenerateKey(curveFor(t.Alg), rand.Reader)
		} else {
			t.SigningKey, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err != nil {
			panic("socialtest: " + err.Error())
		}
	}
}

// MissingNonce has no nonce.
func MissingNonce() Tamper {
	return func(t *localidp.IDToken) { delete(t.Claims, "nonce") }
}

// WrongNonce has a nonce the application never sent.
func WrongNonce() Tamper {
	return func(t *localidp.IDToken) { t.Claims["nonce"] = "forged-nonce" }
}

// WrongAtHash has an at_hash of another access token.
func WrongAtHash() Tamper {
	return func(t *localidp.IDToken) { t.Claims["at_hash"] = localidp.HalfHash(t.Alg, "another access token") }
}

// WithClaims sets claims (nil values delete them).
func WithClaims(claims map[string]any) Tamper {
	return func(t *localidp.IDToken) {
		for k, v := range claims {
			if v == nil {
				delete(t.Claims, k)
			} else {
				t.Claims[k] = v
			}
		}
	}
}

// PublicKeyPEM returns the current signing key's public key, PEM-encoded:
// the HMAC secret of the key-confusion attack.
func (p *OIDCProvider) PublicKeyPEM() []byte {
	_, _, pub, err := p.IDP.SigningKey()
	if err != nil {
		panic("socialtest: " + err.Error())
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("socialtest: " + err.Error())
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func curveFor(alg string) elliptic.Curve {
	switch alg {
	case "ES384":
		return elliptic.P384()
	case "ES512":
		return elliptic.P521()
	}
	return elliptic.P256()
}

func claimInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		return int64(x)
	case json.Number:
		i, _ := x.Int64()
		return i
	}
	return 0
}

// serveAuthorize runs localidp's authorization endpoint, replacing the
// redirect's iss when told to.
func (p *OIDCProvider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	p.omu.Lock()
	iss := p.issuerParam
	p.omu.Unlock()
	if iss == nil {
		p.IDP.ServeHTTP(w, r)
		return
	}
	p.IDP.ServeHTTP(&issuerRewriter{ResponseWriter: w, iss: *iss}, r)
}

type issuerRewriter struct {
	http.ResponseWriter
	iss string
}

func (w *issuerRewriter) WriteHeader(status int) {
	if loc, err := url.Parse(w.Header().Get("Location")); err == nil && status >= 300 && status < 400 {
		q := loc.Query()
		if w.iss == "" {
			q.Del("iss")
		} else {
			q.Set("iss", w.iss)
		}
		loc.RawQuery = q.Encode()
		w.Header().Set("Location", loc.String())
	}
	w.ResponseWriter.WriteHeader(status)
}

func (p *OIDCProvider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	doc, err := p.IDP.Discovery()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.omu.Lock()
	edit, cc := p.editDoc, p.cacheControl
	p.omu.Unlock()
	if edit != nil {
		edit(doc)
	}
	p.writeCached(w, cc, doc)
}

func (p *OIDCProvider) serveKeys(w http.ResponseWriter, r *http.Request) {
	set, err := p.IDP.KeySet()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	p.omu.Lock()
	cc := p.cacheControl
	p.omu.Unlock()
	p.writeCached(w, cc, set)
}

func (p *OIDCProvider) writeCached(w http.ResponseWriter, cacheControl string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if cacheControl == "" {
		cacheControl = "public, max-age=3600"
	}
	w.Header().Set("Cache-Control", cacheControl)
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
