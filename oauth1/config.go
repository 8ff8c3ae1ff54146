package oauth1

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/internal/provider"
	"github.com/socialauth/socialauth/oauth2"
)

// The setting names the protocol reads for every backend.
const (
	settingKey                        = "KEY"
	settingSecret                     = "SECRET"
	settingRequestTokenURL            = "REQUEST_TOKEN_URL"
	settingAuthorizationURL           = "AUTHORIZATION_URL"
	settingAccessTokenURL             = "ACCESS_TOKEN_URL"
	settingUserDataURL                = "USER_DATA_URL"
	settingAPIURL                     = "API_URL"
	settingAuthExtraArguments         = "AUTH_EXTRA_ARGUMENTS"
	settingRequestTokenExtraArguments = "REQUEST_TOKEN_EXTRA_ARGUMENTS"
	settingExtraData                  = "EXTRA_DATA"
	settingIDKey                      = "ID_KEY"
	settingUsernameKey                = "USERNAME_KEY"
	settingEmailKey                   = "EMAIL_KEY"
	settingFullNameKey                = "FULLNAME_KEY"
	settingFirstNameKey               = "FIRST_NAME_KEY"
	settingLastNameKey                = "LAST_NAME_KEY"
	settingEmailVerifiedKey           = "EMAIL_VERIFIED_KEY"
	settingSignatureMethod            = "SIGNATURE_METHOD"
	settingRSAPrivateKey              = "RSA_PRIVATE_KEY"
	settingUnsafeAllowHTTP            = "UNSAFE_ALLOW_HTTP_ENDPOINTS"
)

// CommonSettings returns the setting names (without prefix) that [New]
// reads for every backend, in a fresh slice.
func CommonSettings() []string {
	return []string{
		settingKey, settingSecret, settingRequestTokenURL, settingAuthorizationURL,
		settingAccessTokenURL, settingUserDataURL, settingAPIURL, settingAuthExtraArguments,
		settingRequestTokenExtraArguments, settingExtraData, settingIDKey, settingUsernameKey,
		settingEmailKey, settingFullNameKey, settingFirstNameKey, settingLastNameKey,
		settingEmailVerifiedKey, settingSignatureMethod, settingRSAPrivateKey, settingUnsafeAllowHTTP,
	}
}

// defaultTimeout bounds calls when the Config has no HTTP client.
const defaultTimeout = 30 * time.Second

// settingError reports a bad setting as the protocol packages do.
func settingError(name string, err error) error { return &oauth2.SettingError{Name: name, Err: err} }

// New builds an OAuth 1.0a backend named cfg.Name for provider p, reading
// the backend's settings (see the package documentation). It returns every
// missing or malformed setting at once, each a *[oauth2.SettingError]
// naming the full setting. The backend implements
// [backend.TokenAuthenticator].
func New(cfg backend.Config, p Provider) (backend.Backend, error) {
	name := cmp.Or(cfg.Name, cfg.Settings.Name())
	if name == "" {
		return nil, errors.New("oauth1: backend name is empty")
	}
	r := provider.NewReader(cfg.Settings.Settings(), name, settingError)
	b := &oauth1Backend{name: name, logger: cfg.Logger, now: cfg.Now, hooks: p.Hooks}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}

	signer := &Signer{ConsumerKey: r.Required(settingKey, "")}
	method := SignatureMethod(strings.ToUpper(strings.TrimSpace(r.Str(settingSignatureMethod, string(cmp.Or(p.SignatureMethod, HMACSHA1))))))
	switch method {
	case HMACSHA1, Plaintext:
		signer.ConsumerSecret = r.Required(settingSecret, "")
	case RSASHA1:
		// The secret is not used to sign, but some providers still
		// expect the key pair; it is read when given.
		signer.ConsumerSecret = r.Str(settingSecret, "")
		pemKey := strings.TrimSpace(r.Own(settingRSAPrivateKey, p.RSAPrivateKey))
		if pemKey == "" {
			r.Invalid(settingRSAPrivateKey, oauth2.ErrNotSet)
		} else if key, err := ParsePrivateKey([]byte(pemKey)); err != nil {
			r.Invalid(settingRSAPrivateKey, err)
		} else {
			signer.PrivateKey = key
		}
	default:
		r.Invalid(settingSignatureMethod, fmt.Errorf("unknown method %q (want %s, %s or %s)", method, HMACSHA1, RSASHA1, Plaintext))
	}
	signer.Method = method

	b.authExtra = r.Dict(settingAuthExtraArguments)
	if _, ok := b.authExtra["oauth_token"]; ok {
		r.Invalid(settingAuthExtraArguments, errors.New(`may not set "oauth_token", which socialauth sends itself`))
	}
	b.requestTokenExtra = r.Dict(settingRequestTokenExtraArguments)
	for k := range b.requestTokenExtra {
		if strings.HasPrefix(k, "oauth_") {
			r.Invalid(settingRequestTokenExtraArguments, fmt.Errorf("may not set %q: oauth_ parameters are socialauth's", k))
		}
	}

	// Mapping.
	idKey, mapping := r.Mapping(p.IDKey, provider.Mapping(p.Details))
	b.idKey, b.details = idKey, oauth2.DetailsMapping(mapping)
	b.extraData = r.ExtraData(provider.ConvertFields[provider.ExtraField](p.ExtraData))

	// Endpoints. PLAINTEXT needs every one of them on https or loopback.
	allowHTTP := r.Bool(settingUnsafeAllowHTTP, false)
	apiBase := r.APIBase(p.APIURL, allowHTTP)
	plaintextOK := true
	endpoint := func(name, def string, required bool) string {
		v := r.Endpoint(name, def, required, allowHTTP, apiBase)
		if u, _ := url.Parse(v); v != "" && !strings.EqualFold(u.Scheme, "https") && !provider.IsLoopbackHost(u.Hostname()) {
			plaintextOK = false
		}
		return v
	}
	b.requestTokenURL = endpoint(settingRequestTokenURL, p.RequestTokenURL, true)
	b.authorizationURL = endpoint(settingAuthorizationURL, p.AuthorizationURL, true)
	b.accessTokenURL = endpoint(settingAccessTokenURL, p.AccessTokenURL, true)
	userDataURL := endpoint(settingUserDataURL, p.UserDataURL, p.Hooks.UserData == nil)
	if method == Plaintext && !plaintextOK {
		r.Invalid(settingSignatureMethod, errors.New("PLAINTEXT sends the secrets themselves: it is allowed only when every endpoint is https or on a loopback host"))
	}

	if errs := r.Errs(); len(errs) > 0 {
		return nil, fmt.Errorf("oauth1: backend %s: %w", name, errors.Join(errs...))
	}

	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	b.caller = &Caller{
		backend:     name,
		client:      client,
		userAgent:   cmp.Or(cfg.UserAgent, "socialauth"),
		signer:      signer,
		apiBase:     apiBase,
		userDataURL: userDataURL,
		now:         b.now,
	}
	return b, nil
}
