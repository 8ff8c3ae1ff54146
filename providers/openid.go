package providers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/openid"
	"github.com/socialauth/socialauth/socialerr"
)

// openidEntry is an OpenID 2.0 backend of the catalogue.
type openidEntry struct {
	name     string
	title    string
	python   string
	reads    []string
	provider func(cfg backend.Config) (openid.Provider, error)
}

// openidEntries is the OpenID 2.0 part of the catalogue.
func openidEntries() []openidEntry {
	fixed := func(u, usernameKey string) func(backend.Config) (openid.Provider, error) {
		return func(backend.Config) (openid.Provider, error) {
			return openid.Provider{URL: u, UsernameKey: usernameKey}, nil
		}
	}
	return []openidEntry{
		{name: "openid", title: "OpenID 2.0 (the person gives an identifier)", python: "social_core.backends.open_id.OpenIdAuth",
			provider: fixed("", "")},
		{name: "launchpad", title: "Launchpad", python: "social_core.backends.launchpad.LaunchpadOpenId",
			provider: fixed("https://login.launchpad.net", "nickname")},
		{name: "fedora", title: "Fedora", python: "social_core.backends.fedora.FedoraOpenId",
			provider: fixed("https://id.fedoraproject.org", "nickname")},
		{name: "livejournal", title: "LiveJournal", python: "social_core.backends.livejournal.LiveJournalOpenId",
			provider: liveJournal},
		{name: "steam", title: "Steam", python: "social_core.backends.steam.SteamOpenId",
			reads: []string{settingAPIKey, settingAPIURL}, provider: steam},
	}
}

func openidSpecs() []backend.Spec {
	entries := openidEntries()
	specs := make([]backend.Spec, 0, len(entries))
	for _, e := range entries {
		specs = append(specs, e.spec())
	}
	return specs
}

// lookupOpenID finds an OpenID backend by name or python-social-auth
// class path.
func lookupOpenID(name string) (backend.Spec, bool) {
	for _, s := range openidSpecs() {
		if s.Name == name || slices.Contains(s.Aliases, name) {
			return s, true
		}
	}
	return backend.Spec{}, false
}

func (e openidEntry) spec() backend.Spec {
	return backend.Spec{
		Name:     e.name,
		Protocol: "openid",
		Title:    e.title,
		Aliases:  aliases(e.python),
		Reads:    slices.Clone(e.reads),
		Build: func(cfg backend.Config) (backend.Backend, error) {
			if cfg.Name == "" {
				cfg.Name = e.name
			}
			p, err := e.provider(cfg)
			if err != nil {
				return nil, fmt.Errorf("providers: backend %s: %w", cfg.Name, err)
			}
			return openid.New(cfg, p)
		},
	}
}

// LiveJournal identifiers are https://<user>.livejournal.com; the URL
// setting may replace the template (with "{user}" where the name goes).
const (
	liveJournalURL   = "https://{user}.livejournal.com/"
	liveJournalParam = "openid_lj_user"
)

// liveJournalUser is what a LiveJournal user name may be: letters, digits,
// underscores and hyphens, at most 15.
var liveJournalUser = regexp.MustCompile(`^[a-z0-9_-]{1,15}$`)

func liveJournal(cfg backend.Config) (openid.Provider, error) {
	return openid.Provider{
		URL: liveJournalURL,
		Identifier: func(params url.Values, base string) (string, error) {
			user := strings.ToLower(strings.TrimSpace(params.Get(liveJournalParam)))
			if user == "" {
				return "", socialerr.Missing(cfg.Name, liveJournalParam)
			}
			if !liveJournalUser.MatchString(user) || strings.HasPrefix(user, "-") || strings.HasSuffix(user, "-") {
				return "", socialerr.New(socialerr.AuthFailed, cfg.Name, "this is not a LiveJournal user name")
			}
			if !strings.Contains(base, "{user}") {
				return "", errors.New("providers: the livejournal URL setting needs a {user} placeholder")
			}
			// Host names use hyphens where user names have underscores.
			host := strings.ReplaceAll(user, "_", "-")
			return strings.ReplaceAll(base, "{user}", host), nil
		},
		Hooks: openid.Hooks{MapDetails: func(resp map[string]any, d *backend.Details) {
			if d.Username != "" {
				return
			}
			if u, err := url.Parse(oauth2.String(resp["claimed_id"])); err == nil {
				if sub, _, ok := strings.Cut(u.Hostname(), "."); ok {
					d.Username = sub
				}
			}
		}},
	}, nil
}

// Steam: the OP identifier, and its Web API for the player's profile.
const (
	steamURL      = "https://steamcommunity.com/openid"
	steamAPIURL   = "https://api.steampowered.com/"
	settingAPIKey = "API_KEY"
)

// steamID is a SteamID64.
var steamID = regexp.MustCompile(`^[0-9]{17}$`)

// steam reads API_KEY (required: the player's profile comes from the Web
// API) and API_URL (the Web API base, for tests).
func steam(cfg backend.Config) (openid.Provider, error) {
	var errs []error
	key, err := oauth2.RequireOwnString(cfg, settingAPIKey)
	if err != nil {
		errs = append(errs, err)
	}
	api := steamAPIURL
	if v, err := oauth2.RequireOwnString(cfg, settingAPIURL); err == nil {
		api = v
	}
	if u, err := url.Parse(api); err != nil || !u.IsAbs() || u.Host == "" {
		errs = append(errs, &oauth2.SettingError{Name: oauth2.SettingName(cfg.Name, settingAPIURL), Err: fmt.Errorf("%q is not an absolute URL", api)})
	}
	if !strings.HasSuffix(api, "/") {
		api += "/"
	}
	if len(errs) > 0 {
		return openid.Provider{}, errors.Join(errs...)
	}
	// The claimed identifier is <URL>/id/<SteamID64>, under the
	// configured URL.
	base := steamURL
	if v, err := oauth2.RequireOwnString(cfg, openid.SettingURL); err == nil {
		base = v
	}
	prefix := strings.TrimSuffix(base, "/") + "/id/"
	return openid.Provider{
		URL:       steamURL,
		ExtraData: nil,
		Hooks: openid.Hooks{
			UID: func(a *openid.Assertion) (string, error) {
				id, ok := strings.CutPrefix(a.ClaimedID, prefix)
				if !ok || !steamID.MatchString(id) {
					return "", socialerr.New(socialerr.AuthFailed, cfg.Name, "the provider did not return a Steam ID")
				}
				return id, nil
			},
			UserData: func(ctx context.Context, c *openid.Caller, _ *openid.Assertion, uid string, resp map[string]any) error {
				q := url.Values{"key": {key}, "steamids": {uid}}
				var reply struct {
					Response struct {
						Players []map[string]any `json:"players"`
					} `json:"response"`
				}
				if err := c.GetJSON(ctx, api+"ISteamUser/GetPlayerSummaries/v0002/?"+q.Encode(), &reply); err != nil {
					return err
				}
				if len(reply.Response.Players) == 0 || oauth2.String(reply.Response.Players[0]["steamid"]) != uid {
					return socialerr.New(socialerr.AuthUnknownError, cfg.Name, "Steam did not return this player's profile")
				}
				resp["player"] = reply.Response.Players[0]
				return nil
			},
			MapDetails: func(resp map[string]any, d *backend.Details) {
				player, _ := resp["player"].(map[string]any)
				*d = backend.Details{Username: oauth2.String(player["personaname"])}
			},
		},
	}, nil
}
