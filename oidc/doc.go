// Package oidc is socialauth's OpenID Connect relying party: the OAuth 2.0
// code flow of package oauth2 (PKCE, state, capped replies, error
// mapping) plus what OpenID Connect adds — discovery, the ID token and its
// checks, userinfo, and client authentication with a private key.
//
// A backend is configured by its issuer alone:
//
//	SOCIAL_AUTH_OIDC_OIDC_ENDPOINT = "https://id.example.com"
//	SOCIAL_AUTH_OIDC_KEY           = "client id"
//	SOCIAL_AUTH_OIDC_SECRET        = "client secret"
//
// and [New] builds one for a [Provider] whose Endpoint may be fixed
// (Google's) or left to that setting. The catalogue (package providers)
// declares its OpenID Connect backends as such data.
//
// # Discovery and keys
//
// <OIDC_ENDPOINT>/.well-known/openid-configuration is fetched at the first
// login and cached for the reply's Cache-Control max-age, kept within
// [MinCacheTTL] and [MaxCacheTTL] ([DefaultCacheTTL] without one), then
// fetched again. Its issuer must be OIDC_ENDPOINT (a trailing slash
// aside), and its endpoints must be https (or loopback http, or any http
// with UNSAFE_ALLOW_HTTP_ENDPOINTS). The discovered endpoints replace
// oauth2's endpoint settings.
//
// The key set at jwks_uri is cached the same way. A token signed with a
// kid the cache does not know makes it fetch the set again, but at most
// once per [DefaultKeyRefetchInterval], so that rotated keys are picked up
// at once while forged kids cannot flood the provider. Only RSA and EC
// public keys are kept.
//
// # ID token checks
//
// Every check failing is an AuthTokenError (or as noted) wrapping its own
// sentinel error, for errors.Is:
//
//	alg: never "none"; an asymmetric one from ID_TOKEN_ALGORITHMS
//	     (default: RS, PS and ES) that the provider lists in
//	     id_token_signing_alg_values_supported; HS256/384/512 only when
//	     listed in ID_TOKEN_ALGORITHMS, verified with SECRET and never with
//	     a key of the key set                                   ErrAlgorithm
//	signature, by a key of the set whose kid, type and curve fit   ErrSignature, ErrUnknownKey
//	iss is the discovered issuer                                ErrIssuer
//	aud contains KEY; azp is KEY when present or when aud has
//	     several values                                         ErrAudience, ErrAuthorizedParty
//	exp in the future, nbf in the past                          ErrExpired, ErrNotYetValid
//	iat not in the future nor older than ID_TOKEN_MAX_AGE
//	     (600 seconds)                                          ErrIssuedAt
//	nonce is the one Begin sent (random per login, kept in the
//	     stash: single use and bound to the browser)            ErrNonce
//	at_hash and c_hash, when present, match                      ErrAccessTokenHash, ErrCodeHash
//	with MAX_AGE, auth_time is present and recent enough         ErrAuthTime
//	sub is present; userinfo's sub is the same (AuthFailed)      ErrSubject
//
// Times are compared with a leeway of ID_TOKEN_LEEWAY seconds (60 by
// default, at most 600) and the backend's clock (backend.Config.Now).
//
// RFC 9207: when the provider announces
// authorization_response_iss_parameter_supported, the callback's iss must
// be its issuer; an iss sent anyway must be too (AuthStateForbidden
// wrapping [ErrResponseIssuer]).
//
// # Identity
//
// The uid is sub. Details come from the standard claims
// (preferred_username or nickname, email, email_verified, name,
// given_name, family_name), taken from the ID token with userinfo's claims
// merged over them (the registered claims stay the ID token's). ExtraData
// holds id_token besides oauth2's access_token, token_type,
// refresh_token, expires and auth_time.
//
// # Client authentication
//
// TOKEN_AUTH_METHOD chooses client_secret_basic, client_secret_post or
// private_key_jwt (RFC 7523: a JWT with iss = sub = KEY, aud = the
// endpoint called, a random jti and a one-minute exp, signed with the PEM
// PRIVATE_KEY — RSA, P-256, P-384 or P-521 — under KEY_ID). Without it,
// private_key_jwt is used when PRIVATE_KEY is set and the provider
// supports it, else client_secret_basic unless the provider lists only
// client_secret_post.
//
// # Authorization request
//
// PROMPT, MAX_AGE, ACR_VALUES, LOGIN_HINT, DISPLAY, UI_LOCALES and
// ID_TOKEN_HINT are sent as prompt, max_age, acr_values, login_hint,
// display, ui_locales and id_token_hint. SCOPE must keep "openid".
//
// # Token login
//
// The backend is a backend.TokenAuthenticator: an id_token a client SDK
// obtained is checked as above (its nonce only when a "nonce" is given
// with it); an access_token given with it is checked against at_hash and
// used for userinfo. An access token alone cannot show whom it was issued
// to, so it is refused ([ErrAccessTokenOnly]) unless
// UNSAFE_ACCESS_TOKEN_LOGIN is true.
package oidc
