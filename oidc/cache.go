package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// Cache bounds. A reply's Cache-Control max-age is honoured within
// [MinCacheTTL, MaxCacheTTL]; without one, DefaultCacheTTL applies.
const (
	MinCacheTTL     = time.Minute
	MaxCacheTTL     = 24 * time.Hour
	DefaultCacheTTL = time.Hour
	// DefaultKeyRefetchInterval is the least time between two fetches of
	// the key set caused by an unknown kid: a flood of forged tokens
	// with random kids cannot turn into a flood of requests to the
	// provider.
	DefaultKeyRefetchInterval = time.Minute
)

// cacheTTL reads a reply's max-age within the bounds.
func cacheTTL(h http.Header) time.Duration {
	ttl := DefaultCacheTTL
	for directive := range strings.SplitSeq(strings.ToLower(h.Get("Cache-Control")), ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch name {
		case "no-store", "no-cache":
			return MinCacheTTL
		case "max-age":
			secs, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err == nil {
				ttl = time.Duration(min(max(secs, 0), int64(MaxCacheTTL/time.Second))) * time.Second
			}
		}
	}
	return min(max(ttl, MinCacheTTL), MaxCacheTTL)
}

// Metadata is the part of an OpenID Provider's discovery document the
// backend uses.
type Metadata struct {
	Issuer                       string   `json:"issuer"`
	AuthorizationEndpoint        string   `json:"authorization_endpoint"`
	TokenEndpoint                string   `json:"token_endpoint"`
	UserinfoEndpoint             string   `json:"userinfo_endpoint"`
	JWKSURI                      string   `json:"jwks_uri"`
	RevocationEndpoint           string   `json:"revocation_endpoint"`
	IDTokenSigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	IssuerParameterSupported     bool     `json:"authorization_response_iss_parameter_supported"`
	CodeChallengeMethods         []string `json:"code_challenge_methods_supported"`
	ScopesSupported              []string `json:"scopes_supported"`
	ResponseTypesSupported       []string `json:"response_types_supported"`
	TokenEndpointAuthSigningAlgs []string `json:"token_endpoint_auth_signing_alg_values_supported"`
}

// discoveryCache keeps the discovery document until it expires.
type discoveryCache struct {
	backend   string
	endpoint  string // the configured issuer, normalised
	allowHTTP bool
	caller    *oauth2.Caller
	now       func() time.Time

	mu      sync.Mutex // held during a fetch: one fetch at a time
	doc     *Metadata
	expires time.Time
}

// normalizeIssuer drops a trailing slash, the only difference tolerated
// between the configured endpoint and the discovered issuer.
func normalizeIssuer(s string) string { return strings.TrimSuffix(strings.TrimSpace(s), "/") }

// get returns the document, fetching it when absent or expired.
func (c *discoveryCache) get(ctx context.Context) (*Metadata, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.doc != nil && c.now().Before(c.expires) {
		return c.doc, nil
	}
	target := c.endpoint + "/.well-known/openid-configuration"
	var doc Metadata
	reply, err := c.caller.Do(ctx, http.MethodGet, target, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := reply.DecodeJSON(&doc); err != nil {
		return nil, err
	}
	if err := c.check(&doc); err != nil {
		return nil, socialerr.Wrap(socialerr.AuthUnknownError, c.backend, err, "the provider's configuration is invalid")
	}
	c.doc, c.expires = &doc, c.now().Add(cacheTTL(reply.Header))
	return c.doc, nil
}

func (c *discoveryCache) check(doc *Metadata) error {
	if normalizeIssuer(doc.Issuer) != c.endpoint {
		return fmt.Errorf("%w: %q, want %q", ErrDiscoveryIssuer, doc.Issuer, c.endpoint)
	}
	required := map[string]string{"authorization_endpoint": doc.AuthorizationEndpoint,
		"token_endpoint": doc.TokenEndpoint, "jwks_uri": doc.JWKSURI}
	for name, v := range required {
		if v == "" {
			return fmt.Errorf("%w: no %s", ErrDiscovery, name)
		}
	}
	for name, v := range map[string]string{"authorization_endpoint": doc.AuthorizationEndpoint,
		"token_endpoint": doc.TokenEndpoint, "jwks_uri": doc.JWKSURI,
		"userinfo_endpoint": doc.UserinfoEndpoint, "revocation_endpoint": doc.RevocationEndpoint} {
		if v == "" {
			continue
		}
		if err := oauth2.CheckEndpoint(v, c.allowHTTP); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrDiscovery, name, err)
		}
	}
	return nil
}

// keyCache keeps the provider's key set.
type keyCache struct {
	backend         string
	caller          *oauth2.Caller
	now             func() time.Time
	refetchInterval time.Duration

	mu        sync.Mutex // held during a fetch: one fetch at a time
	uri       string
	keys      []jose.JSONWebKey
	expires   time.Time
	lastFetch time.Time
}

// lookup returns the keys that may have signed a token with kid (every
// key when kid is empty). When none does, the set is fetched again, at
// most once per refetch interval.
func (c *keyCache) lookup(ctx context.Context, uri, kid string) ([]jose.JSONWebKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.uri != uri || c.keys == nil || !now.Before(c.expires) {
		if err := c.fetchLocked(ctx, uri); err != nil {
			return nil, err
		}
	}
	found := c.matchLocked(kid)
	if len(found) == 0 && c.now().Sub(c.lastFetch) >= c.refetchInterval {
		if err := c.fetchLocked(ctx, uri); err != nil {
			return nil, err
		}
		found = c.matchLocked(kid)
	}
	return found, nil
}

func (c *keyCache) matchLocked(kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range c.keys {
		if kid == "" || k.KeyID == kid {
			out = append(out, k)
		}
	}
	return out
}

func (c *keyCache) fetchLocked(ctx context.Context, uri string) error {
	c.lastFetch = c.now()
	reply, err := c.caller.Do(ctx, http.MethodGet, uri, nil, nil)
	if err != nil {
		return err
	}
	// Keys are decoded one by one so that one key of an unknown type
	// (a post-quantum key, say) does not hide the others.
	var raw struct {
		Keys []jsonRaw `json:"keys"`
	}
	if err := reply.DecodeJSON(&raw); err != nil {
		return err
	}
	if raw.Keys == nil {
		return socialerr.Wrap(socialerr.AuthUnknownError, c.backend, fmt.Errorf("%w: no \"keys\" member", ErrKeySet), "")
	}
	keys := make([]jose.JSONWebKey, 0, len(raw.Keys))
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil || !k.Valid() || !k.IsPublic() {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			keys = append(keys, k)
		}
	}
	c.uri, c.keys, c.expires = uri, keys, c.now().Add(cacheTTL(reply.Header))
	return nil
}

// jsonRaw is one undecoded member of a JSON document.
type jsonRaw = json.RawMessage
