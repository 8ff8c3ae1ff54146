package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// GitHub endpoints. On GitHub Enterprise the web host comes from the
// API_URL setting.
const (
	githubWebURL = "https://github.com/"
	githubAPIURL = "https://api.github.com/"
)

// githubCheck is the membership a GitHub backend requires.
type githubCheck int

const (
	githubPlain githubCheck = iota // any account
	githubOrg                      // a member of the organisation in NAME (SOCIAL_AUTH_GITHUB_ORG_NAME)
	githubTeam                     // an active member of the team in ID (SOCIAL_AUTH_GITHUB_TEAM_ID)
)

// github describes GitHub (or GitHub Enterprise) with a membership check.
func github(check githubCheck, enterprise bool) func(cfg backend.Config) (oauth2.Provider, error) {
	return func(cfg backend.Config) (oauth2.Provider, error) {
		var errs []error
		web, api := githubWebURL, githubAPIURL
		if enterprise {
			apiURL, err := oauth2.RequireOwnString(cfg, settingAPIURL)
			if err == nil {
				web, err = webRoot(apiURL)
				if err != nil {
					err = &oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, settingAPIURL), Err: err}
				}
				api = apiURL
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		p := oauth2.Provider{
			AuthorizationURL: web + "login/oauth/authorize",
			AccessTokenURL:   web + "login/oauth/access_token",
			APIURL:           api,
			UserDataURL:      "user",
			ScopeSeparator:   ",",
			TokenAuth:        oauth2.ClientSecretPost,
			IDKey:            "id",
			Details:          oauth2.DetailsMapping{Username: "login", Email: "email", FullName: "name"},
			ExtraData:        []oauth2.ExtraField{{Name: "id", Alias: "id"}, {Name: "login", Alias: "login"}},
		}
		m := githubMembership{check: check, backend: cfg.Name}
		var err error
		switch check {
		case githubOrg:
			m.org, err = oauth2.RequireOwnString(cfg, settingOrgName)
			p.DefaultScope = []string{"read:org"}
		case githubTeam:
			m.team, err = oauth2.RequireOwnString(cfg, settingTeamID)
			p.DefaultScope = []string{"read:org"}
		}
		if err != nil {
			errs = append(errs, err)
		}
		p.Hooks = oauth2.Hooks{UserData: m.userData, MapDetails: githubDetails, ValidateClientToken: githubClientToken}
		return p, errors.Join(errs...)
	}
}

// webRoot returns the web root of a GitHub Enterprise instance from its
// API URL ("https://git.example.com/api/v3/" → "https://git.example.com/").
func webRoot(apiURL string) (string, error) {
	u, err := url.Parse(apiURL)
	if err != nil {
		return "", err
	}
	if !u.IsAbs() || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL", apiURL)
	}
	return u.Scheme + "://" + u.Host + "/", nil
}

type githubMembership struct {
	check   githubCheck
	backend string
	org     string
	team    string
}

// userData reads the profile, the email list (to know which email is
// verified, and to find one when the profile shows none) and checks the
// membership the backend requires.
func (m githubMembership) userData(ctx context.Context, c *oauth2.Caller, tok *backend.Token) (map[string]any, error) {
	resp, err := c.UserData(ctx, tok)
	if err != nil {
		return nil, err
	}
	if err := addGitHubEmails(ctx, c, tok, resp); err != nil {
		return nil, err
	}
	login := oauth2.String(resp["login"])
	if m.check != githubPlain && login == "" {
		return nil, socialerr.New(socialerr.AuthUnknownError, m.backend, "the provider gave no login")
	}
	switch m.check {
	case githubOrg:
		err = m.checkOrg(ctx, c, tok, login)
	case githubTeam:
		err = m.checkTeam(ctx, c, tok, login)
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// addGitHubEmails stores GET /user/emails under "emails" and, when the
// profile has no public email, puts the primary verified one in "email".
// The list needs the user:email scope: when GitHub refuses it, the login
// goes on with the email unverified.
func addGitHubEmails(ctx context.Context, c *oauth2.Caller, tok *backend.Token, resp map[string]any) error {
	u, err := c.Resolve("user/emails")
	if err != nil {
		return err
	}
	var emails []any
	if err := c.GetJSON(ctx, u, tok, &emails); err != nil {
		if _, isReply := errors.AsType[*socialerr.ProviderError](err); isReply {
			return nil
		}
		return err
	}
	resp["emails"] = emails
	if oauth2.String(resp["email"]) != "" {
		return nil
	}
	var fallback string
	for _, item := range emails {
		e, _ := item.(map[string]any)
		if e["verified"] != true {
			continue
		}
		addr := oauth2.String(e["email"])
		if e["primary"] == true {
			resp["email"] = addr
			return nil
		}
		if fallback == "" {
			fallback = addr
		}
	}
	if fallback != "" {
		resp["email"] = fallback
	}
	return nil
}

// githubDetails marks the email verified only when GitHub's email list
// says so.
func githubDetails(resp map[string]any, d *backend.Details) {
	d.EmailVerified = false
	emails, _ := resp["emails"].([]any)
	for _, item := range emails {
		e, _ := item.(map[string]any)
		if strings.EqualFold(oauth2.String(e["email"]), d.Email) && e["verified"] == true {
			d.EmailVerified = true
			return
		}
	}
}

// checkOrg: GET /orgs/{org}/members/{login} answers 204 for a member.
func (m githubMembership) checkOrg(ctx context.Context, c *oauth2.Caller, tok *backend.Token, login string) error {
	u, err := c.Resolve("orgs/" + url.PathEscape(m.org) + "/members/" + url.PathEscape(login))
	if err != nil {
		return err
	}
	reply, err := c.Do(ctx, http.MethodGet, u, tok, nil)
	if err != nil {
		return err
	}
	if reply.StatusCode == http.StatusNoContent {
		return nil
	}
	return m.refuse(reply, "you are not a member of the "+m.org+" organization")
}

// checkTeam: GET /teams/{id}/memberships/{login} answers state "active"
// for a member.
func (m githubMembership) checkTeam(ctx context.Context, c *oauth2.Caller, tok *backend.Token, login string) error {
	u, err := c.Resolve("teams/" + url.PathEscape(m.team) + "/memberships/" + url.PathEscape(login))
	if err != nil {
		return err
	}
	reply, err := c.Do(ctx, http.MethodGet, u, tok, nil)
	if err != nil {
		return err
	}
	if reply.OK() {
		var membership struct {
			State string `json:"state"`
		}
		if err := reply.DecodeJSON(&membership); err != nil {
			return err
		}
		if membership.State == "active" {
			return nil
		}
	}
	return m.refuse(reply, "you are not an active member of the team")
}

// refuse maps a failed membership check: a refused token or a broken
// provider keep their kinds, anything else is AuthForbidden.
func (m githubMembership) refuse(reply *oauth2.Reply, message string) error {
	switch {
	case reply.StatusCode == http.StatusUnauthorized:
		return reply.AsError(socialerr.AuthTokenError)
	case reply.StatusCode >= 500:
		return reply.AsError(socialerr.AuthUnknownError)
	}
	return &socialerr.Error{Kind: socialerr.AuthForbidden, Backend: m.backend, Message: message,
		Err: fmt.Errorf("membership check: status %d", reply.StatusCode)}
}
