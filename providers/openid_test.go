package providers

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store/memstore"
)

func openidConfig(name string, m settings.Map) backend.Config {
	st := memstore.New(memstore.Options{})
	return backend.Config{Name: name, Settings: settings.New(m).For(name), HTTPClient: &http.Client{Timeout: 5 * time.Second},
		UserAgent: "socialauth-test/1", Logger: slog.New(slog.DiscardHandler), Now: time.Now, Nonces: st, OpenIDAssociations: st}
}

// checkOpenIDSpec is TestCatalogue's check of an OpenID 2.0 backend.
func checkOpenIDSpec(t *testing.T, spec backend.Spec) {
	t.Helper()
	if spec.Title == "" || spec.Build == nil || spec.NeedsKey || len(spec.Aliases) != 2 {
		t.Errorf("spec %+v", spec)
	}
	for _, alias := range spec.Aliases {
		if got, ok := Lookup(alias); !ok || got.Name != spec.Name || got.Protocol != "openid" {
			t.Errorf("Lookup(%q) = %v, %v", alias, got.Name, ok)
		}
	}
	m := settings.Map{}
	_, err := spec.Build(openidConfig(spec.Name, m))
	for _, name := range missingSettings(err) {
		m[name] = "sample"
	}
	b, err := spec.Build(openidConfig(spec.Name, m))
	if err != nil {
		t.Fatalf("Build with %v: %v", m, err)
	}
	if b.Name() != spec.Name {
		t.Errorf("Name() = %q", b.Name())
	}
}

func TestOpenIDAliases(t *testing.T) {
	for alias, name := range map[string]string{
		"social_core.backends.open_id.OpenIdAuth":            "openid",
		"social_core.backends.steam.SteamOpenId":             "steam",
		"social_core.backends.livejournal.LiveJournalOpenId": "livejournal",
		"social_core.backends.launchpad.LaunchpadOpenId":     "launchpad",
		"social.backends.fedora.FedoraOpenId":                "fedora",
	} {
		if spec, ok := Lookup(alias); !ok || spec.Name != name {
			t.Errorf("Lookup(%q) = %q, %v", alias, spec.Name, ok)
		}
	}
	if spec, _ := Lookup("steam"); !slices.Equal(spec.Reads, []string{"API_KEY", "API_URL"}) {
		t.Errorf("steam reads %v", spec.Reads)
	}
	_, err := mustLookup(t, "steam").Build(openidConfig("steam", settings.Map{}))
	if !slices.Contains(missingSettings(err), "SOCIAL_AUTH_STEAM_API_KEY") {
		t.Errorf("steam without API_KEY: %v", err)
	}
}

func mustLookup(t *testing.T, name string) backend.Spec {
	t.Helper()
	spec, ok := Lookup(name)
	if !ok {
		t.Fatalf("no backend %q", name)
	}
	return spec
}

// openidLogin drives a whole OpenID login against a fake OP.
func openidLogin(t *testing.T, name string, m settings.Map, params url.Values) (*backend.Identity, error) {
	t.Helper()
	b, err := mustLookup(t, name).Build(openidConfig(name, m))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s-1", Params: params})
	if err != nil {
		return nil, err
	}
	resp, err := socialtest.NewBrowserNoRedirect(t).Get(res.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("OP answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: loc.Query(), Stash: res.Stash,
		Request: httptest.NewRequest(http.MethodGet, loc.String(), nil)})
}

func TestFixedEndpointOpenIDBackends(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t)
	for _, name := range []string{"launchpad", "fedora"} {
		id, err := openidLogin(t, name, prefixed(name, map[string]any{"URL": op.OPIdentifier()}), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if id.UID != op.IdentifierURL("alice") || id.Details.Username != "alice" || id.Details.EmailVerified {
			t.Errorf("%s: %+v", name, id)
		}
	}
	// The default identifiers are https.
	for _, e := range openidEntries() {
		p, err := e.provider(openidConfig(e.name, settings.Map{"SOCIAL_AUTH_STEAM_API_KEY": "k"}))
		if err != nil {
			t.Fatal(err)
		}
		if p.URL != "" && !strings.HasPrefix(p.URL, "https://") {
			t.Errorf("%s: %q is not https", e.name, p.URL)
		}
	}
}

func TestLiveJournal(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t, socialtest.WithOpenIDUser("lj-user", map[string]string{"email": "lj@example.com"}))
	m := prefixed("livejournal", map[string]any{"URL": op.URL + "/openid/id/{user}"})
	id, err := openidLogin(t, "livejournal", m, url.Values{"openid_lj_user": {"LJ_User"}})
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != op.IdentifierURL("lj-user") || id.Details.Email != "lj@example.com" {
		t.Errorf("identity %+v", id)
	}
	_, err = openidLogin(t, "livejournal", m, url.Values{})
	wantKind(t, err, socialerr.AuthMissingParameter)
	for _, bad := range []string{"../x", "a.b", "evil.com/x", "a b", strings.Repeat("a", 16), "-x"} {
		_, err = openidLogin(t, "livejournal", m, url.Values{"openid_lj_user": {bad}})
		wantKind(t, err, socialerr.AuthFailed)
	}
}

const steamUser = "76561197960287930"

func steamAPI(t *testing.T, reply func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ISteamUser/GetPlayerSummaries/v0002/" || r.URL.Query().Get("key") != "steam-key" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		reply(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func players(list ...map[string]any) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"response": map[string]any{"players": list}})
	}
}

func TestSteam(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t, socialtest.WithOpenIDUser(steamUser, map[string]string{"nickname": "ignored"}))
	var asked []string
	api := steamAPI(t, func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Query().Get("steamids"))
		players(map[string]any{"steamid": steamUser, "personaname": "gordon", "realname": "Gordon F", "profileurl": "https://steamcommunity.com/id/gordon/"})(w, r)
	})
	m := prefixed("steam", map[string]any{"URL": op.OPIdentifier(), "API_KEY": "steam-key", "API_URL": api.URL, "EXTRA_DATA": []string{"player"}})
	id, err := openidLogin(t, "steam", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	player, _ := id.ExtraData["player"].(map[string]any)
	if id.UID != steamUser || id.Details.Username != "gordon" || id.Details.Email != "" || player["personaname"] != "gordon" {
		t.Errorf("identity %+v", id)
	}
	if !slices.Equal(asked, []string{steamUser}) {
		t.Errorf("API asked for %v", asked)
	}

	t.Run("claimed identifier that is not a SteamID", func(t *testing.T) {
		op := socialtest.NewOpenIDProvider(t)
		_, err := openidLogin(t, "steam", prefixed("steam", map[string]any{"URL": op.OPIdentifier(), "API_KEY": "steam-key", "API_URL": api.URL}), nil)
		wantKind(t, err, socialerr.AuthFailed)
	})
	t.Run("API key refused", func(t *testing.T) {
		_, err := openidLogin(t, "steam", prefixed("steam", map[string]any{"URL": op.OPIdentifier(), "API_KEY": "wrong", "API_URL": api.URL}), nil)
		wantKind(t, err, socialerr.AuthTokenError)
	})
	t.Run("another player", func(t *testing.T) {
		other := steamAPI(t, players(map[string]any{"steamid": "76561197960287931", "personaname": "x"}))
		_, err := openidLogin(t, "steam", prefixed("steam", map[string]any{"URL": op.OPIdentifier(), "API_KEY": "steam-key", "API_URL": other.URL}), nil)
		wantKind(t, err, socialerr.AuthUnknownError)
	})
	t.Run("no player", func(t *testing.T) {
		none := steamAPI(t, players())
		_, err := openidLogin(t, "steam", prefixed("steam", map[string]any{"URL": op.OPIdentifier(), "API_KEY": "steam-key", "API_URL": none.URL}), nil)
		wantKind(t, err, socialerr.AuthUnknownError)
	})
}
