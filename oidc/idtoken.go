package oidc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/socialauth/socialauth/socialerr"
)

// MaxIDTokenSize is the largest ID token accepted, in bytes.
const MaxIDTokenSize = 64 << 10

// asymmetricAlgorithms are the algorithms accepted when
// ID_TOKEN_ALGORITHMS is not set (those the provider supports among them).
func asymmetricAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
}

func isHMAC(alg string) bool { return strings.HasPrefix(alg, "HS") }

// hmacKeySize is the least key size of an HMAC algorithm, in bytes.
func hmacKeySize(alg string) int {
	switch alg {
	case "HS384":
		return 48
	case "HS512":
		return 64
	}
	return 32
}

// checks is what an ID token is checked against besides the provider.
type checks struct {
	// nonce is the nonce sent; checked when checkNonce.
	nonce      string
	checkNonce bool
	// accessToken and code are checked against at_hash and c_hash when
	// the token has them.
	accessToken string
	code        string
	// maxAge is the MAX_AGE asked, when asked.
	maxAge    time.Duration
	hasMaxAge bool
}

// verifier checks ID tokens for one backend.
type verifier struct {
	backend  string
	clientID string
	secret   string
	// algorithms is ID_TOKEN_ALGORITHMS, or nil for the default.
	algorithms []string
	maxAge     time.Duration // ID_TOKEN_MAX_AGE
	leeway     time.Duration // ID_TOKEN_LEEWAY
	now        func() time.Time
	keys       *keyCache
}

func (v *verifier) fail(cause error, detail string) error {
	err := cause
	if detail != "" {
		err = fmt.Errorf("%w: %s", cause, detail)
	}
	return socialerr.Wrap(socialerr.AuthTokenError, v.backend, err, "the provider's ID token is invalid")
}

// allowed returns the algorithms accepted with the provider's metadata:
// ID_TOKEN_ALGORITHMS (or the asymmetric ones) that the provider lists as
// supported; RS256 when that leaves nothing and no setting was given.
func (v *verifier) allowed(doc *Metadata) []string {
	want := v.algorithms
	if want == nil {
		want = asymmetricAlgorithms()
	}
	var out []string
	for _, alg := range want {
		if len(doc.IDTokenSigningAlgs) == 0 || slices.Contains(doc.IDTokenSigningAlgs, alg) {
			out = append(out, alg)
		}
	}
	if len(out) == 0 && v.algorithms == nil {
		out = []string{"RS256"}
	}
	return out
}

// verify checks an ID token and returns its claims.
func (v *verifier) verify(ctx context.Context, doc *Metadata, raw string, c checks) (map[string]any, error) {
	if raw == "" {
		return nil, v.fail(ErrNoIDToken, "")
	}
	if len(raw) > MaxIDTokenSize {
		return nil, v.fail(ErrMalformed, "too large")
	}
	// The header is read first to tell a refused algorithm from a
	// malformed token.
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, v.fail(ErrMalformed, "not a compact JWS")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	var header struct {
		Alg  string   `json:"alg"`
		Kid  string   `json:"kid"`
		Crit []string `json:"crit"`
	}
	if err != nil || json.Unmarshal(hb, &header) != nil {
		return nil, v.fail(ErrMalformed, "bad header")
	}
	allowed := v.allowed(doc)
	if header.Alg == "" || strings.EqualFold(header.Alg, "none") || !slices.Contains(allowed, header.Alg) ||
		(isHMAC(header.Alg) && v.secret == "") {
		return nil, v.fail(ErrAlgorithm, fmt.Sprintf("%q (allowed: %s)", header.Alg, strings.Join(allowed, ", ")))
	}
	if len(header.Crit) > 0 {
		return nil, v.fail(ErrMalformed, "unsupported critical header")
	}
	algs := make([]jose.SignatureAlgorithm, len(allowed))
	for i, a := range allowed {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSignedCompact(raw, algs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, v.fail(ErrMalformed, "")
	}
	payload, err := v.verifySignature(ctx, doc, jws, header.Alg, header.Kid)
	if err != nil {
		return nil, err
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, v.fail(ErrMalformed, err.Error())
	}
	if err := v.checkClaims(doc, claims, header.Alg, c); err != nil {
		return nil, err
	}
	return claims, nil
}

// verifySignature finds the key and verifies. HMAC algorithms use the
// client secret and nothing else; the others use the provider's keys of
// the matching type only, so that a public key is never taken as an HMAC
// secret.
func (v *verifier) verifySignature(ctx context.Context, doc *Metadata, jws *jose.JSONWebSignature, alg, kid string) ([]byte, error) {
	if isHMAC(alg) {
		payload, err := jws.Verify([]byte(v.secret))
		if err != nil {
			return nil, v.fail(ErrSignature, "")
		}
		return payload, nil
	}
	keys, err := v.keys.lookup(ctx, doc.JWKSURI, kid)
	if err != nil {
		return nil, err
	}
	tried := 0
	for _, k := range keys {
		if !keyFits(k, alg) {
			continue
		}
		tried++
		if payload, err := jws.Verify(k.Key); err == nil {
			return payload, nil
		}
	}
	if tried == 0 {
		return nil, v.fail(ErrUnknownKey, fmt.Sprintf("kid %q, alg %s", kid, alg))
	}
	return nil, v.fail(ErrSignature, "")
}

// keyFits reports whether a key of the set may verify alg.
func keyFits(k jose.JSONWebKey, alg string) bool {
	if k.Use != "" && k.Use != "sig" {
		return false
	}
	if k.Algorithm != "" && k.Algorithm != alg {
		return false
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return pub.Curve == elliptic.P256()
		case "ES384":
			return pub.Curve == elliptic.P384()
		case "ES512":
			return pub.Curve == elliptic.P521()
		}
	}
	return false
}

func decodeClaims(payload []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return nil, err
	}
	if claims == nil {
		return nil, errors.New("claims are not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data after the claims")
	}
	return claims, nil
}

// numericDate reads a NumericDate claim.
func numericDate(claims map[string]any, name string) (time.Time, bool) {
	n, ok := claims[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// audiences reads aud: a string or an array of strings.
func audiences(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, a := range x {
			s, ok := a.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, len(out) > 0
	}
	return nil, false
}

func (v *verifier) checkClaims(doc *Metadata, claims map[string]any, alg string, c checks) error {
	now := v.now()
	if iss, _ := claims["iss"].(string); iss != doc.Issuer {
		return v.fail(ErrIssuer, fmt.Sprintf("%q", iss))
	}
	if sub, _ := claims["sub"].(string); sub == "" {
		return v.fail(ErrSubject, "no sub")
	}
	auds, ok := audiences(claims["aud"])
	if !ok || !slices.Contains(auds, v.clientID) {
		return v.fail(ErrAudience, "")
	}
	azp, hasAZP := claims["azp"]
	if (len(auds) > 1 && !hasAZP) || (hasAZP && azp != v.clientID) {
		return v.fail(ErrAuthorizedParty, "")
	}
	exp, ok := numericDate(claims, "exp")
	if !ok || !now.Before(exp.Add(v.leeway)) {
		return v.fail(ErrExpired, "")
	}
	iat, ok := numericDate(claims, "iat")
	if !ok || iat.After(now.Add(v.leeway)) || now.Sub(iat) > v.maxAge+v.leeway {
		return v.fail(ErrIssuedAt, "")
	}
	if _, present := claims["nbf"]; present {
		nbf, ok := numericDate(claims, "nbf")
		if !ok || nbf.After(now.Add(v.leeway)) {
			return v.fail(ErrNotYetValid, "")
		}
	}
	if c.checkNonce {
		got, _ := claims["nonce"].(string)
		if c.nonce == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.nonce)) != 1 {
			return v.fail(ErrNonce, "")
		}
	}
	if h, present := claims["at_hash"]; present && c.accessToken != "" {
		if s, _ := h.(string); !hashMatches(alg, c.accessToken, s) {
			return v.fail(ErrAccessTokenHash, "")
		}
	}
	if h, present := claims["c_hash"]; present && c.code != "" {
		if s, _ := h.(string); !hashMatches(alg, c.code, s) {
			return v.fail(ErrCodeHash, "")
		}
	}
	if c.hasMaxAge {
		at, ok := numericDate(claims, "auth_time")
		if !ok || now.Sub(at) > c.maxAge+v.leeway {
			return v.fail(ErrAuthTime, "")
		}
	}
	return nil
}

// halfHash is OpenID Connect's at_hash/c_hash: the left half of the hash
// of value with the hash of alg, base64url without padding.
func halfHash(alg, value string) string {
	var h hash.Hash
	switch {
	case strings.HasSuffix(alg, "384"):
		h = sha512.New384()
	case strings.HasSuffix(alg, "512"):
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write([]byte(value))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

func hashMatches(alg, value, got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(halfHash(alg, value)), []byte(got)) == 1
}
