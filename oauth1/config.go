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
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/settings"
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

// reader reads one backend's settings and collects every problem.
type reader struct {
	set  *settings.Settings
	name string
	errs []error
}

func (r *reader) full(name string) string { return oauth2.SettingName(r.name, name) }

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

// own reads a string setting only under the backend's own name: endpoint
// URLs, ID_KEY and keys are never taken from global fallbacks, which would
// send every backend's tokens to one host or change how every account is
// identified.
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

func (r *reader) dict(name string) map[string]string {
	v, err := r.set.StringMapE(r.name, name)
	r.add(err)
	return v
}

func (r *reader) required(name string) string {
	v := strings.TrimSpace(r.str(name, ""))
	if v == "" {
		r.add(&oauth2.SettingError{Name: r.full(name), Err: oauth2.ErrNotSet})
	}
	return v
}

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
	r := &reader{set: cfg.Settings.Settings(), name: name}
	b := &oauth1Backend{name: name, logger: cfg.Logger, now: cfg.Now, hooks: p.Hooks}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}

	signer := &Signer{ConsumerKey: r.required(settingKey)}
	method := SignatureMethod(strings.ToUpper(strings.TrimSpace(r.str(settingSignatureMethod, string(cmp.Or(p.SignatureMethod, HMACSHA1))))))
	switch method {
	case HMACSHA1, Plaintext:
		signer.ConsumerSecret = r.required(settingSecret)
	case RSASHA1:
		// The secret is not used to sign, but some providers still
		// expect the key pair; it is read when given.
		signer.ConsumerSecret = r.str(settingSecret, "")
		pemKey := strings.TrimSpace(r.own(settingRSAPrivateKey, p.RSAPrivateKey))
		if pemKey == "" {
			r.add(&oauth2.SettingError{Name: r.full(settingRSAPrivateKey), Err: oauth2.ErrNotSet})
		} else if key, err := ParsePrivateKey([]byte(pemKey)); err != nil {
			r.add(&oauth2.SettingError{Name: r.full(settingRSAPrivateKey), Err: err})
		} else {
			signer.PrivateKey = key
		}
	default:
		r.add(&oauth2.SettingError{Name: r.full(settingSignatureMethod),
			Err: fmt.Errorf("unknown method %q (want %s, %s or %s)", method, HMACSHA1, RSASHA1, Plaintext)})
	}
	signer.Method = method

	b.authExtra = r.dict(settingAuthExtraArguments)
	if _, ok := b.authExtra["oauth_token"]; ok {
		r.add(&oauth2.SettingError{Name: r.full(settingAuthExtraArguments),
			Err: errors.New(`may not set "oauth_token", which socialauth sends itself`)})
	}
	b.requestTokenExtra = r.dict(settingRequestTokenExtraArguments)
	for k := range b.requestTokenExtra {
		if strings.HasPrefix(k, "oauth_") {
			r.add(&oauth2.SettingError{Name: r.full(settingRequestTokenExtraArguments),
				Err: fmt.Errorf("may not set %q: oauth_ parameters are socialauth's", k)})
		}
	}

	// Mapping.
	b.idKey = r.own(settingIDKey, cmp.Or(p.IDKey, "id"))
	b.details = oauth2.DetailsMapping{
		Username:      r.str(settingUsernameKey, cmp.Or(p.Details.Username, "username")),
		Email:         r.str(settingEmailKey, cmp.Or(p.Details.Email, "email")),
		FullName:      r.str(settingFullNameKey, cmp.Or(p.Details.FullName, "name")),
		FirstName:     r.str(settingFirstNameKey, cmp.Or(p.Details.FirstName, "first_name")),
		LastName:      r.str(settingLastNameKey, cmp.Or(p.Details.LastName, "last_name")),
		EmailVerified: r.own(settingEmailVerifiedKey, cmp.Or(p.Details.EmailVerified, oauth2.Unmapped)),
	}
	extra, err := oauth2.ReadExtraData(cfg, p.ExtraData)
	r.add(err)
	b.extraData = extra

	// Endpoints.
	allowHTTP := r.boolean(settingUnsafeAllowHTTP, false)
	var apiBase *url.URL
	if apiURL := strings.TrimSpace(r.own(settingAPIURL, p.APIURL)); apiURL != "" {
		if err := oauth2.CheckEndpoint(apiURL, allowHTTP); err != nil {
			r.add(&oauth2.SettingError{Name: r.full(settingAPIURL), Err: err})
		} else {
			apiBase, _ = url.Parse(apiURL)
			if !strings.HasSuffix(apiBase.Path, "/") {
				apiBase.Path += "/"
			}
		}
	}
	plaintextOK := true
	endpoint := func(name, def string, required bool) string {
		v := strings.TrimSpace(r.own(name, def))
		if v == "" {
			if required {
				r.add(&oauth2.SettingError{Name: r.full(name), Err: oauth2.ErrNotSet})
			}
			return ""
		}
		u, err := url.Parse(v)
		if err == nil && !u.IsAbs() && !strings.HasPrefix(v, "//") {
			if apiBase == nil {
				r.add(&oauth2.SettingError{Name: r.full(name),
					Err: fmt.Errorf("%q is relative and %s is not set", v, r.full(settingAPIURL))})
				return ""
			}
			v = apiBase.ResolveReference(u).String()
		}
		if err := oauth2.CheckEndpoint(v, allowHTTP); err != nil {
			r.add(&oauth2.SettingError{Name: r.full(name), Err: err})
			return ""
		}
		if u, _ := url.Parse(v); !strings.EqualFold(u.Scheme, "https") && !oauth2.IsLoopbackHost(u.Hostname()) {
			plaintextOK = false
		}
		return v
	}
	b.requestTokenURL = endpoint(settingRequestTokenURL, p.RequestTokenURL, true)
	b.authorizationURL = endpoint(settingAuthorizationURL, p.AuthorizationURL, true)
	b.accessTokenURL = endpoint(settingAccessTokenURL, p.AccessTokenURL, true)
	userDataURL := endpoint(settingUserDataURL, p.UserDataURL, p.Hooks.UserData == nil)
	if method == Plaintext && !plaintextOK {
		r.add(&oauth2.SettingError{Name: r.full(settingSignatureMethod),
			Err: errors.New("PLAINTEXT sends the secrets themselves: it is allowed only when every endpoint is https or on a loopback host")})
	}

	if len(r.errs) > 0 {
		return nil, fmt.Errorf("oauth1: backend %s: %w", name, errors.Join(r.errs...))
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
