package oauth2

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/internal/provider"
)

// This file exports, for socialauth's other protocol packages (OAuth 1.0a
// first), the pieces of this package that are not specific to OAuth 2.0:
// the capped HTTP round trip, the endpoint rule, the EXTRA_DATA reader and
// the details mapping. They behave exactly as they do for OAuth 2.0
// backends.

// Send does one HTTP round trip to a provider on behalf of backendName:
// method on target with header, form as the body (in the query for GET),
// Accept: application/json and the User-Agent. The body of the reply is
// read through the [MaxReplySize] cap. It fails only when the provider
// cannot be reached (AuthUnreachableProvider, wrapping the cause, with no
// query in the URL it names) or the reply is too big (AuthUnknownError
// wrapping [ErrReplyTooLarge]); the caller judges the status.
func Send(ctx context.Context, client *http.Client, backendName, userAgent, method, target string, header http.Header, form url.Values) (*Reply, error) {
	return send(ctx, client, backendName, userAgent, method, target, header, form)
}

// CheckEndpoint accepts absolute https URLs, and http ones for localhost,
// 127.0.0.1 and [::1], or for any host when allowHTTP (the
// UNSAFE_ALLOW_HTTP_ENDPOINTS setting).
func CheckEndpoint(raw string, allowHTTP bool) error { return provider.CheckEndpoint(raw, allowHTTP) }

// IsLoopbackHost reports whether host is localhost, 127.0.0.1 or ::1.
func IsLoopbackHost(host string) bool { return provider.IsLoopbackHost(host) }

// ReadExtraData reads the EXTRA_DATA setting of the backend being built
// (a list whose items are a name, or a [name, alias] or [name, alias,
// discard] list), returning def when it is not set, or a *[SettingError]
// naming what is malformed.
func ReadExtraData(cfg backend.Config, def []ExtraField) ([]ExtraField, error) {
	r := newReader(cfg)
	out := r.ExtraData(provider.ConvertFields[provider.ExtraField](def))
	if errs := r.Errs(); len(errs) > 0 {
		return nil, errs[0]
	}
	return provider.ConvertFields[ExtraField](out), nil
}

// MapDetails applies a details mapping to user data: each detail is read
// at its dotted path, adjust (when not nil) may change the result, an
// email is never verified when empty, and full and split names are filled
// in from each other. Paths must be set (no defaults are applied here).
func MapDetails(resp map[string]any, m DetailsMapping, adjust func(resp map[string]any, d *backend.Details)) backend.Details {
	return mapDetails(resp, m, adjust)
}

// OwnString returns a string setting of the backend being built read only
// under the backend's own name (see [RequireOwnString]), or def when it is
// not set there.
func OwnString(cfg backend.Config, name, def string) (string, error) {
	r := newReader(cfg)
	v := strings.TrimSpace(r.Own(name, def))
	if errs := r.Errs(); len(errs) > 0 {
		return "", errs[0]
	}
	return cmp.Or(v, def), nil
}
