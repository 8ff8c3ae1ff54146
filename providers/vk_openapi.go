package providers

import (
	"cmp"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// The vk-openapi backend is VK's JavaScript Open API login. VK's JS SDK
// (https://vk.com/js/api/openapi.js) logs the person in at VK in a popup
// and hands the page a session: expire, mid (the VK user id), secret, sid
// and sig. sig is the MD5 of "expire=<expire>mid=<mid>secret=<secret>sid=<sid>"
// followed by the application's secure key (its SECRET): only VK and the
// application know that key, so a session with a valid sig was issued by
// VK to this application for user mid. The SDK also writes the session
// into the cookie vk_app_<APP_ID> as "expire=…&mid=…&secret=…&sid=…&sig=…".
//
// socialauth checks the signature in constant time, refuses sessions past
// their expire time, and then asks VK for the profile of user mid with
// users.get, called with the application's service token
// (SERVICE_TOKEN): nothing the browser sends besides the signed session is
// trusted.
//
// Two ways in:
//
//   - /login/vk-openapi/ serves a small page that loads VK's SDK, calls
//     VK.Auth.login on a click and posts the session's five fields (with a
//     state bound to the browser) to /complete/vk-openapi/.
//   - /token/vk-openapi/, for a page of the application's own that uses
//     the SDK: it posts the five fields expire, mid, secret, sid and sig,
//     or the vk_app_<APP_ID> cookie's value as vk_session (see
//     [backend.TokenAuthenticator]).
//
// The session is a bearer credential until it expires: it must only
// travel over HTTPS.

// Settings read by vk-openapi.
const (
	// settingVKAppID is the application id, SOCIAL_AUTH_VK_OPENAPI_ID as
	// documented by python-social-auth.
	settingVKAppID = "ID"
	// settingVKAppIDAlias is python-social-auth's other name for it,
	// SOCIAL_AUTH_VK_OPENAPI_APP_ID.
	settingVKAppIDAlias = "APP_ID"
	// settingVKKey is the generic name of the application's id, also
	// accepted (SOCIAL_AUTH_VK_OPENAPI_KEY).
	settingVKKey      = "KEY"
	settingVKSecret   = "SECRET"
	settingUnsafeHTTP = "UNSAFE_ALLOW_HTTP_ENDPOINTS"
)

// The Open API session's fields, and the parameter that may carry the
// vk_app_<APP_ID> cookie's value instead.
const (
	vkSessionExpire = "expire"
	vkSessionMid    = "mid"
	vkSessionSecret = "secret"
	vkSessionSID    = "sid"
	vkSessionSig    = "sig"
	// VKSessionParam is the parameter that may carry a whole Open API
	// session in the vk_app_<APP_ID> cookie's format.
	VKSessionParam = "vk_session"
)

// VKOpenAPIParams returns the request parameters vk-openapi reads on
// /complete/vk-openapi/ and /token/vk-openapi/: the session's five fields
// and [VKSessionParam], in a fresh slice.
func VKOpenAPIParams() []string { return append(vkSessionFields(), VKSessionParam) }

// vkSessionFields returns the session's fields, sorted by name as the
// signature wants them.
func vkSessionFields() []string {
	return []string{vkSessionExpire, vkSessionMid, vkSessionSecret, vkSessionSID, vkSessionSig}
}

// The causes of vk-openapi's errors, for errors.Is.
var (
	// ErrVKSessionSignature: the session's sig is not the one VK computes
	// with this application's secure key (forged, altered, or issued to
	// another application).
	ErrVKSessionSignature = errors.New("providers: the VK Open API session's signature is invalid")
	// ErrVKSessionExpired: the session's expire time has passed.
	ErrVKSessionExpired = errors.New("providers: the VK Open API session has expired")
	// ErrVKSessionMalformed: a session field is malformed or repeated.
	ErrVKSessionMalformed = errors.New("providers: the VK Open API session is malformed")
)

// maxVKSessionLength bounds a session string; maxVKFieldLength bounds
// each of its values.
const (
	maxVKSessionLength = 2048
	maxVKFieldLength   = 256
)

var (
	vkDigits      = regexp.MustCompile(`^[0-9]{1,20}$`)
	vkSessionText = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	vkSigPattern  = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
)

// vkOpenAPISpec is the catalogue entry of vk-openapi.
func vkOpenAPISpec() backend.Spec {
	return backend.Spec{
		Name:     "vk-openapi",
		Protocol: "vk-openapi",
		Title:    "VK (JavaScript Open API)",
		Aliases:  aliases("social_core.backends.vk.VKontakteOpenAPI"),
		NeedsKey: false,
		Reads: []string{settingVKAppID, settingVKAppIDAlias, settingVKKey, settingVKSecret, settingServiceToken,
			settingAPIVersion, settingAPIURL, "EXTRA_DATA", settingUnsafeHTTP},
		Build: buildVKOpenAPI,
	}
}

// lookupVK finds vk-openapi by name or alias.
func lookupVK(name string) (backend.Spec, bool) {
	s := vkOpenAPISpec()
	if s.Name == name || slices.Contains(s.Aliases, name) {
		return s, true
	}
	return backend.Spec{}, false
}

// vkOpenAPI is the vk-openapi backend.
type vkOpenAPI struct {
	name         string
	appID        string
	secret       string
	serviceToken string
	usersGet     string // the users.get URL
	api          vkAPI
	extra        []oauth2.ExtraField
	caller       *oauth2.Caller
	now          func() time.Time
	logger       *slog.Logger
}

var (
	_ backend.Backend            = (*vkOpenAPI)(nil)
	_ backend.TokenAuthenticator = (*vkOpenAPI)(nil)
)

// buildVKOpenAPI builds vk-openapi from its settings, reporting every
// missing or malformed one at once.
func buildVKOpenAPI(cfg backend.Config) (backend.Backend, error) {
	if cfg.Name == "" {
		cfg.Name = "vk-openapi"
	}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var appID string
	for _, name := range []string{settingVKAppID, settingVKAppIDAlias, settingVKKey} {
		if appID != "" {
			break
		}
		var err error
		appID, err = oauth2.OwnString(cfg, name, "")
		add(err)
	}
	switch {
	case appID == "":
		add(&oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, settingVKAppID), Err: oauth2.ErrNotSet})
	case !vkDigits.MatchString(appID):
		add(&oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, settingVKAppID),
			Err: fmt.Errorf("%q is not a VK application id (digits)", appID)})
	}
	secret, err := oauth2.RequireString(cfg, settingVKSecret)
	add(err)
	serviceToken, err := oauth2.RequireOwnString(cfg, settingServiceToken)
	add(err)
	version, err := vkAPIVersionSetting(cfg)
	add(err)
	apiURL, err := oauth2.OwnString(cfg, settingAPIURL, vkAPIURL)
	add(err)
	if err == nil {
		if cerr := oauth2.CheckEndpoint(apiURL, cfg.Settings.Bool(settingUnsafeHTTP, false)); cerr != nil {
			add(&oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, settingAPIURL), Err: cerr})
		}
	}
	extra, err := oauth2.ReadExtraData(cfg, vkExtraDefault())
	add(err)
	if len(errs) > 0 {
		return nil, fmt.Errorf("providers: backend %s: %w", cfg.Name, errors.Join(errs...))
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	b := &vkOpenAPI{
		name:         cfg.Name,
		appID:        appID,
		secret:       secret,
		serviceToken: serviceToken,
		usersGet:     apiURL + "users.get",
		api:          vkAPI{version: version, fields: vkFields(extra)},
		extra:        extra,
		caller:       oauth2.NewCaller(cfg),
		now:          cfg.Now,
		logger:       cfg.Logger,
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	return b, nil
}

// Name implements backend.Backend.
func (b *vkOpenAPI) Name() string { return b.name }

// vkStashState is the stash key of the state the page posts back.
const vkStashState = "state"

// Begin implements backend.Backend: it serves the login page, which posts
// the session VK's SDK returns, with the state, to the redirect URI.
func (b *vkOpenAPI) Begin(_ context.Context, req *backend.BeginRequest) (*backend.BeginResult, error) {
	if req == nil || req.RedirectURI == "" {
		return nil, socialerr.Missing(b.name, "redirect_uri")
	}
	state := req.State
	if state == "" {
		var buf [32]byte
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
		state = base64.RawURLEncoding.EncodeToString(buf[:])
	}
	appID, _ := strconv.ParseInt(b.appID, 10, 64) // digits, checked by Build
	page := vkPageData{AppID: appID, Action: req.RedirectURI, State: state}
	return &backend.BeginResult{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
			w.Header().Set("Referrer-Policy", "no-referrer")
			if err := vkLoginPage.Execute(w, page); err != nil {
				b.logger.ErrorContext(r.Context(), "providers: rendering the VK login page", "backend", b.name, "err", err)
			}
		}),
		Stash: backend.Stash{vkStashState: state},
	}, nil
}

// Complete implements backend.Backend: the state must be the one Begin
// kept, then the session is checked as by AuthenticateToken. The session
// may come as the five fields, as vk_session, or in the vk_app_<APP_ID>
// cookie VK's SDK wrote.
func (b *vkOpenAPI) Complete(ctx context.Context, req *backend.CompleteRequest) (*backend.Identity, error) {
	if req == nil || req.Stash == nil {
		return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
	}
	want, got := req.Stash[vkStashState], req.Params.Get("state")
	if want == "" || got == "" {
		return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return nil, socialerr.New(socialerr.AuthStateForbidden, b.name, "")
	}
	params := req.Params
	if !hasAny(params, VKOpenAPIParams()) && req.Request != nil {
		if c, err := req.Request.Cookie("vk_app_" + b.appID); err == nil {
			params = url.Values{VKSessionParam: {c.Value}}
		}
	}
	return b.AuthenticateToken(ctx, params)
}

// hasAny reports whether v has a non-empty value for one of keys.
func hasAny(v url.Values, keys []string) bool {
	for _, k := range keys {
		if v.Get(k) != "" {
			return true
		}
	}
	return false
}

// AuthenticateToken implements backend.TokenAuthenticator: creds holds the
// Open API session's fields expire, mid, secret, sid and sig, or the
// whole session as vk_session. The signature must be the application's,
// the session unexpired; the profile is then fetched from VK.
func (b *vkOpenAPI) AuthenticateToken(ctx context.Context, creds url.Values) (*backend.Identity, error) {
	s, err := b.parseSession(creds)
	if err != nil {
		return nil, err
	}
	if err := b.verify(s); err != nil {
		return nil, err
	}
	user, err := b.api.user(ctx, b.caller, b.usersGet, s.mid, &backend.Token{AccessToken: b.serviceToken})
	if err != nil {
		return nil, err
	}
	d := oauth2.MapDetails(user, oauth2.DetailsMapping{
		Username: "screen_name", Email: oauth2.Unmapped, FullName: oauth2.Unmapped,
		FirstName: "first_name", LastName: "last_name", EmailVerified: oauth2.Unmapped,
	}, nil)
	extra, keep := b.extraData(user, s)
	return &backend.Identity{UID: s.mid, Details: d, Response: user, ExtraData: extra, KeepOldIfEmpty: keep}, nil
}

// vkSession is an Open API session.
type vkSession struct {
	expire int64
	mid    string
	secret string
	sid    string
	sig    string
	// signed is "expire=…mid=…secret=…sid=…", the text sig covers
	// before the secure key.
	signed string
}

// parseSession reads a session from the five fields or from vk_session.
func (b *vkOpenAPI) parseSession(creds url.Values) (*vkSession, error) {
	fields := map[string]string{}
	if raw, ok := creds[VKSessionParam]; ok && !hasAny(creds, vkSessionFields()) {
		if len(raw) != 1 || len(raw[0]) > maxVKSessionLength {
			return nil, b.malformed("vk_session")
		}
		for pair := range strings.SplitSeq(raw[0], "&") {
			k, v, ok := strings.Cut(pair, "=")
			if !ok || !slices.Contains(vkSessionFields(), k) {
				continue // the SDK's cookie may carry other values
			}
			if _, dup := fields[k]; dup {
				return nil, b.malformed(k)
			}
			fields[k] = v
		}
	} else {
		for _, k := range vkSessionFields() {
			vs := creds[k]
			if len(vs) > 1 {
				return nil, b.malformed(k)
			}
			if len(vs) == 1 {
				fields[k] = vs[0]
			}
		}
	}
	for _, k := range vkSessionFields() {
		v := fields[k]
		if v == "" {
			return nil, socialerr.Missing(b.name, k)
		}
		if len(v) > maxVKFieldLength || !vkSessionText.MatchString(v) {
			return nil, b.malformed(k)
		}
	}
	if !vkDigits.MatchString(fields[vkSessionExpire]) {
		return nil, b.malformed(vkSessionExpire)
	}
	if !vkDigits.MatchString(fields[vkSessionMid]) || strings.TrimLeft(fields[vkSessionMid], "0") != fields[vkSessionMid] {
		return nil, b.malformed(vkSessionMid)
	}
	if !vkSigPattern.MatchString(fields[vkSessionSig]) {
		return nil, b.malformed(vkSessionSig)
	}
	expire, err := strconv.ParseInt(fields[vkSessionExpire], 10, 64)
	if err != nil {
		return nil, b.malformed(vkSessionExpire)
	}
	s := &vkSession{
		expire: expire,
		mid:    fields[vkSessionMid],
		secret: fields[vkSessionSecret],
		sid:    fields[vkSessionSID],
		sig:    strings.ToLower(fields[vkSessionSig]),
	}
	// The fields sorted by name, each as name=value, nothing between.
	s.signed = vkSessionExpire + "=" + fields[vkSessionExpire] + vkSessionMid + "=" + s.mid +
		vkSessionSecret + "=" + s.secret + vkSessionSID + "=" + s.sid
	return s, nil
}

func (b *vkOpenAPI) malformed(field string) error {
	return socialerr.Wrap(socialerr.AuthTokenError, b.name, fmt.Errorf("%w: %s", ErrVKSessionMalformed, field), "")
}

// verify checks the signature (in constant time) and then the expiry.
func (b *vkOpenAPI) verify(s *vkSession) error {
	sum := md5.Sum([]byte(s.signed + b.secret))
	want := hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(want), []byte(s.sig)) != 1 {
		return socialerr.Wrap(socialerr.AuthTokenError, b.name, ErrVKSessionSignature, "")
	}
	if !b.now().Before(time.Unix(s.expire, 0)) {
		return socialerr.Wrap(socialerr.AuthTokenError, b.name, ErrVKSessionExpired, "")
	}
	return nil
}

// extraData builds the association's extra data: auth_time, the
// session's expiry and each EXTRA_DATA field of the profile.
func (b *vkOpenAPI) extraData(user map[string]any, s *vkSession) (map[string]any, map[string]bool) {
	data := map[string]any{"auth_time": b.now().Unix(), "expires_at": s.expire}
	var keep map[string]bool
	for _, f := range b.extra {
		alias := cmp.Or(f.Alias, f.Name)
		v, _ := oauth2.Lookup(user, f.Name)
		if f.Discard {
			if keep == nil {
				keep = map[string]bool{}
			}
			keep[alias] = true
			if v == nil || v == "" {
				continue
			}
		}
		data[alias] = v
	}
	return data, keep
}

// vkPageData is what the login page shows.
type vkPageData struct {
	AppID  int64
	Action string
	State  string
}

// vkLoginPage loads VK's Open API SDK and, on a click, logs in with
// VK.Auth.login and posts the session to the complete URL.
var vkLoginPage = template.Must(template.New("vk-openapi").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in with VK</title>
<script src="https://vk.com/js/api/openapi.js?169"></script>
</head>
<body>
<form id="vk-openapi" method="post" action="{{.Action}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="expire" value="">
<input type="hidden" name="mid" value="">
<input type="hidden" name="secret" value="">
<input type="hidden" name="sid" value="">
<input type="hidden" name="sig" value="">
<button type="button" id="vk-login">Sign in with VK</button>
</form>
<script>
(function () {
  var form = document.getElementById("vk-openapi");
  if (typeof VK === "undefined") { return; }
  VK.init({apiId: {{.AppID}}});
  document.getElementById("vk-login").addEventListener("click", function () {
    VK.Auth.login(function (reply) {
      if (!reply || !reply.session) { return; }
      ["expire", "mid", "secret", "sid", "sig"].forEach(function (name) {
        form.elements[name].value = reply.session[name];
      });
      form.submit();
    });
  });
})();
</script>
</body>
</html>
`))
