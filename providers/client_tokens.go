package providers

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// This file holds the checks that let a login start from an access token a
// client SDK obtained (POST /token/{backend}/): each asks the provider
// whether the token is valid and was issued to this application, so that a
// token obtained by another application cannot be replayed here.

// googleTokenInfoURL is Google's token information endpoint; the
// TOKENINFO_URL setting replaces it.
const googleTokenInfoURL = "https://oauth2.googleapis.com/tokeninfo"

// googleClientToken checks a Google access token with the tokeninfo
// endpoint: its audience (aud or azp) must be this application's client id.
func googleClientToken(tokenInfoURL string) func(context.Context, *oauth2.Caller, *backend.Token, oauth2.Client) error {
	return func(ctx context.Context, c *oauth2.Caller, tok *backend.Token, client oauth2.Client) error {
		var info struct {
			Aud   string `json:"aud"`
			Azp   string `json:"azp"`
			Error string `json:"error"`
		}
		u := tokenInfoURL + "?access_token=" + url.QueryEscape(tok.AccessToken)
		if err := c.GetJSON(ctx, u, nil, &info); err != nil {
			return err
		}
		if info.Aud != client.ID && info.Azp != client.ID {
			return socialerr.New(socialerr.AuthForbidden, c.Backend(), "this token was issued to another application")
		}
		return nil
	}
}

// facebookClientToken checks a Facebook access token with the Graph API's
// debug_token call, authenticated with the app access token
// "<app id>|<app secret>": it must be valid and belong to this app.
func facebookClientToken(ctx context.Context, c *oauth2.Caller, tok *backend.Token, client oauth2.Client) error {
	target, err := c.Resolve("debug_token?input_token=" + url.QueryEscape(tok.AccessToken) +
		"&access_token=" + url.QueryEscape(client.ID+"|"+client.Secret))
	if err != nil {
		return err
	}
	var reply struct {
		Data struct {
			AppID   string `json:"app_id"`
			IsValid bool   `json:"is_valid"`
		} `json:"data"`
	}
	if err := c.GetJSON(ctx, target, nil, &reply); err != nil {
		return err
	}
	if !reply.Data.IsValid {
		return socialerr.New(socialerr.AuthTokenError, c.Backend(), "invalid token")
	}
	if reply.Data.AppID != client.ID {
		return socialerr.New(socialerr.AuthForbidden, c.Backend(), "this token was issued to another application")
	}
	return nil
}

// githubClientToken checks a GitHub token with the "check a token" call,
// POST /applications/{client_id}/token authenticated as the OAuth app: it
// answers 200 only for tokens of this app.
func githubClientToken(ctx context.Context, c *oauth2.Caller, tok *backend.Token, client oauth2.Client) error {
	target, err := c.Resolve("applications/" + url.PathEscape(client.ID) + "/token")
	if err != nil {
		return err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(client.ID + ":" + client.Secret))
	header := http.Header{"Authorization": {"Basic " + basic}, "Accept": {"application/vnd.github+json"}}
	reply, err := c.DoJSON(ctx, http.MethodPost, target, header, map[string]string{"access_token": tok.AccessToken})
	if err != nil {
		return err
	}
	switch {
	case reply.OK():
		var body struct {
			App struct {
				ClientID string `json:"client_id"`
			} `json:"app"`
		}
		if err := reply.DecodeJSON(&body); err != nil {
			return err
		}
		if body.App.ClientID != "" && !strings.EqualFold(body.App.ClientID, client.ID) {
			return socialerr.New(socialerr.AuthForbidden, c.Backend(), "this token was issued to another application")
		}
		return nil
	case reply.StatusCode == http.StatusNotFound, reply.StatusCode == http.StatusUnprocessableEntity:
		return socialerr.New(socialerr.AuthTokenError, c.Backend(), "invalid token")
	}
	return reply.AsError(socialerr.AuthUnknownError)
}
