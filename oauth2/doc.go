// Package oauth2 is socialauth's OAuth 2.0 authorization-code protocol: one
// [backend.Backend] implementation driven by a [Provider] value that
// describes a provider as data (endpoints, scopes, how its JSON maps to
// user details, which fields to keep as extra data), with [Hooks] for the
// few providers that need code (a second API call for emails, an
// organisation membership check, a signed request).
//
// # Settings
//
// [New] reads the settings of the backend being built, with
// python-social-auth's names and lookup order (SOCIAL_AUTH_<BACKEND>_NAME,
// then SOCIAL_AUTH_NAME, then NAME); [CommonSettings] lists them. KEY and
// SECRET are required. Every endpoint of every backend can be replaced by a
// setting (AUTHORIZATION_URL, ACCESS_TOKEN_URL, REFRESH_TOKEN_URL,
// REVOKE_TOKEN_URL, USER_DATA_URL, API_URL), so a backend can point at a
// self-hosted instance, a staging server or a local fake. An endpoint
// written as a relative reference ("user") is resolved against API_URL, so
// setting API_URL alone moves every API call of such a backend.
//
// The endpoint settings, ID_KEY and EMAIL_VERIFIED_KEY are read only under
// the backend's own name (SOCIAL_AUTH_GITHUB_API_URL), never from the
// global fallbacks: a global API_URL (an unrelated environment variable,
// say) would otherwise send every backend's access tokens to one host, and
// a global ID_KEY would change how every account is identified.
//
// Every problem is reported at once (errors joined), each naming the full
// setting name, e.g. "SOCIAL_AUTH_GITHUB_KEY is not set".
//
// # Secure by default, insecure only by name
//
//   - PKCE (RFC 7636, S256) is sent on every login, with a fresh 32-byte
//     verifier kept in the [backend.Stash]. It is off only when the
//     Provider sets DisablePKCE or the setting UNSAFE_DISABLE_PKCE is true.
//   - The state is always checked, in constant time. A provider that does
//     not return the state parameter gets it inside redirect_uri
//     (redirect_state, python-social-auth's REDIRECT_STATE); a backend with
//     neither refuses to build unless the setting UNSAFE_NO_STATE is true.
//   - Endpoints must be absolute https URLs; plain http is accepted only for
//     localhost, 127.0.0.1 and [::1], or when UNSAFE_ALLOW_HTTP_ENDPOINTS is
//     true.
//   - Every reply body is read through a hard cap of [MaxReplySize] bytes.
//   - Access tokens never appear in error messages: URLs are reported
//     without their query.
//
// # Errors
//
// Failures are socialerr values, matchable with errors.Is and errors.As:
//
//	error=access_denied in the callback        AuthCanceled
//	any other error in the callback            AuthFailed (*socialerr.ProviderError)
//	no stash, no state in the reply            AuthStateMissing
//	state differs from the one sent            AuthStateForbidden
//	no code                                    AuthMissingParameter (Param "code")
//	token endpoint: non-2xx, "error", no token AuthTokenError (*socialerr.ProviderError)
//	user data: 401 or 403                      AuthTokenError (*socialerr.ProviderError)
//	user data: other status, malformed JSON    AuthUnknownError (*socialerr.ProviderError)
//	reply bigger than MaxReplySize             AuthUnknownError, wrapping ErrReplyTooLarge
//	network error, timeout, cancelled context  AuthUnreachableProvider, wrapping the cause
//	no uid in the user data                    AuthUnknownError
//
// # Why not golang.org/x/oauth2
//
// The token round trip is written here with net/http rather than through
// golang.org/x/oauth2. That package takes its HTTP client from a context
// value and falls back to http.DefaultClient (no timeout) when it is
// missing, reads reply bodies up to its own limit, guesses the client
// authentication style by retrying, and reports every failure as one
// error type that would still have to be mapped to socialauth's kinds.
// The authorization-code exchange is a single form POST; writing it
// directly keeps the configured client, the size cap, the form-encoded
// replies of older providers, GET token endpoints and the error mapping
// in one visible place.
//
// # Extra data
//
// [backend.Identity.ExtraData] follows python-social-auth: access_token,
// token_type, refresh_token (when given), expires (the reply's expires_in,
// in seconds, as an int64 when it is a whole number), auth_time (Unix
// seconds of the login) and each EXTRA_DATA field, taken from the user data
// and else from the token reply. A field whose discard flag is set is left
// out when empty and named in [backend.Identity.KeepOldIfEmpty], so an
// empty value never replaces one already stored.
//
// Numbers in [backend.Identity.Response] are json.Number values, so that
// large numeric ids keep every digit.
package oauth2
