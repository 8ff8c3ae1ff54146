// Package oauth1 is socialauth's OAuth 1.0a protocol (RFC 5849): one
// [backend.Backend] implementation driven by a [Provider] value that
// describes a provider as data (the three endpoints of the redirection
// flow, the user data URL, how its JSON maps to user details, which fields
// to keep as extra data), with [Hooks] for providers that need code.
//
// # The flow
//
//  1. Begin POSTs a signed request to the request-token URL with the
//     backend's /complete/ URL as oauth_callback (plus
//     REQUEST_TOKEN_EXTRA_ARGUMENTS as form parameters). The reply must
//     carry oauth_callback_confirmed=true; the request token and its
//     secret are kept in the [backend.Stash] (sealed in the browser's
//     session, used once) and the browser is sent to the authorization URL
//     with oauth_token (plus AUTH_EXTRA_ARGUMENTS).
//  2. Complete checks the reply against the stash: the oauth_token it
//     carries must be the stashed one (compared in constant time), so a
//     verifier obtained for someone else's request token is refused. It
//     then exchanges the verifier for token credentials with a request
//     signed by the request token's secret, and makes a signed GET of the
//     user data URL.
//  3. The [backend.Identity] carries Token{AccessToken, Secret} and, as
//     python-social-auth stores it, ExtraData["access_token"] =
//     {"oauth_token": …, "oauth_token_secret": …}, plus auth_time and the
//     EXTRA_DATA fields.
//
// The backend also implements [backend.TokenAuthenticator]: a token pair a
// client SDK obtained logs a person in after a signed user-data call
// proves it valid.
//
// # Signing
//
// The signer ([Signer], [SignatureBaseString], [NormalizeParameters],
// [BaseStringURI], [Encode]) is written here and tested with the worked
// examples of RFC 5849: no small, well-kept Go library for it fits the
// core module's dependency rules. Protocol parameters travel in the
// Authorization header (section 3.5.1) with oauth_version="1.0"; query
// parameters and form-encoded body parameters are signed with them.
// HMAC-SHA1 is the default. RSA-SHA1 signs with a PEM private key from the
// RSA_PRIVATE_KEY setting (or Provider.RSAPrivateKey). PLAINTEXT, which
// sends the secrets themselves, is accepted only when every endpoint is
// https or on a loopback host.
//
// # Settings
//
// [New] reads the settings of the backend being built with
// python-social-auth's names and lookup order; [CommonSettings] lists
// them. KEY and SECRET are required (SECRET is optional with RSA-SHA1).
// Every endpoint can be replaced by a setting (REQUEST_TOKEN_URL,
// AUTHORIZATION_URL, ACCESS_TOKEN_URL, USER_DATA_URL, API_URL); like
// ID_KEY, EMAIL_VERIFIED_KEY and RSA_PRIVATE_KEY they are read only under
// the backend's own name (SOCIAL_AUTH_TWITTER_API_URL), never from the
// global fallbacks. Endpoints must be absolute https URLs; http is
// accepted only for localhost, 127.0.0.1 and [::1], or when
// UNSAFE_ALLOW_HTTP_ENDPOINTS is true. Every problem is reported at once.
//
// # Errors
//
// Failures are socialerr values, matchable with errors.Is and errors.As:
//
//	request or access token: non-2xx, no token AuthTokenError (*socialerr.ProviderError)
//	oauth_callback_confirmed is not "true"     AuthFailed (*socialerr.ProviderError)
//	no stash (forged, replayed, expired)       AuthStateMissing
//	denied in the callback                     AuthCanceled
//	no oauth_token or oauth_verifier           AuthMissingParameter
//	oauth_token is not the stashed one         AuthStateForbidden
//	user data: 401 or 403                      AuthTokenError (*socialerr.ProviderError)
//	user data: other status, malformed JSON    AuthUnknownError (*socialerr.ProviderError)
//	reply bigger than oauth2.MaxReplySize      AuthUnknownError, wrapping oauth2.ErrReplyTooLarge
//	network error, timeout, cancelled context  AuthUnreachableProvider, wrapping the cause
//	no uid in the user data                    AuthUnknownError
//
// Replies are read through the same capped HTTP helper as OAuth 2.0
// backends ([oauth2.Send]), and URLs in errors never carry a query.
package oauth1
