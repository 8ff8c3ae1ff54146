// Package provider holds the protocol-neutral pieces socialauth's OAuth
// 1.0a and OAuth 2.0 backends share: the reader of a backend's settings,
// the endpoint rules, the EXTRA_DATA setting and its loading, and the
// JSON path lookup. The protocol packages keep their exported types and
// wrap these.
package provider

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/settings"
)

// ErrNotSet is the cause of the error for a required setting that is
// missing or empty.
var ErrNotSet = errors.New("is not set")

// Unmapped, as a [Mapping] field or a path, means the value is never
// taken from the user data.
const Unmapped = "-"

// Invalid builds the error reported for a setting, named by its full
// name ("SOCIAL_AUTH_GITHUB_KEY"), that is missing ([ErrNotSet]) or
// malformed.
type Invalid func(setting string, err error) error

// Reader reads one backend's settings and collects every problem, so that
// a backend reports all of its bad settings at once.
type Reader struct {
	set     *settings.Settings
	name    string
	invalid Invalid
	errs    []error
}

// NewReader returns a Reader of backend name's settings in set, reporting
// bad settings with invalid.
func NewReader(set *settings.Settings, name string, invalid Invalid) *Reader {
	return &Reader{set: set, name: name, invalid: invalid}
}

// Name returns the backend's name.
func (r *Reader) Name() string { return r.name }

// Errs returns the problems found so far, in order.
func (r *Reader) Errs() []error { return r.errs }

// Full returns the backend-specific full name of a setting ("KEY" →
// "SOCIAL_AUTH_GITHUB_KEY").
func (r *Reader) Full(name string) string { return settings.Names(r.name, name)[0] }

// Add records err unless it is nil.
func (r *Reader) Add(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// Invalid records a problem with the setting name.
func (r *Reader) Invalid(name string, err error) { r.Add(r.invalid(r.Full(name), err)) }

// Str reads a string setting, def when it is not set.
func (r *Reader) Str(name, def string) string {
	v, err := r.set.StringE(r.name, name, def)
	r.Add(err)
	return v
}

// Own reads a string setting only under the backend's own name, never
// from the global fallbacks: endpoint URLs, ID_KEY and keys are read this
// way, as a global API_URL (an unrelated environment variable, say) would
// send every backend's tokens to one host, and a global ID_KEY would
// change how every account is identified.
func (r *Reader) Own(name, def string) string {
	if _, foundAs, ok := r.set.Lookup(r.name, name); !ok || foundAs != r.Full(name) {
		return def
	}
	return r.Str(name, def)
}

// Bool reads a boolean setting.
func (r *Reader) Bool(name string, def bool) bool {
	v, err := r.set.BoolE(r.name, name, def)
	r.Add(err)
	return v
}

// Strs reads a list setting.
func (r *Reader) Strs(name string, def []string) []string {
	v, err := r.set.StringsE(r.name, name, def)
	r.Add(err)
	return v
}

// Dict reads a string map setting.
func (r *Reader) Dict(name string) map[string]string {
	v, err := r.set.StringMapE(r.name, name)
	r.Add(err)
	return v
}

// Required reads a string setting that may not be blank, trimmed.
func (r *Reader) Required(name, def string) string {
	v := strings.TrimSpace(r.Str(name, def))
	if v == "" {
		r.Invalid(name, ErrNotSet)
	}
	return v
}

// Mapping is where each detail is read in the user data, as a dotted path.
// Its fields are those of the protocol packages' details mappings.
type Mapping struct {
	Username      string
	Email         string
	FullName      string
	FirstName     string
	LastName      string
	EmailVerified string
}

// Mapping reads ID_KEY (own name only) and the *_KEY settings of the
// details, over the provider's defaults, themselves over "id",
// "username", "email", "name", "first_name", "last_name" and no
// verification flag.
func (r *Reader) Mapping(idKey string, def Mapping) (string, Mapping) {
	or := func(v, fallback string) string {
		if v == "" {
			return fallback
		}
		return v
	}
	return r.Own("ID_KEY", or(idKey, "id")), Mapping{
		Username:      r.Str("USERNAME_KEY", or(def.Username, "username")),
		Email:         r.Str("EMAIL_KEY", or(def.Email, "email")),
		FullName:      r.Str("FULLNAME_KEY", or(def.FullName, "name")),
		FirstName:     r.Str("FIRST_NAME_KEY", or(def.FirstName, "first_name")),
		LastName:      r.Str("LAST_NAME_KEY", or(def.LastName, "last_name")),
		EmailVerified: r.Own("EMAIL_VERIFIED_KEY", or(def.EmailVerified, Unmapped)),
	}
}

// APIBase reads the API_URL setting (own name only, def when unset): an
// endpoint URL, returned with a trailing slash so that relative
// references resolve below it, or nil when it is unset or invalid.
func (r *Reader) APIBase(def string, allowHTTP bool) *url.URL {
	raw := strings.TrimSpace(r.Own("API_URL", def))
	if raw == "" {
		return nil
	}
	if err := CheckEndpoint(raw, allowHTTP); err != nil {
		r.Invalid("API_URL", err)
		return nil
	}
	base, _ := url.Parse(raw)
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	return base
}

// Endpoint reads an endpoint URL setting (own name only, def when unset),
// resolving a relative one against apiBase, and checks it with
// [CheckEndpoint]. It returns "" when it is unset (a problem when
// required) or invalid.
func (r *Reader) Endpoint(name, def string, required, allowHTTP bool, apiBase *url.URL) string {
	v := strings.TrimSpace(r.Own(name, def))
	if v == "" {
		if required {
			r.Invalid(name, ErrNotSet)
		}
		return ""
	}
	u, err := url.Parse(v)
	if err == nil && !u.IsAbs() && !strings.HasPrefix(v, "//") {
		if apiBase == nil {
			r.Invalid(name, fmt.Errorf("%q is relative and %s is not set", v, r.Full("API_URL")))
			return ""
		}
		v = apiBase.ResolveReference(u).String()
	}
	if err := CheckEndpoint(v, allowHTTP); err != nil {
		r.Invalid(name, err)
		return ""
	}
	return v
}

// CheckEndpoint accepts absolute https URLs, and http ones for loopback
// hosts or when allowHTTP.
func CheckEndpoint(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL: %w", err)
	}
	if !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowHTTP || IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q uses http: only https is allowed, except for localhost (set UNSAFE_ALLOW_HTTP_ENDPOINTS to allow it)", raw)
	}
	return fmt.Errorf("%q: scheme %q is not https", raw, u.Scheme)
}

// IsLoopbackHost reports whether host is localhost, 127.0.0.1 or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}

// Resolve resolves ref against base for backend's API calls; an absolute
// ref is returned as is. protocol prefixes the errors ("oauth2").
func Resolve(protocol, backend string, base *url.URL, ref string) (string, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("%s: %w", protocol, err)
	}
	if u.IsAbs() {
		return ref, nil
	}
	if base == nil {
		return "", fmt.Errorf("%s: backend %s has no API URL to resolve %q against", protocol, backend, ref)
	}
	return base.ResolveReference(u).String(), nil
}
