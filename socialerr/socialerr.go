// Package socialerr defines socialauth's error kinds: python-social-auth's
// exceptions as Go values usable with [errors.Is] and [errors.As].
//
// Every kind is a constant [Kind]. Errors raised by socialauth are *[Error]
// values carrying a kind, the backend name and a message safe to show to the
// person logging in; the cause, if any, is wrapped. Kinds form the same
// hierarchy as the exceptions they mirror: every kind "is" [AuthException]
// and [SocialAuthBaseException], so
//
//	errors.Is(err, socialerr.AuthCanceled)   // the person cancelled at the provider
//	errors.Is(err, socialerr.AuthException)  // any authentication failure
//
// Errors from a provider's HTTP replies are *[ProviderError], which carries
// the status code, a capped copy of the body and the RFC 6749 error fields.
package socialerr

import (
	"fmt"
	"strings"
)

// Kind names an error kind. Kinds are constants; compare with [errors.Is].
type Kind string

// The kinds, named after python-social-auth's exceptions.
const (
	// SocialAuthBaseException is the root of every kind.
	SocialAuthBaseException Kind = "SocialAuthBaseException"
	// AuthException is the base of every authentication-process kind.
	AuthException Kind = "AuthException"
	// AuthFailed: authentication failed for some reason.
	AuthFailed Kind = "AuthFailed"
	// AuthCanceled: the person cancelled at the provider.
	AuthCanceled Kind = "AuthCanceled"
	// AuthUnknownError: an unknown error stopped the process.
	AuthUnknownError Kind = "AuthUnknownError"
	// AuthTokenError: the access token is invalid or was refused.
	AuthTokenError Kind = "AuthTokenError"
	// AuthMissingParameter: a needed parameter is missing.
	AuthMissingParameter Kind = "AuthMissingParameter"
	// AuthAlreadyAssociated: the social account belongs to another user.
	AuthAlreadyAssociated Kind = "AuthAlreadyAssociated"
	// WrongBackend: the backend in the URL is not enabled.
	WrongBackend Kind = "WrongBackend"
	// NotAllowedToDisconnect: disconnecting would lock the user out.
	NotAllowedToDisconnect Kind = "NotAllowedToDisconnect"
	// AuthStateMissing: the state is missing from the reply or the session.
	AuthStateMissing Kind = "AuthStateMissing"
	// AuthStateForbidden: the returned state is not the one sent.
	AuthStateForbidden Kind = "AuthStateForbidden"
	// AuthTokenRevoked: the person revoked the token at the provider.
	AuthTokenRevoked Kind = "AuthTokenRevoked"
	// AuthUnreachableProvider: the provider could not be reached.
	AuthUnreachableProvider Kind = "AuthUnreachableProvider"
	// AuthForbidden: the project does not allow this login (whitelists, a
	// pipeline step's decision, a partial resumed by another browser).
	AuthForbidden Kind = "AuthForbidden"
	// InvalidEmail: an email validation code is unknown, used or expired.
	InvalidEmail Kind = "InvalidEmail"
	// AuthInactiveUser: the user exists but is not active.
	AuthInactiveUser Kind = "AuthInactiveUser"
)

func (k Kind) message() string {
	switch k {
	case SocialAuthBaseException:
		return "social authentication error"
	case AuthException:
		return "authentication error"
	case AuthFailed:
		return "authentication failed"
	case AuthCanceled:
		return "authentication process canceled"
	case AuthUnknownError:
		return "an unknown error happened while authenticating"
	case AuthTokenError:
		return "token error"
	case AuthMissingParameter:
		return "missing needed parameter"
	case AuthAlreadyAssociated:
		return "this account is already in use"
	case WrongBackend:
		return "incorrect authentication service"
	case NotAllowedToDisconnect:
		return "this account cannot be disconnected"
	case AuthStateMissing:
		return "session value state missing"
	case AuthStateForbidden:
		return "wrong state parameter given"
	case AuthTokenRevoked:
		return "user revoked access token"
	case AuthUnreachableProvider:
		return "the authentication provider could not be reached"
	case AuthForbidden:
		return "your credentials aren't allowed"
	case InvalidEmail:
		return "email couldn't be validated"
	case AuthInactiveUser:
		return "this account is inactive"
	}
	return string(k)
}

// Error implements error with a short human message.
func (k Kind) Error() string {
	return k.message()
}

// Is makes every kind match itself, [AuthException] (except the root) and
// [SocialAuthBaseException].
func (k Kind) Is(target error) bool {
	t, ok := target.(Kind)
	if !ok {
		return false
	}
	switch t {
	case k, SocialAuthBaseException:
		return true
	case AuthException:
		return k != SocialAuthBaseException
	}
	return false
}

// Error is an error of a [Kind] raised while handling one backend.
type Error struct {
	Kind    Kind   // what went wrong
	Backend string // the backend name, if known
	// Message is safe to show to the person logging in. Empty means the
	// kind's own message.
	Message string
	// Param names the missing parameter for [AuthMissingParameter].
	Param string
	// Err is the cause, not meant for the person logging in.
	Err error
}

// New returns an *Error of a kind for a backend.
func New(kind Kind, backend, message string) *Error {
	return &Error{Kind: kind, Backend: backend, Message: message}
}

// Wrap returns an *Error of a kind that wraps cause.
func Wrap(kind Kind, backend string, cause error, message string) *Error {
	return &Error{Kind: kind, Backend: backend, Message: message, Err: cause}
}

// Missing returns an [AuthMissingParameter] error naming param.
func Missing(backend, param string) *Error {
	return &Error{Kind: AuthMissingParameter, Backend: backend, Param: param,
		Message: "missing needed parameter " + param}
}

// Error returns "kind: message[: cause]".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Kind))
	if e.Backend != "" {
		b.WriteString(" (")
		b.WriteString(e.Backend)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.PublicMessage())
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// PublicMessage is the text that may be shown to the person logging in: it
// never contains the cause.
func (e *Error) PublicMessage() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Kind.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind or one of its parents.
func (e *Error) Is(target error) bool { return e.Kind.Is(target) }

// KindOf returns the kind of the first socialauth error in err's chain, or
// "" when there is none.
func KindOf(err error) Kind {
	for err != nil {
		switch x := err.(type) {
		case *Error:
			return x.Kind
		case *ProviderError:
			return x.Kind
		case Kind:
			return x
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if k := KindOf(e); k != "" {
					return k
				}
			}
			return ""
		default:
			return ""
		}
	}
	return ""
}

// MaxBodyCopy is how many bytes of a provider's reply a [ProviderError] keeps.
const MaxBodyCopy = 2048

// ProviderError is an unexpected reply from a provider's endpoint.
type ProviderError struct {
	Kind       Kind   // the kind the reply maps to, e.g. AuthTokenError
	Backend    string // the backend name
	Endpoint   string // the URL called, without query
	StatusCode int    // the HTTP status
	// Body is at most MaxBodyCopy bytes of the reply.
	Body []byte
	// Code, Description and URI are RFC 6749's error, error_description and
	// error_uri, when the reply had them.
	Code        string
	Description string
	URI         string
	Err         error // a transport or decoding cause, if any
}

// NewProviderError builds a *ProviderError, capping the body copy.
func NewProviderError(kind Kind, backend, endpoint string, status int, body []byte) *ProviderError {
	if len(body) > MaxBodyCopy {
		body = body[:MaxBodyCopy]
	}
	return &ProviderError{Kind: kind, Backend: backend, Endpoint: endpoint, StatusCode: status,
		Body: append([]byte(nil), body...)}
}

func (e *ProviderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): provider replied", e.Kind, e.Backend)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " %d", e.StatusCode)
	}
	if e.Endpoint != "" {
		fmt.Fprintf(&b, " from %s", e.Endpoint)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
		if e.Description != "" {
			fmt.Fprintf(&b, " (%s)", e.Description)
		}
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// PublicMessage is the text that may be shown to the person logging in.
func (e *ProviderError) PublicMessage() string { return e.Kind.Error() }

// Unwrap returns the cause.
func (e *ProviderError) Unwrap() error { return e.Err }

// Is reports whether target is e's kind or one of its parents.
func (e *ProviderError) Is(target error) bool { return e.Kind.Is(target) }
