package providers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// facebookAPIVersion is the Graph API version used unless API_VERSION
// says otherwise.
const facebookAPIVersion = "26.0"

// facebookFields are the profile fields asked for unless
// PROFILE_EXTRA_PARAMS has "fields".
const facebookFields = "id,name,email,first_name,last_name"

var facebookVersionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// facebook describes Facebook Login on the Graph API. Every Graph call
// carries appsecret_proof, the HMAC-SHA256 of the access token keyed with
// the app secret, so that the app works with "Require App Secret" on.
// Facebook says nothing about email verification: emails are never marked
// verified.
func facebook(cfg backend.Config) (oauth2.Provider, error) {
	set := cfg.Settings.Settings()
	version, err := set.StringE(cfg.Name, settingAPIVersion, facebookAPIVersion)
	if err != nil {
		return oauth2.Provider{}, err
	}
	version = strings.TrimPrefix(strings.TrimSpace(version), "v")
	if !facebookVersionPattern.MatchString(version) {
		return oauth2.Provider{}, &oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, settingAPIVersion),
			Err: fmt.Errorf("%q is not a Graph API version like %q", version, facebookAPIVersion)}
	}
	extraParams, err := set.StringMapE(cfg.Name, settingProfileExtraParams)
	if err != nil {
		return oauth2.Provider{}, err
	}
	secret, _ := set.StringE(cfg.Name, "SECRET", "") // New reports a malformed secret
	g := facebookGraph{secret: secret, params: extraParams}
	return oauth2.Provider{
		AuthorizationURL: "https://www.facebook.com/v" + version + "/dialog/oauth",
		APIURL:           "https://graph.facebook.com/v" + version + "/",
		AccessTokenURL:   "oauth/access_token",
		UserDataURL:      "me",
		DefaultScope:     []string{"email"},
		ScopeSeparator:   ",",
		TokenAuth:        oauth2.ClientSecretPost,
		UserDataAuth:     oauth2.TokenInQuery,
		IDKey:            "id",
		Details: oauth2.DetailsMapping{
			Username:  oauth2.Unmapped,
			Email:     "email",
			FullName:  "name",
			FirstName: "first_name",
			LastName:  "last_name",
		},
		ExtraData: []oauth2.ExtraField{{Name: "id", Alias: "id"}},
		Hooks:     oauth2.Hooks{UserData: g.userData, Revoke: g.revoke, ValidateClientToken: facebookClientToken},
	}, nil
}

type facebookGraph struct {
	secret string
	params map[string]string
}

// proof is the appsecret_proof of a token.
func (g facebookGraph) proof(token string) string {
	mac := hmac.New(sha256.New, []byte(g.secret))
	mac.Write([]byte(token))
	return hex.EncodeToString(mac.Sum(nil))
}

// userData GETs /me with the fields and PROFILE_EXTRA_PARAMS.
func (g facebookGraph) userData(ctx context.Context, c *oauth2.Caller, tok *backend.Token) (map[string]any, error) {
	u, err := url.Parse(c.UserDataURL())
	if err != nil {
		return nil, fmt.Errorf("providers: %w", err)
	}
	q := u.Query()
	q.Set("fields", facebookFields)
	for k, v := range g.params {
		q.Set(k, v)
	}
	q.Set("appsecret_proof", g.proof(tok.AccessToken))
	u.RawQuery = q.Encode()
	var resp map[string]any
	if err := c.GetJSON(ctx, u.String(), tok, &resp); err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, socialerr.New(socialerr.AuthUnknownError, c.Backend(), "empty profile")
	}
	return resp, nil
}

// revoke removes the app's permissions: DELETE /me/permissions.
func (g facebookGraph) revoke(ctx context.Context, c *oauth2.Caller, extraData map[string]any) error {
	token, _ := extraData["access_token"].(string)
	if token == "" {
		return nil
	}
	target, err := c.Resolve("me/permissions?appsecret_proof=" + g.proof(token))
	if err != nil {
		return err
	}
	reply, err := c.Do(ctx, http.MethodDelete, target, &backend.Token{AccessToken: token}, nil)
	if err != nil {
		return err
	}
	return reply.RevokeError()
}
