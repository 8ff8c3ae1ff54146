package providers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialerr"
)

func appSecretProof(secret, token string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token))
	return hex.EncodeToString(mac.Sum(nil))
}

// graphFake serves /me like the Graph API: it refuses calls whose
// appsecret_proof is wrong, and records the query.
type graphFake struct {
	mu    sync.Mutex
	query url.Values
}

func (g *graphFake) handler(secret string, profile map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		g.mu.Lock()
		g.query = q
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if q.Get("appsecret_proof") != appSecretProof(secret, q.Get("access_token")) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"message":"Invalid appsecret_proof","type":"GraphMethodException","code":100}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(profile)
	})
}

func (g *graphFake) lastQuery() url.Values {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.query
}

func TestFacebook(t *testing.T) {
	profile := map[string]any{"id": "10150000000000001", "name": "Mark Z", "email": "mark@example.com",
		"first_name": "Mark", "last_name": "Z"}
	for _, tc := range []struct {
		name       string
		settings   map[string]any
		wantFields string
		wantExtra  url.Values
	}{
		{"default fields", nil, "id,name,email,first_name,last_name", nil},
		{"profile extra params", map[string]any{"PROFILE_EXTRA_PARAMS": map[string]string{"locale": "ru_RU", "fields": "id, name, email, age_range"}},
			"id, name, email, age_range", url.Values{"locale": {"ru_RU"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t, profile)
			g := &graphFake{}
			fake.Handle("GET /me", fake.RequireToken(g.handler(fake.ClientSecret, profile)))
			m := fakeSettings("facebook", fake, tc.settings)
			delete(m, "SOCIAL_AUTH_FACEBOOK_USER_DATA_URL") // "me" under API_URL
			b := build(t, "facebook", m)
			id, authURL, err := login(t, b)
			if err != nil {
				t.Fatal(err)
			}
			q := g.lastQuery()
			if q.Get("fields") != tc.wantFields || q.Get("appsecret_proof") == "" {
				t.Errorf("Graph query %v", q)
			}
			for k := range tc.wantExtra {
				if q.Get(k) != tc.wantExtra.Get(k) {
					t.Errorf("%s = %q, want %q", k, q.Get(k), tc.wantExtra.Get(k))
				}
			}
			if id.UID != "10150000000000001" || id.Details.Email != "mark@example.com" || id.Details.EmailVerified {
				t.Errorf("identity %+v", id)
			}
			if authURL.Query().Get("scope") != "email" {
				t.Errorf("scope %q", authURL.Query().Get("scope"))
			}
		})
	}

	t.Run("wrong secret refused by the Graph API", func(t *testing.T) {
		fake := newFake(t, profile)
		g := &graphFake{}
		fake.Handle("GET /me", fake.RequireToken(g.handler("another secret", profile)))
		m := fakeSettings("facebook", fake, nil)
		delete(m, "SOCIAL_AUTH_FACEBOOK_USER_DATA_URL")
		_, _, err := login(t, build(t, "facebook", m))
		wantKind(t, err, socialerr.AuthUnknownError)
	})
}

func TestFacebookAPIVersion(t *testing.T) {
	for _, tc := range []struct {
		version  any
		wantPath string
		wantErr  bool
	}{
		{nil, "/v" + facebookAPIVersion + "/dialog/oauth", false},
		{"19.0", "/v19.0/dialog/oauth", false},
		{"v2.9", "/v2.9/dialog/oauth", false},
		{"latest", "", true},
		{"2.9/../../x", "", true},
	} {
		m := map[string]any{"KEY": "k", "SECRET": "s"}
		if tc.version != nil {
			m["API_VERSION"] = tc.version
		}
		spec, _ := Lookup("facebook")
		b, err := spec.Build(testConfig("facebook", prefixed("facebook", m)))
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "SOCIAL_AUTH_FACEBOOK_API_VERSION") {
				t.Errorf("version %v: Build = %v", tc.version, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(res.RedirectURL)
		if u.Host != "www.facebook.com" || u.Path != tc.wantPath {
			t.Errorf("version %v: authorization URL %s", tc.version, u)
		}
		p, _ := facebook(testConfig("facebook", prefixed("facebook", m)))
		if !strings.HasPrefix(p.APIURL, "https://graph.facebook.com"+strings.TrimSuffix(tc.wantPath, "dialog/oauth")) {
			t.Errorf("version %v: API URL %s", tc.version, p.APIURL)
		}
	}
}

func TestFacebookRevoke(t *testing.T) {
	fake := newFake(t, nil)
	var got url.Values
	var method string
	fake.Handle("/me/permissions", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, got = r.Method, r.URL.Query()
		if got.Get("appsecret_proof") != appSecretProof(fake.ClientSecret, got.Get("access_token")) {
			http.Error(w, `{"error":{"message":"Invalid appsecret_proof"}}`, http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"success":true}`))
	}))
	b := build(t, "facebook", fakeSettings("facebook", fake, nil))
	if err := b.(backend.Revoker).Revoke(t.Context(), map[string]any{"access_token": "fb-token"}); err != nil {
		t.Fatal(err)
	}
	if method != http.MethodDelete || got.Get("access_token") != "fb-token" {
		t.Errorf("revocation %s %v", method, got)
	}
	b = build(t, "facebook", fakeSettings("facebook", fake, map[string]any{"SECRET": "wrong"}))
	wantKind(t, b.(backend.Revoker).Revoke(t.Context(), map[string]any{"access_token": "fb-token"}), socialerr.AuthTokenError)
}
