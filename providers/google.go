package providers

import (
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
)

// google describes Google's OAuth 2.0 login. The uid is the email, as in
// python-social-auth, or Google's stable "sub" with USE_UNIQUE_USER_ID
// (recommended for new projects: an email can change owner).
func google(cfg backend.Config) (oauth2.Provider, error) {
	unique, err := cfg.Settings.Settings().BoolE(cfg.Name, settingUseUniqueUserID, false)
	if err != nil {
		return oauth2.Provider{}, err
	}
	tokenInfo, err := oauth2.OwnString(cfg, "TOKENINFO_URL", googleTokenInfoURL)
	if err != nil {
		return oauth2.Provider{}, err
	}
	if err := oauth2.CheckEndpoint(tokenInfo, cfg.Settings.Bool("UNSAFE_ALLOW_HTTP_ENDPOINTS", false)); err != nil {
		return oauth2.Provider{}, &oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, "TOKENINFO_URL"), Err: err}
	}
	idKey := "email"
	if unique {
		idKey = "sub"
	}
	return oauth2.Provider{
		AuthorizationURL: "https://accounts.google.com/o/oauth2/v2/auth",
		AccessTokenURL:   "https://oauth2.googleapis.com/token",
		RevokeTokenURL:   "https://oauth2.googleapis.com/revoke",
		UserDataURL:      "https://openidconnect.googleapis.com/v1/userinfo",
		DefaultScope:     []string{"openid", "email", "profile"},
		IDKey:            idKey,
		Details: oauth2.DetailsMapping{
			Username:      oauth2.Unmapped,
			Email:         "email",
			FullName:      "name",
			FirstName:     "given_name",
			LastName:      "family_name",
			EmailVerified: "email_verified",
		},
		Hooks: oauth2.Hooks{
			MapDetails: func(_ map[string]any, d *backend.Details) {
				if d.Username == "" {
					d.Username, _, _ = strings.Cut(d.Email, "@")
				}
			},
			ValidateClientToken: googleClientToken(tokenInfo),
		},
	}, nil
}
