package oidc

import "errors"

// The causes of OpenID Connect failures, one per check. Errors returned
// by the backend are *socialerr.Error values of a kind (AuthTokenError for
// a rejected ID token) that wrap one of these, so both
//
//	errors.Is(err, socialerr.AuthTokenError)
//	errors.Is(err, oidc.ErrNonce)
//
// hold for a wrong nonce.
var (
	// ErrDiscovery: the discovery document is missing a required field,
	// names an endpoint that is not https, or is not JSON.
	ErrDiscovery = errors.New("oidc: invalid discovery document")
	// ErrDiscoveryIssuer: the discovery document's issuer is not the
	// configured OIDC_ENDPOINT.
	ErrDiscoveryIssuer = errors.New("oidc: discovered issuer differs from the configured endpoint")
	// ErrKeySet: the key set at jwks_uri is not a valid JWK set.
	ErrKeySet = errors.New("oidc: invalid key set")
	// ErrNoIDToken: the token reply carries no id_token.
	ErrNoIDToken = errors.New("oidc: no id_token in the token reply")
	// ErrMalformed: the ID token is not a compact JWS with a JSON object
	// of claims, or is too large.
	ErrMalformed = errors.New("oidc: malformed ID token")
	// ErrAlgorithm: the ID token's alg is not allowed ("none", an HMAC
	// algorithm that was not enabled, or one outside ID_TOKEN_ALGORITHMS
	// and the provider's supported list).
	ErrAlgorithm = errors.New("oidc: ID token signing algorithm not allowed")
	// ErrUnknownKey: no key of the provider's key set matches the ID
	// token's kid and algorithm, even after refetching the key set.
	ErrUnknownKey = errors.New("oidc: ID token signed with an unknown key")
	// ErrSignature: the ID token's signature does not verify.
	ErrSignature = errors.New("oidc: invalid ID token signature")
	// ErrIssuer: the ID token's iss is not the provider's issuer.
	ErrIssuer = errors.New("oidc: wrong ID token issuer")
	// ErrAudience: the ID token's aud does not contain the client id.
	ErrAudience = errors.New("oidc: ID token audience does not contain the client id")
	// ErrAuthorizedParty: the ID token has several audiences without an
	// azp, or an azp that is not the client id.
	ErrAuthorizedParty = errors.New("oidc: ID token azp is missing or not the client id")
	// ErrExpired: the ID token's exp is missing or past.
	ErrExpired = errors.New("oidc: ID token expired")
	// ErrIssuedAt: the ID token's iat is missing, in the future, or older
	// than ID_TOKEN_MAX_AGE.
	ErrIssuedAt = errors.New("oidc: ID token iat missing, in the future or too old")
	// ErrNotYetValid: the ID token's nbf is in the future.
	ErrNotYetValid = errors.New("oidc: ID token not valid yet")
	// ErrNonce: the ID token's nonce is missing or not the one sent.
	ErrNonce = errors.New("oidc: ID token nonce missing or wrong")
	// ErrAccessTokenHash: at_hash does not match the access token.
	ErrAccessTokenHash = errors.New("oidc: at_hash does not match the access token")
	// ErrCodeHash: c_hash does not match the authorization code.
	ErrCodeHash = errors.New("oidc: c_hash does not match the code")
	// ErrAuthTime: MAX_AGE was asked and auth_time is missing or older.
	ErrAuthTime = errors.New("oidc: auth_time missing or older than MAX_AGE")
	// ErrSubject: the ID token has no sub, or userinfo's sub differs.
	ErrSubject = errors.New("oidc: subject missing or userinfo sub differs from the ID token's")
	// ErrResponseIssuer: the callback's iss (RFC 9207) is missing while
	// the provider announces it, or is not the provider's issuer.
	ErrResponseIssuer = errors.New("oidc: callback iss missing or not the provider's issuer")
	// ErrAccessTokenOnly: a token login with an access token alone, which
	// cannot prove the token was issued to this client; see
	// UNSAFE_ACCESS_TOKEN_LOGIN.
	ErrAccessTokenOnly = errors.New("oidc: an access token alone cannot log in (no id_token)")
)
