package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/localidp"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

// vkServiceToken is the service token the fake VK accepts.
const vkServiceToken = "vk-service-token"

// vkUser is the VK user of the tests.
func vkUser() map[string]any {
	return map[string]any{"id": json.Number("12345"), "first_name": "Pavel", "last_name": "Durov",
		"screen_name": "durov", "photo_100": "https://example.com/p.jpg"}
}

// vkFake is a fake VK on httptest: the OAuth 2.0 endpoints of
// oauth.vk.com (socialtest's authorization server, with VK's token reply
// carrying user_id and email) and the API methods users.get and
// secure.checkToken under /method/.
type vkFake struct {
	*socialtest.Provider
	mu           sync.Mutex
	profiles     map[string]map[string]any // by id
	email        string                    // the email in the token reply
	tokenUserID  string                    // replaces user_id in the token reply when set
	usersGetHits []url.Values
}

func newVKFake(t *testing.T) *vkFake {
	t.Helper()
	f := &vkFake{
		Provider: socialtest.NewOAuth2Provider(t, socialtest.WithRedirectURI(redirectURI),
			socialtest.WithUser(map[string]any{"id": "12345", "email": "durov@example.com"})),
		profiles: map[string]map[string]any{"12345": vkUser()},
		email:    "durov@example.com",
	}
	f.RequireClientSecretPost()
	f.Handle("POST /access_token", http.HandlerFunc(f.accessToken))
	f.Handle("GET /method/users.get", http.HandlerFunc(f.usersGet))
	f.Handle("GET /method/secure.checkToken", http.HandlerFunc(f.checkToken))
	return f
}

// accessToken runs the authorization server's token endpoint and adds
// VK's user_id and email to its reply.
func (f *vkFake) accessToken(w http.ResponseWriter, r *http.Request) {
	r2 := r.Clone(r.Context())
	r2.URL.Path = socialtest.TokenPath
	rec := httptest.NewRecorder()
	f.IDP.ServeHTTP(rec, r2)
	var reply map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &reply) != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	info, _ := f.IDP.Introspect(reply["access_token"].(string))
	f.mu.Lock()
	reply["user_id"] = json.Number(info.User.ID)
	if f.tokenUserID != "" {
		reply["user_id"] = json.Number(f.tokenUserID)
	}
	if f.email != "" {
		reply["email"] = f.email
	}
	f.mu.Unlock()
	writeVK(w, reply)
}

func writeVK(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func vkErrorReply(w http.ResponseWriter, code int, msg string) {
	writeVK(w, map[string]any{"error": map[string]any{"error_code": code, "error_msg": msg}})
}

// usersGet serves users.get: with a user's token, that user (or those of
// user_ids); with the service token, the users of user_ids.
func (f *vkFake) usersGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.usersGetHits = append(f.usersGetHits, q)
	profiles := maps.Clone(f.profiles)
	f.mu.Unlock()
	if q.Get("v") == "" {
		vkErrorReply(w, 8, "Invalid request: v (version) is required")
		return
	}
	token, _ := localidp.BearerToken(r)
	ids := q.Get("user_ids")
	if token != vkServiceToken {
		info, ok := f.IDP.Introspect(token)
		if !ok {
			vkErrorReply(w, 5, "User authorization failed: invalid access_token (4).")
			return
		}
		if ids == "" {
			ids = info.User.ID
		}
	} else if ids == "" {
		vkErrorReply(w, 5, "User authorization failed: no user in a service token call")
		return
	}
	var users []any
	for id := range strings.SplitSeq(ids, ",") {
		if p, ok := profiles[id]; ok {
			users = append(users, p)
		}
	}
	writeVK(w, map[string]any{"response": users})
}

// checkToken serves secure.checkToken: only with the service token, and
// only for tokens issued to the fake's own client.
func (f *vkFake) checkToken(w http.ResponseWriter, r *http.Request) {
	if token, _ := localidp.BearerToken(r); token != vkServiceToken {
		vkErrorReply(w, 5, "User authorization failed: invalid service token")
		return
	}
	info, ok := f.IDP.Introspect(r.URL.Query().Get("token"))
	switch {
	case !ok:
		vkErrorReply(w, 15, "Access denied: invalid token")
	case info.ClientID != f.ClientID:
		vkErrorReply(w, 15, "Access denied: token was issued to another application")
	default:
		writeVK(w, map[string]any{"response": map[string]any{"success": 1, "user_id": json.Number(info.User.ID), "date": 1700000000, "expire": 0}})
	}
}

func (f *vkFake) hits() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.usersGetHits...)
}

// vkSettings points vk-oauth2 at the fake.
func vkSettings(f *vkFake, extra map[string]any) settings.Map {
	m := map[string]any{
		"KEY": f.ClientID, "SECRET": f.ClientSecret,
		"AUTHORIZATION_URL": f.AuthorizeURL(), "ACCESS_TOKEN_URL": f.URL + "/access_token",
		"API_URL": f.URL + "/method/",
	}
	maps.Copy(m, extra)
	return prefixed("vk-oauth2", m)
}

func TestVKOAuth2Login(t *testing.T) {
	f := newVKFake(t)
	b := build(t, "vk-oauth2", vkSettings(f, nil))
	id, authURL, err := login(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if q := authURL.Query(); q.Get("v") != vkAPIVersion || q.Get("scope") != "email" || q.Get("state") != "state-xyz" {
		t.Errorf("authorization URL %s", authURL)
	}
	d := id.Details
	if id.UID != "12345" || d.Email != "durov@example.com" || d.EmailVerified || d.Username != "durov" ||
		d.FirstName != "Pavel" || d.LastName != "Durov" || d.FullName != "Pavel Durov" {
		t.Errorf("identity %+v", id)
	}
	if id.ExtraData["id"] != json.Number("12345") || id.ExtraData["access_token"] != id.Token.AccessToken {
		t.Errorf("extra data %v", id.ExtraData)
	}
	hits := f.hits()
	if len(hits) != 1 || hits[0].Get("v") != vkAPIVersion || hits[0].Get("fields") != "screen_name" || hits[0].Get("access_token") != "" {
		t.Errorf("users.get calls %v", hits)
	}
	tok := f.RequestsTo("/access_token")
	if len(tok) != 1 || tok[0].Form.Get("client_secret") != f.ClientSecret {
		t.Errorf("token requests %+v", tok)
	}

	t.Run("settings: API version, scope, extra data", func(t *testing.T) {
		f := newVKFake(t)
		b := build(t, "vk-oauth2", vkSettings(f, map[string]any{"API_VERSION": "5.131", "SCOPE": []string{"friends"},
			"EXTRA_DATA": []any{"photo_100", []any{"screen_name", "nick"}}}))
		id, authURL, err := login(t, b)
		if err != nil {
			t.Fatal(err)
		}
		if authURL.Query().Get("v") != "5.131" || authURL.Query().Get("scope") != "email,friends" {
			t.Errorf("authorization URL %s", authURL)
		}
		if h := f.hits(); len(h) != 1 || h[0].Get("v") != "5.131" || h[0].Get("fields") != "screen_name,photo_100" {
			t.Errorf("users.get calls %v", h)
		}
		if id.ExtraData["photo_100"] != "https://example.com/p.jpg" || id.ExtraData["nick"] != "durov" {
			t.Errorf("extra data %v", id.ExtraData)
		}
	})

	t.Run("no email in the token reply", func(t *testing.T) {
		f := newVKFake(t)
		f.email = ""
		id, _, err := login(t, build(t, "vk-oauth2", vkSettings(f, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if id.Details.Email != "" || id.UID != "12345" {
			t.Errorf("identity %+v", id)
		}
	})
}

func TestVKOAuth2HostileReplies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(f *vkFake)
		kind    socialerr.Kind
		cause   error
	}{
		{"token reply names another user", func(f *vkFake) { f.tokenUserID = "999" }, socialerr.AuthFailed, ErrVKUserMismatch},
		{"users.get refuses the token", func(f *vkFake) {
			f.FailNext("/method/users.get", 200, `{"error":{"error_code":5,"error_msg":"User authorization failed"}}`)
		}, socialerr.AuthTokenError, nil},
		{"users.get fails otherwise", func(f *vkFake) {
			f.FailNext("/method/users.get", 200, `{"error":{"error_code":10,"error_msg":"Internal server error"}}`)
		}, socialerr.AuthUnknownError, nil},
		{"users.get describes nobody", func(f *vkFake) { f.FailNext("/method/users.get", 200, `{"response":[]}`) },
			socialerr.AuthUnknownError, nil},
		{"users.get describes two users", func(f *vkFake) {
			f.FailNext("/method/users.get", 200, `{"response":[{"id":12345},{"id":1}]}`)
		}, socialerr.AuthUnknownError, nil},
		{"users.get has no response", func(f *vkFake) { f.FailNext("/method/users.get", 200, `{}`) },
			socialerr.AuthUnknownError, nil},
		{"users.get is malformed", func(f *vkFake) { f.FailNext("/method/users.get", 200, `{"response":{"id":1}}`) },
			socialerr.AuthUnknownError, nil},
		{"users.get without id", func(f *vkFake) {
			f.FailNext("/method/users.get", 200, `{"response":[{"first_name":"X"}]}`)
		}, socialerr.AuthUnknownError, nil},
		{"users.get 500", func(f *vkFake) { f.FailNext("/method/users.get", 500, `oops`) }, socialerr.AuthUnknownError, nil},
		{"token endpoint error", func(f *vkFake) {
			f.FailNext("/access_token", 401, `{"error":"invalid_grant","error_description":"Code is invalid or expired."}`)
		}, socialerr.AuthTokenError, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newVKFake(t)
			tc.prepare(f)
			id, _, err := login(t, build(t, "vk-oauth2", vkSettings(f, nil)))
			if id != nil {
				t.Errorf("identity %+v", id)
			}
			wantKind(t, err, tc.kind)
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v, want cause %v", err, tc.cause)
			}
		})
	}
}

func TestVKOAuth2Settings(t *testing.T) {
	spec, ok := Lookup("social_core.backends.vk.VKOAuth2")
	if !ok || spec.Name != "vk-oauth2" || spec.Protocol != "oauth2" {
		t.Fatalf("Lookup by python name = %+v, %v", spec, ok)
	}
	for _, version := range []string{"latest", "5", "5.1/../x"} {
		_, err := spec.Build(testConfig("vk-oauth2", prefixed("vk-oauth2", map[string]any{"KEY": "k", "SECRET": "s", "API_VERSION": version})))
		if err == nil || !strings.Contains(err.Error(), "SOCIAL_AUTH_VK_OAUTH2_API_VERSION") {
			t.Errorf("API_VERSION %q: %v", version, err)
		}
	}
	// A global API_VERSION (meant for another provider) is not VK's.
	m := prefixed("vk-oauth2", map[string]any{"KEY": "k", "SECRET": "s"})
	m["SOCIAL_AUTH_API_VERSION"] = "26.0-other"
	b, err := spec.Build(testConfig("vk-oauth2", m))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(res.RedirectURL)
	if u.Host != "oauth.vk.com" || u.Path != "/authorize" || u.Query().Get("v") != vkAPIVersion || u.Query().Get("client_id") != "k" {
		t.Errorf("authorization URL %s", u)
	}
	if p, _ := vkOAuth2(testConfig("vk-oauth2", m)); p.AccessTokenURL != "https://oauth.vk.com/access_token" || p.APIURL != "https://api.vk.com/method/" {
		t.Errorf("provider %+v", p)
	}
}

func TestVKOAuth2ClientToken(t *testing.T) {
	f := newVKFake(t)
	auth := func(t *testing.T, extra map[string]any, token string) (*backend.Identity, error) {
		t.Helper()
		b := build(t, "vk-oauth2", vkSettings(f, extra))
		return b.(backend.TokenAuthenticator).AuthenticateToken(t.Context(), url.Values{"access_token": {token}})
	}
	own, err := f.IssueToken(f.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := f.IssueToken("another-vk-app")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("this application's token", func(t *testing.T) {
		id, err := auth(t, map[string]any{"SERVICE_TOKEN": vkServiceToken}, own)
		if err != nil {
			t.Fatal(err)
		}
		if id.UID != "12345" || id.Details.Username != "durov" || id.Token.AccessToken != own {
			t.Errorf("identity %+v", id)
		}
		checks := f.RequestsTo("/method/secure.checkToken")
		if len(checks) == 0 || checks[len(checks)-1].Query.Get("token") != own || checks[len(checks)-1].Query.Get("v") == "" {
			t.Errorf("secure.checkToken calls %+v", checks)
		}
	})
	for _, tc := range []struct {
		name  string
		extra map[string]any
		token string
		kind  socialerr.Kind
	}{
		{"no service token: refused", nil, own, socialerr.AuthForbidden},
		{"another application's token", map[string]any{"SERVICE_TOKEN": vkServiceToken}, foreign, socialerr.AuthTokenError},
		{"unknown token", map[string]any{"SERVICE_TOKEN": vkServiceToken}, "forged-token", socialerr.AuthTokenError},
		{"wrong service token", map[string]any{"SERVICE_TOKEN": "not-the-service-token"}, own, socialerr.AuthTokenError},
		{"missing token", map[string]any{"SERVICE_TOKEN": vkServiceToken}, "", socialerr.AuthMissingParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.hits())
			id, err := auth(t, tc.extra, tc.token)
			if id != nil {
				t.Errorf("identity %+v", id)
			}
			wantKind(t, err, tc.kind)
			if len(f.hits()) != before {
				t.Error("users.get was called for a refused token")
			}
		})
	}
	t.Run("checkToken names another user", func(t *testing.T) {
		f.FailNext("/method/secure.checkToken", 200, `{"response":{"success":1,"user_id":999,"date":1,"expire":0}}`)
		_, err := auth(t, map[string]any{"SERVICE_TOKEN": vkServiceToken}, own)
		wantKind(t, err, socialerr.AuthFailed)
		if !errors.Is(err, ErrVKUserMismatch) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("checkToken says the token expired", func(t *testing.T) {
		f.FailNext("/method/secure.checkToken", 200, `{"response":{"success":1,"user_id":12345,"date":1,"expire":2}}`)
		_, err := auth(t, map[string]any{"SERVICE_TOKEN": vkServiceToken}, own)
		wantKind(t, err, socialerr.AuthTokenError)
	})
	t.Run("checkToken without success", func(t *testing.T) {
		f.FailNext("/method/secure.checkToken", 200, `{"response":{"success":0}}`)
		_, err := auth(t, map[string]any{"SERVICE_TOKEN": vkServiceToken}, own)
		wantKind(t, err, socialerr.AuthTokenError)
	})
	t.Run("service token never leaves in the URL", func(t *testing.T) {
		for _, r := range f.RequestsTo("/method/secure.checkToken") {
			if strings.Contains(r.Query.Encode(), vkServiceToken) {
				t.Errorf("service token in the query: %v", r.Query)
			}
			if !bytes.Contains([]byte(r.Header.Get("Authorization")), []byte("Bearer ")) {
				t.Errorf("no bearer header: %v", r.Header)
			}
		}
	})
}
