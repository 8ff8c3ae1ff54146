package oauth2

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/internal/provider"
	"github.com/socialauth/socialauth/settings"
)

// ErrNotSet is the cause of a [SettingError] for a required setting that
// is missing or empty.
var ErrNotSet = provider.ErrNotSet

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
	v := strings.TrimSpace(r.Str(name, ""))
	if errs := r.Errs(); len(errs) > 0 {
		return "", errs[0]
	}
	if v == "" {
		return "", &SettingError{Name: SettingName(r.Name(), name), Err: ErrNotSet}
	}
	return v, nil
}

// RequireOwnString is [RequireString] for a setting read only under the
// backend's own name (SOCIAL_AUTH_<BACKEND>_NAME), never from the global
// fallbacks: for values that make no sense shared between backends, such
// as an organisation name or an API URL.
func RequireOwnString(cfg backend.Config, name string) (string, error) {
	r := newReader(cfg)
	v := strings.TrimSpace(r.Own(name, ""))
	if errs := r.Errs(); len(errs) > 0 {
		return "", errs[0]
	}
	if v == "" {
		return "", &SettingError{Name: SettingName(r.Name(), name), Err: ErrNotSet}
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

// newReader returns the reader of the settings of the backend being
// built, reporting bad settings as *[SettingError].
func newReader(cfg backend.Config) *provider.Reader {
	name := cfg.Name
	if name == "" {
		name = cfg.Settings.Name()
	}
	return provider.NewReader(cfg.Settings.Settings(), name, settingError)
}

func settingError(name string, err error) error { return &SettingError{Name: name, Err: err} }

// New builds an OAuth 2.0 backend named cfg.Name for provider p, reading
// the backend's settings (see the package documentation). It returns every
// missing or malformed setting at once. The backend implements
// [backend.Refresher] and [backend.Revoker].
func New(cfg backend.Config, p Provider) (backend.Backend, error) {
	r := newReader(cfg)
	if r.Name() == "" {
		return nil, errors.New("oauth2: backend name is empty")
	}
	b := &oauth2Backend{name: r.Name(), logger: cfg.Logger, now: cfg.Now, hooks: p.Hooks}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}

	b.clientID = r.Required(settingKey, "")
	if p.SecretOptional {
		b.clientSecret = strings.TrimSpace(r.Str(settingSecret, ""))
	} else {
		b.clientSecret = r.Required(settingSecret, "")
	}

	// Scope.
	b.scopeSeparator = r.Str(settingScopeSeparator, cmp.Or(p.ScopeSeparator, " "))
	b.scopeParameter = cmp.Or(p.ScopeParameterName, "scope")
	b.responseType = cmp.Or(p.ResponseType, "code")
	var scope []string
	if !r.Bool(settingIgnoreDefaultScope, false) {
		scope = append(scope, p.DefaultScope...)
	}
	scope = append(scope, r.Strs(settingScope, nil)...)
	b.scope = dedupe(scope)
	b.authExtra = r.Dict(settingAuthExtraArguments)
	// AUTH_EXTRA_ARGUMENTS may not replace the parameters that carry the
	// login's security.
	for _, k := range []string{"state", "redirect_uri", "code_challenge", "code_challenge_method", "client_id", "response_type"} {
		if _, ok := b.authExtra[k]; ok {
			r.Add(&SettingError{Name: r.Full(settingAuthExtraArguments),
				Err: fmt.Errorf("may not set %q, which socialauth sends itself", k)})
		}
	}

	// State and PKCE.
	b.unsafeClientTokens = r.Bool("UNSAFE_CLIENT_TOKEN_WITHOUT_AUDIENCE_CHECK", false)
	b.stateParameter = r.Bool(settingStateParameter, !p.DisableStateParameter)
	b.redirectState = r.Bool(settingRedirectState, p.RedirectState)
	if !b.stateParameter && !b.redirectState && !r.Bool(settingUnsafeNoState, false) {
		r.Add(&SettingError{Name: r.Full(settingStateParameter),
			Err: fmt.Errorf("state is disabled and %s is false: set %s to true to log in without CSRF protection",
				r.Full(settingRedirectState), r.Full(settingUnsafeNoState))})
	}
	b.pkce = !p.DisablePKCE && !r.Bool(settingUnsafeDisablePKCE, false)

	// Token endpoint. A client-authentication hook reads its own setting.
	switch m := TokenAuthMethod(r.Str(settingTokenAuthMethod, string(cmp.Or(p.TokenAuth, ClientSecretBasic)))); m {
	case ClientSecretBasic, ClientSecretPost:
		b.tokenAuth = m
	default:
		if p.Hooks.AuthenticateClient != nil {
			break
		}
		r.Add(&SettingError{Name: r.Full(settingTokenAuthMethod),
			Err: fmt.Errorf("unknown method %q (want %s or %s)", m, ClientSecretBasic, ClientSecretPost)})
	}
	b.tokenMethod = strings.ToUpper(cmp.Or(p.TokenMethod, http.MethodPost))
	if b.tokenMethod != http.MethodPost && b.tokenMethod != http.MethodGet {
		r.Add(fmt.Errorf("oauth2: backend %s: token method %q is neither GET nor POST", r.Name(), p.TokenMethod))
	}

	// Mapping.
	idKey, mapping := r.Mapping(p.IDKey, provider.Mapping(p.Details))
	b.idKey, b.details = idKey, DetailsMapping(mapping)
	b.extraData = r.ExtraData(provider.ConvertFields[provider.ExtraField](p.ExtraData))

	// Endpoints.
	allowHTTP := r.Bool(settingUnsafeAllowHTTP, false)
	apiBase := r.APIBase(p.APIURL, allowHTTP)
	var apiURL string
	if apiBase != nil {
		apiURL = apiBase.String()
	}
	endpoint := func(name, def string, required bool) string {
		return r.Endpoint(name, def, required, allowHTTP, apiBase)
	}
	// Discovered endpoints (Hooks.Endpoints) make none required here.
	static := p.Hooks.Endpoints == nil
	b.authorizationURL = endpoint(settingAuthorizationURL, p.AuthorizationURL, static)
	b.accessTokenURL = endpoint(settingAccessTokenURL, p.AccessTokenURL, static)
	b.refreshTokenURL = endpoint(settingRefreshTokenURL, p.RefreshTokenURL, false)
	b.revokeTokenURL = endpoint(settingRevokeTokenURL, p.RevokeTokenURL, false)
	userDataURL := endpoint(settingUserDataURL, p.UserDataURL, static && p.Hooks.UserData == nil && p.Hooks.LoginData == nil)

	if errs := r.Errs(); len(errs) > 0 {
		return nil, fmt.Errorf("oauth2: backend %s: %w", r.Name(), errors.Join(errs...))
	}

	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	b.caller = &Caller{
		backend:     r.Name(),
		client:      client,
		userAgent:   cmp.Or(cfg.UserAgent, "socialauth"),
		apiURL:      apiURL,
		apiBase:     apiBase,
		userDataURL: userDataURL,
		placement:   cmp.Or(p.UserDataAuth, TokenInHeader),
	}
	return b, nil
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
