package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// VK (VKontakte) facts shared by the vk-oauth2 and vk-openapi backends.
const (
	vkAuthorizationURL = "https://oauth.vk.com/authorize"
	vkAccessTokenURL   = "https://oauth.vk.com/access_token"
	// vkAPIURL is the base of VK API methods: <base><method name>.
	vkAPIURL = "https://api.vk.com/method/"
	// vkAPIVersion is the VK API version ("v") sent on every call unless
	// API_VERSION says otherwise.
	vkAPIVersion = "5.199"
	// vkProfileFields are the users.get fields always asked for, beyond
	// the base ones (id, first_name, last_name).
	vkProfileFields = "screen_name"
)

// Settings read by the VK backends.
const (
	// settingServiceToken is the VK application's service token (from
	// the application's settings at VK), used to call secure.checkToken
	// and, for vk-openapi, users.get.
	settingServiceToken = "SERVICE_TOKEN"
)

var vkVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// vkFieldName is what a users.get field name looks like.
var vkFieldName = regexp.MustCompile(`^[a-z0-9_]+$`)

// vkErrorAuthFailed is VK's "user authorization failed" error code: an
// invalid, expired or revoked access token.
const vkErrorAuthFailed = 5

// vkErrorAccessDenied is VK's "access denied" error code.
const vkErrorAccessDenied = 15

// vkAPIVersionSetting reads API_VERSION under the backend's own name only
// (SOCIAL_AUTH_VK_OAUTH2_API_VERSION): a global API_VERSION meant for
// another provider's API would be meaningless here.
func vkAPIVersionSetting(cfg backend.Config) (string, error) {
	version, err := oauth2.OwnString(cfg, settingAPIVersion, vkAPIVersion)
	if err != nil {
		return "", err
	}
	version = strings.TrimPrefix(strings.TrimSpace(version), "v")
	if !vkVersionPattern.MatchString(version) {
		return "", &oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, settingAPIVersion),
			Err: fmt.Errorf("%q is not a VK API version like %q", version, vkAPIVersion)}
	}
	return version, nil
}

// vkFields returns the users.get fields to ask for: screen_name and the
// top-level names of EXTRA_DATA, so that EXTRA_DATA = ["photo_100"] just
// works.
func vkFields(extra []oauth2.ExtraField) string {
	fields := []string{vkProfileFields}
	for _, f := range extra {
		name, _, _ := strings.Cut(f.Name, ".")
		switch name {
		case "id", "first_name", "last_name", "email", "user_id", "access_token", "expires_in":
			continue
		}
		if vkFieldName.MatchString(name) && !slices.Contains(fields, name) {
			fields = append(fields, name)
		}
	}
	return strings.Join(fields, ",")
}

// vkExtraDefault is vk-oauth2's default EXTRA_DATA: the VK user id.
func vkExtraDefault() []oauth2.ExtraField { return []oauth2.ExtraField{{Name: "id", Alias: "id"}} }

// vkOAuth2 describes VK's OAuth 2.0 login (authorization code flow at
// oauth.vk.com). The profile comes from the users.get API method called
// with the access token and the API version; VK gives the email only in
// the token reply (with the "email" scope), so it is taken from there, as
// python-social-auth does. VK says nothing about email verification:
// emails are never marked verified.
//
// A login from a client SDK's access token (/token/vk-oauth2/) needs the
// application's service token in SERVICE_TOKEN: the access token is then
// checked with secure.checkToken, which VK answers only for tokens issued
// to the application the service token belongs to. Without SERVICE_TOKEN
// such logins are refused.
func vkOAuth2(cfg backend.Config) (oauth2.Provider, error) {
	version, err := vkAPIVersionSetting(cfg)
	if err != nil {
		return oauth2.Provider{}, err
	}
	serviceToken, err := oauth2.OwnString(cfg, settingServiceToken, "")
	if err != nil {
		return oauth2.Provider{}, err
	}
	extra, err := oauth2.ReadExtraData(cfg, vkExtraDefault())
	if err != nil {
		return oauth2.Provider{}, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	api := vkAPI{version: version, fields: vkFields(extra)}
	hooks := oauth2.Hooks{
		UserData: api.oauth2UserData,
		AuthorizationParams: func(_ context.Context, _ *backend.BeginRequest, params url.Values, _ backend.Stash) error {
			params.Set("v", version)
			return nil
		},
	}
	if serviceToken != "" {
		hooks.ValidateClientToken = api.checkToken(serviceToken, now)
	}
	return oauth2.Provider{
		AuthorizationURL: vkAuthorizationURL,
		AccessTokenURL:   vkAccessTokenURL,
		APIURL:           vkAPIURL,
		UserDataURL:      "users.get",
		DefaultScope:     []string{"email"},
		ScopeSeparator:   ",",
		TokenAuth:        oauth2.ClientSecretPost,
		IDKey:            "id",
		Details: oauth2.DetailsMapping{
			Username:  "screen_name",
			Email:     "email",
			FullName:  oauth2.Unmapped,
			FirstName: "first_name",
			LastName:  "last_name",
		},
		ExtraData: extra,
		Hooks:     hooks,
	}, nil
}

// vkAPI calls VK API methods.
type vkAPI struct {
	version string
	fields  string
}

// vkError is the "error" member of a VK API reply (which VK sends with
// status 200).
type vkError struct {
	Code    int    `json:"error_code"`
	Message string `json:"error_msg"`
}

// call GETs a VK API method at target with params, the API version and
// tok in the Authorization header, and decodes the reply's "response"
// member into dst. A VK error becomes a *socialerr.ProviderError:
// AuthTokenError for a refused token (codes 5 and 15), AuthUnknownError
// otherwise.
func (a vkAPI) call(ctx context.Context, c *oauth2.Caller, target string, params url.Values, tok *backend.Token, dst any) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("providers: %w", err)
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	q.Set("v", a.version)
	u.RawQuery = q.Encode()
	reply, err := c.Do(ctx, http.MethodGet, u.String(), tok, nil)
	if err != nil {
		return err
	}
	var envelope struct {
		Response json.RawMessage `json:"response"`
		Error    *vkError        `json:"error"`
	}
	if err := reply.DecodeJSON(&envelope); err != nil {
		return err
	}
	if e := envelope.Error; e != nil {
		kind := socialerr.AuthUnknownError
		if e.Code == vkErrorAuthFailed || e.Code == vkErrorAccessDenied {
			kind = socialerr.AuthTokenError
		}
		pe := reply.AsError(kind)
		pe.Code = strconv.Itoa(e.Code)
		pe.Description = e.Message
		return pe
	}
	dec := json.NewDecoder(bytes.NewReader(envelope.Response))
	dec.UseNumber()
	if len(envelope.Response) == 0 || string(envelope.Response) == "null" {
		pe := reply.AsError(socialerr.AuthUnknownError)
		pe.Err = errors.New("no response member in the reply")
		return pe
	}
	if err := dec.Decode(dst); err != nil {
		pe := reply.AsError(socialerr.AuthUnknownError)
		pe.Err = fmt.Errorf("malformed response member: %w", err)
		return pe
	}
	return nil
}

// user calls users.get at target and returns the one user it describes.
// With userID, that user is asked for and the reply must be about them.
func (a vkAPI) user(ctx context.Context, c *oauth2.Caller, target, userID string, tok *backend.Token) (map[string]any, error) {
	params := url.Values{"fields": {a.fields}}
	if userID != "" {
		params.Set("user_ids", userID)
	}
	var users []map[string]any
	if err := a.call(ctx, c, target, params, tok, &users); err != nil {
		return nil, err
	}
	if len(users) != 1 || users[0] == nil {
		return nil, socialerr.New(socialerr.AuthUnknownError, c.Backend(),
			fmt.Sprintf("users.get described %d users, want 1", len(users)))
	}
	user := users[0]
	id := strings.TrimSpace(oauth2.String(user["id"]))
	if id == "" {
		return nil, socialerr.New(socialerr.AuthUnknownError, c.Backend(), "the provider gave no user id")
	}
	if userID != "" && id != userID {
		return nil, socialerr.Wrap(socialerr.AuthFailed, c.Backend(), ErrVKUserMismatch, "")
	}
	return user, nil
}

// ErrVKUserMismatch is the cause of the error when two of VK's answers
// name different users (the token reply's or secure.checkToken's user_id
// and the profile's id, or an Open API session's mid and the profile's
// id).
var ErrVKUserMismatch = errors.New("providers: VK's answers are about different users")

// oauth2UserData is vk-oauth2's UserData hook: users.get for the token's
// user, with the email of the token reply. When the token reply (or
// secure.checkToken, for a client token) named the user, the profile must
// be theirs.
func (a vkAPI) oauth2UserData(ctx context.Context, c *oauth2.Caller, tok *backend.Token) (map[string]any, error) {
	user, err := a.user(ctx, c, c.UserDataURL(), "", tok)
	if err != nil {
		return nil, err
	}
	if want := strings.TrimSpace(oauth2.String(tok.Raw["user_id"])); want != "" && want != oauth2.String(user["id"]) {
		return nil, socialerr.Wrap(socialerr.AuthFailed, c.Backend(), ErrVKUserMismatch, "")
	}
	if email := strings.TrimSpace(oauth2.String(tok.Raw["email"])); email != "" {
		user["email"] = email
	}
	return user, nil
}

// checkToken is vk-oauth2's ValidateClientToken hook: secure.checkToken
// called with the application's service token, which VK answers only for
// a valid token issued to that application. The user it names is written
// into tok.Raw["user_id"], so that the profile fetched next must be
// theirs.
func (a vkAPI) checkToken(serviceToken string, now func() time.Time) func(context.Context, *oauth2.Caller, *backend.Token, oauth2.Client) error {
	return func(ctx context.Context, c *oauth2.Caller, tok *backend.Token, _ oauth2.Client) error {
		target, err := c.Resolve("secure.checkToken")
		if err != nil {
			return err
		}
		var checked struct {
			Success json.Number `json:"success"`
			UserID  json.Number `json:"user_id"`
			Expire  json.Number `json:"expire"`
		}
		err = a.call(ctx, c, target, url.Values{"token": {tok.AccessToken}}, &backend.Token{AccessToken: serviceToken}, &checked)
		if err != nil {
			return err
		}
		if checked.Success.String() != "1" || checked.UserID.String() == "" || checked.UserID.String() == "0" {
			return socialerr.New(socialerr.AuthTokenError, c.Backend(), "invalid token")
		}
		if exp, err := checked.Expire.Int64(); err == nil && exp > 0 && !now().Before(time.Unix(exp, 0)) {
			return socialerr.New(socialerr.AuthTokenError, c.Backend(), "expired token")
		}
		if tok.Raw == nil {
			tok.Raw = map[string]any{}
		}
		tok.Raw["user_id"] = checked.UserID
		return nil
	}
}
