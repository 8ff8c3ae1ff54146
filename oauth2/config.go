package oauth2

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/settings"
)

// ErrNotSet is the cause of a [SettingError] for a required setting that
// is missing or empty.
var ErrNotSet = errors.New("is not set")

// SettingError reports a setting that is missing or malformed. Name is the
// backend-specific full name, e.g. "SOCIAL_AUTH_GITHUB_KEY".
type SettingError struct {
	Name string
	Err  error
}

func (e *SettingError) Error() string {
	if errors.Is(e.Err, ErrNotSet) {
		return e.Name + " is not set"
	}
	return e.Name + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *SettingError) Unwrap() error { return e.Err }

// SettingName returns the backend-specific full name of a setting
// ("github", "KEY" → "SOCIAL_AUTH_GITHUB_KEY").
func SettingName(backendName, name string) string { return settings.Names(backendName, name)[0] }

// RequireString returns a string setting of the backend being built, or a
// *[SettingError] wrapping [ErrNotSet] when it is missing or blank.
// Provider code uses it for the settings it needs (ORG_NAME, API_URL…).
func RequireString(cfg backend.Config, name string) (string, error) {
	r := newReader(cfg)
	v := strings.TrimSpace(r.str(name, ""))
	if len(r.errs) > 0 {
		return "", r.errs[0]
	}
	if v == "" {
		return "", &SettingError{Name: SettingName(r.name, name), Err: ErrNotSet}
	}
	return v, nil
}

// RequireOwnString is [RequireString] for a setting read only under the
// backend's own name (SOCIAL_AUTH_<BACKEND>_NAME), never from the global
// fallbacks: for values that make no sense shared between backends, such
// as an organisation name or an API URL.
func RequireOwnString(cfg backend.Config, name string) (string, error) {
	r := newReader(cfg)
	v := strings.TrimSpace(r.own(name, ""))
	if len(r.errs) > 0 {
		return "", r.errs[0]
	}
	if v == "" {
		return "", &SettingError{Name: SettingName(r.name, name), Err: ErrNotSet}
	}
	return v, nil
}

// The setting names the protocol reads for every backend.
const (
	settingKey                = "KEY"
	settingSecret             = "SECRET"
	settingScope              = "SCOPE"
	settingIgnoreDefaultScope = "IGNORE_DEFAULT_SCOPE"
	settingScopeSeparator     = "SCOPE_SEPARATOR"
	settingAuthExtraArguments = "AUTH_EXTRA_ARGUMENTS"
	settingAuthorizationURL   = "AUTHORIZATION_URL"
	settingAccessTokenURL     = "ACCESS_TOKEN_URL"
	settingRefreshTokenURL    = "REFRESH_TOKEN_URL"
	settingRevokeTokenURL     = "REVOKE_TOKEN_URL"
	settingUserDataURL        = "USER_DATA_URL"
	settingAPIURL             = "API_URL"
	settingStateParameter     = "STATE_PARAMETER"
	settingRedirectState      = "REDIRECT_STATE"
	settingExtraData          = "EXTRA_DATA"
	settingIDKey              = "ID_KEY"
	settingUsernameKey        = "USERNAME_KEY"
	settingEmailKey           = "EMAIL_KEY"
	settingFullNameKey        = "FULLNAME_KEY"
	settingFirstNameKey       = "FIRST_NAME_KEY"
	settingLastNameKey        = "LAST_NAME_KEY"
	settingEmailVerifiedKey   = "EMAIL_VERIFIED_KEY"
	settingTokenAuthMethod    = "TOKEN_AUTH_METHOD"
	settingUnsafeDisablePKCE  = "UNSAFE_DISABLE_PKCE"
	settingUnsafeNoState      = "UNSAFE_NO_STATE"
	settingUnsafeAllowHTTP    = "UNSAFE_ALLOW_HTTP_ENDPOINTS"
)

// CommonSettings returns the setting names (without prefix) that [New]
// reads for every backend, in a fresh slice.
func CommonSettings() []string {
	return []string{
		settingKey, settingSecret, settingScope, settingIgnoreDefaultScope, settingScopeSeparator,
		settingAuthExtraArguments, settingAuthorizationURL, settingAccessTokenURL,
		settingRefreshTokenURL, settingRevokeTokenURL, settingUserDataURL, settingAPIURL,
		settingStateParameter, settingRedirectState, settingExtraData, settingIDKey,
		settingUsernameKey, settingEmailKey, settingFullNameKey, settingFirstNameKey,
		settingLastNameKey, settingEmailVerifiedKey, settingTokenAuthMethod,
		settingUnsafeDisablePKCE, settingUnsafeNoState, settingUnsafeAllowHTTP,
	}
}

// defaultTimeout bounds calls when the Config has no HTTP client.
const defaultTimeout = 30 * time.Second

// reader reads one backend's settings and collects every problem.
type reader struct {
	set  *settings.Settings
	name string
	errs []error
}

func newReader(cfg backend.Config) *reader {
	name := cfg.Name
	if name == "" {
		name = cfg.Settings.Name()
	}
	return &reader{set: cfg.Settings.Settings(), name: name}
}

func (r *reader) full(name string) string { return SettingName(r.name, name) }

func (r *reader) add(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

func (r *reader) str(name, def string) string {
	v, err := r.set.StringE(r.name, name, def)
	r.add(err)
	return v
}

// own reads a string setting only under the backend's own name. Endpoint
// URLs are read this way: a global API_URL or USER_DATA_URL (an unrelated
// environment variable, say) would otherwise send every backend's access
// tokens to one host.
func (r *reader) own(name, def string) string {
	if _, foundAs, ok := r.set.Lookup(r.name, name); !ok || foundAs != r.full(name) {
		return def
	}
	return r.str(name, def)
}

func (r *reader) boolean(name string, def bool) bool {
	v, err := r.set.BoolE(r.name, name, def)
	r.add(err)
	return v
}

func (r *reader) strs(name string, def []string) []string {
	v, err := r.set.StringsE(r.name, name, def)
	r.add(err)
	return v
}

func (r *reader) dict(name string) map[string]string {
	v, err := r.set.StringMapE(r.name, name)
	r.add(err)
	return v
}

func (r *reader) required(name, def string) string {
	v := strings.TrimSpace(r.str(name, def))
	if v == "" {
		r.add(&SettingError{Name: r.full(name), Err: ErrNotSet})
	}
	return v
}

// extraData reads EXTRA_DATA: a list whose items are a name, or a
// [name, alias] or [name, alias, discard] list.
func (r *reader) extraData(def []ExtraField) []ExtraField {
	var raw []any
	ok, err := r.set.Decode(r.name, settingExtraData, &raw)
	if err != nil {
		// A comma-separated environment value is a list of names.
		if v, serr := r.set.StringE(r.name, settingExtraData, ""); serr == nil && !strings.HasPrefix(strings.TrimSpace(v), "[") {
			var out []ExtraField
			for _, n := range r.strs(settingExtraData, nil) {
				out = append(out, ExtraField{Name: n, Alias: n})
			}
			return out
		}
		r.add(err)
		return def
	}
	if !ok {
		return def
	}
	out := make([]ExtraField, 0, len(raw))
	bad := func(i int, why string) {
		r.add(&SettingError{Name: r.full(settingExtraData), Err: fmt.Errorf("item %d: %s", i, why)})
	}
	for i, item := range raw {
		switch x := item.(type) {
		case string:
			if x == "" {
				bad(i, "empty name")
				continue
			}
			out = append(out, ExtraField{Name: x, Alias: x})
		case []any:
			if len(x) < 1 || len(x) > 3 {
				bad(i, "want [name], [name, alias] or [name, alias, discard]")
				continue
			}
			var f ExtraField
			name, ok := x[0].(string)
			if !ok || name == "" {
				bad(i, "name must be a non-empty string")
				continue
			}
			f.Name, f.Alias = name, name
			if len(x) >= 2 {
				alias, ok := x[1].(string)
				if !ok {
					bad(i, "alias must be a string")
					continue
				}
				if alias != "" {
					f.Alias = alias
				}
			}
			if len(x) == 3 {
				discard, ok := x[2].(bool)
				if !ok {
					bad(i, "discard flag must be a boolean")
					continue
				}
				f.Discard = discard
			}
			out = append(out, f)
		default:
			bad(i, fmt.Sprintf("want a name or a list, got %T", item))
		}
	}
	return out
}

// New builds an OAuth 2.0 backend named cfg.Name for provider p, reading
// the backend's settings (see the package documentation). It returns every
// missing or malformed setting at once. The backend implements
// [backend.Refresher] and [backend.Revoker].
func New(cfg backend.Config, p Provider) (backend.Backend, error) {
	r := newReader(cfg)
	if r.name == "" {
		return nil, errors.New("oauth2: backend name is empty")
	}
	b := &oauth2Backend{name: r.name, logger: cfg.Logger, now: cfg.Now, hooks: p.Hooks}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}

	b.clientID = r.required(settingKey, "")
	if p.SecretOptional {
		b.clientSecret = strings.TrimSpace(r.str(settingSecret, ""))
	} else {
		b.clientSecret = r.required(settingSecret, "")
	}

	// Scope.
	b.scopeSeparator = r.str(settingScopeSeparator, cmp.Or(p.ScopeSeparator, " "))
	b.scopeParameter = cmp.Or(p.ScopeParameterName, "scope")
	b.responseType = cmp.Or(p.ResponseType, "code")
	var scope []string
	if !r.boolean(settingIgnoreDefaultScope, false) {
		scope = append(scope, p.DefaultScope...)
	}
	scope = append(scope, r.strs(settingScope, nil)...)
	b.scope = dedupe(scope)
	b.authExtra = r.dict(settingAuthExtraArguments)
	// AUTH_EXTRA_ARGUMENTS may not replace the parameters that carry the
	// login's security.
	for _, k := range []string{"state", "redirect_uri", "code_challenge", "code_challenge_method", "client_id", "response_type"} {
		if _, ok := b.authExtra[k]; ok {
			r.add(&SettingError{Name: r.full(settingAuthExtraArguments),
				Err: fmt.Errorf("may not set %q, which socialauth sends itself", k)})
		}
	}

	// State and PKCE.
	b.unsafeClientTokens = r.boolean("UNSAFE_CLIENT_TOKEN_WITHOUT_AUDIENCE_CHECK", false)
	b.stateParameter = r.boolean(settingStateParameter, !p.DisableStateParameter)
	b.redirectState = r.boolean(settingRedirectState, p.RedirectState)
	if !b.stateParameter && !b.redirectState && !r.boolean(settingUnsafeNoState, false) {
		r.add(&SettingError{Name: r.full(settingStateParameter),
			Err: fmt.Errorf("state is disabled and %s is false: set %s to true to log in without CSRF protection",
				r.full(settingRedirectState), r.full(settingUnsafeNoState))})
	}
	b.pkce = !p.DisablePKCE && !r.boolean(settingUnsafeDisablePKCE, false)

	// Token endpoint. A client-authentication hook reads its own setting.
	switch m := TokenAuthMethod(r.str(settingTokenAuthMethod, string(cmp.Or(p.TokenAuth, ClientSecretBasic)))); m {
	case ClientSecretBasic, ClientSecretPost:
		b.tokenAuth = m
	default:
		if p.Hooks.AuthenticateClient != nil {
			break
		}
		r.add(&SettingError{Name: r.full(settingTokenAuthMethod),
			Err: fmt.Errorf("unknown method %q (want %s or %s)", m, ClientSecretBasic, ClientSecretPost)})
	}
	b.tokenMethod = strings.ToUpper(cmp.Or(p.TokenMethod, http.MethodPost))
	if b.tokenMethod != http.MethodPost && b.tokenMethod != http.MethodGet {
		r.add(fmt.Errorf("oauth2: backend %s: token method %q is neither GET nor POST", r.name, p.TokenMethod))
	}

	// Mapping.
	b.idKey = r.own(settingIDKey, cmp.Or(p.IDKey, "id"))
	b.details = DetailsMapping{
		Username:      r.str(settingUsernameKey, cmp.Or(p.Details.Username, "username")),
		Email:         r.str(settingEmailKey, cmp.Or(p.Details.Email, "email")),
		FullName:      r.str(settingFullNameKey, cmp.Or(p.Details.FullName, "name")),
		FirstName:     r.str(settingFirstNameKey, cmp.Or(p.Details.FirstName, "first_name")),
		LastName:      r.str(settingLastNameKey, cmp.Or(p.Details.LastName, "last_name")),
		EmailVerified: r.own(settingEmailVerifiedKey, cmp.Or(p.Details.EmailVerified, Unmapped)),
	}
	b.extraData = r.extraData(p.ExtraData)

	// Endpoints.
	allowHTTP := r.boolean(settingUnsafeAllowHTTP, false)
	apiURL := strings.TrimSpace(r.own(settingAPIURL, p.APIURL))
	var apiBase *url.URL
	if apiURL != "" {
		if err := checkEndpoint(apiURL, allowHTTP); err != nil {
			r.add(&SettingError{Name: r.full(settingAPIURL), Err: err})
		} else {
			apiBase, _ = url.Parse(apiURL)
			if !strings.HasSuffix(apiBase.Path, "/") {
				apiBase.Path += "/"
			}
			apiURL = apiBase.String()
		}
	}
	endpoint := func(name, def string, required bool) string {
		v := strings.TrimSpace(r.own(name, def))
		if v == "" {
			if required {
				r.add(&SettingError{Name: r.full(name), Err: ErrNotSet})
			}
			return ""
		}
		u, err := url.Parse(v)
		if err == nil && !u.IsAbs() && !strings.HasPrefix(v, "//") {
			if apiBase == nil {
				r.add(&SettingError{Name: r.full(name),
					Err: fmt.Errorf("%q is relative and %s is not set", v, r.full(settingAPIURL))})
				return ""
			}
			v = apiBase.ResolveReference(u).String()
		}
		if err := checkEndpoint(v, allowHTTP); err != nil {
			r.add(&SettingError{Name: r.full(name), Err: err})
			return ""
		}
		return v
	}
	// Discovered endpoints (Hooks.Endpoints) make none required here.
	static := p.Hooks.Endpoints == nil
	b.authorizationURL = endpoint(settingAuthorizationURL, p.AuthorizationURL, static)
	b.accessTokenURL = endpoint(settingAccessTokenURL, p.AccessTokenURL, static)
	b.refreshTokenURL = endpoint(settingRefreshTokenURL, p.RefreshTokenURL, false)
	b.revokeTokenURL = endpoint(settingRevokeTokenURL, p.RevokeTokenURL, false)
	userDataURL := endpoint(settingUserDataURL, p.UserDataURL, static && p.Hooks.UserData == nil && p.Hooks.LoginData == nil)

	if len(r.errs) > 0 {
		return nil, fmt.Errorf("oauth2: backend %s: %w", r.name, errors.Join(r.errs...))
	}

	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	b.caller = &Caller{
		backend:     r.name,
		client:      client,
		userAgent:   cmp.Or(cfg.UserAgent, "socialauth"),
		apiURL:      apiURL,
		apiBase:     apiBase,
		userDataURL: userDataURL,
		placement:   cmp.Or(p.UserDataAuth, TokenInHeader),
	}
	return b, nil
}

// checkEndpoint accepts absolute https URLs, and http ones for loopback
// hosts or when allowHTTP.
func checkEndpoint(raw string, allowHTTP bool) error {
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
		if allowHTTP || isLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q uses http: only https is allowed, except for localhost (set UNSAFE_ALLOW_HTTP_ENDPOINTS to allow it)", raw)
	}
	return fmt.Errorf("%q: scheme %q is not https", raw, u.Scheme)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}

// dedupe drops blank and repeated items, keeping the first occurrence.
func dedupe(items []string) []string {
	out := make([]string, 0, len(items))
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
