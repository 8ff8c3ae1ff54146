// Package openid is socialauth's OpenID Authentication 2.0 relying party:
// python-social-auth's OpenIdAuth, written with the standard library only.
//
// [New] builds a backend from a [Provider] description and the backend's
// settings. A login goes:
//
//   - Begin finds the identifier to start from (the Provider's URL, the URL
//     setting, a Provider.Identifier function, or the openid_identifier
//     parameter the person posted to /login/{backend}/), normalises it
//     (XRI identifiers are refused), discovers the OP endpoint by Yadis
//     (an XRDS document served as such or named by X-XRDS-Location, as a
//     header or a meta tag) or HTML link discovery, associates with the OP
//     (HMAC-SHA256 over DH-SHA256 first, following one unsupported-type
//     suggestion; no-encryption only over https), keeps the association in
//     Config.OpenIDAssociations until it expires, and redirects the browser
//     with a checkid_setup request asking for SREG, AX and (when
//     OPENID_PAPE_MAX_AUTH_AGE is set) PAPE. The return_to URL carries a
//     random state kept in the Stash.
//   - Complete refuses, with typed errors (AuthFailed wrapping one of the
//     Err* causes, AuthCanceled, AuthStateMissing, AuthStateForbidden): a
//     reply without this browser's state; a return_to that is not the one
//     sent or whose parameters are not in the request; an op_endpoint other
//     than the discovered one; a signature that does not cover op_endpoint,
//     return_to, response_nonce, assoc_handle, claimed_id and identity, or
//     that does not verify (with the stored association, or by
//     check_authentication when the handle is unknown, honouring
//     invalidate_handle); a nonce more than five minutes from the clock or
//     already recorded in Config.Nonces; and a claimed identifier the OP is
//     not authoritative for, checked by discovery whenever it is not the
//     one requested.
//
// The identity's uid is the claimed identifier. Details come from the
// signed SREG and AX fields only, and the email is never marked verified.
//
// Settings, besides the common ones the engine reads:
//
//	URL                       the identifier to start from (overrides the provider's)
//	USERNAME_KEY              the response key that becomes the username
//	                          (default "username", then "nickname", then first+last name)
//	SREG_EXTRA_DATA           [[sreg field, alias(, discard)], …] stored in extra data
//	AX_EXTRA_DATA             [[AX type URI, alias(, discard)], …] stored and requested
//	EXTRA_DATA                [[response key, alias(, discard)], …]
//	AX_SCHEMA_ATTRS           [[AX type URI, response key], …] requested besides the defaults
//	IGNORE_DEFAULT_AX_ATTRS   true to request only AX_SCHEMA_ATTRS
//	OPENID_PAPE_MAX_AUTH_AGE  seconds: request PAPE max_auth_age and refuse older logins
package openid
