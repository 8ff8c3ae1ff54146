package providers

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
)

const (
	vkAppID     = "7654321"
	vkAppSecret = "vk-app-secure-key"
)

// vkClock is the tests' fixed time.
var vkClock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// signVKSession returns an Open API session for mid signed with secret,
// as VK's SDK hands it over: expire, mid, secret, sid, sig.
func signVKSession(secret, mid string, expire time.Time) url.Values {
	s := url.Values{
		"expire": {strconv.FormatInt(expire.Unix(), 10)},
		"mid":    {mid},
		"secret": {"97c1e8933e"},
		"sid":    {"549b550f608e4a4d247734941debb5e68df50a66c58dc6ee2a4f60a2"},
	}
	sum := md5.Sum([]byte("expire=" + s.Get("expire") + "mid=" + mid + "secret=" + s.Get("secret") + "sid=" + s.Get("sid") + secret))
	s.Set("sig", hex.EncodeToString(sum[:]))
	return s
}

// cookieValue joins a session as the vk_app_<APP_ID> cookie does.
func cookieValue(s url.Values) string {
	var parts []string
	for _, k := range []string{"expire", "mid", "secret", "sid", "sig"} {
		parts = append(parts, k+"="+s.Get(k))
	}
	return strings.Join(parts, "&")
}

func vkOpenAPISettings(f *vkFake, extra map[string]any) settings.Map {
	m := map[string]any{"ID": vkAppID, "SECRET": vkAppSecret, "SERVICE_TOKEN": vkServiceToken, "API_URL": f.URL + "/method/"}
	for k, v := range extra {
		m[k] = v
	}
	return prefixed("vk-openapi", m)
}

func buildVKOpenAPITest(t *testing.T, m settings.Map) backend.Backend {
	t.Helper()
	spec, ok := Lookup("vk-openapi")
	if !ok {
		t.Fatal("no vk-openapi backend")
	}
	cfg := testConfig("vk-openapi", m)
	cfg.Now = func() time.Time { return vkClock }
	b, err := spec.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var vkStateField = regexp.MustCompile(`name="state" value="([^"]+)"`)

// beginVKOpenAPI runs Begin and renders its page; it returns the stash
// and the page.
func beginVKOpenAPI(t *testing.T, b backend.Backend) (backend.Stash, string) {
	t.Helper()
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "state-vk"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Handler == nil || res.RedirectURL != "" {
		t.Fatalf("Begin = %+v, want a page", res)
	}
	rec := httptest.NewRecorder()
	res.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login/vk-openapi/", nil))
	if got := rec.Header().Get("Content-Security-Policy"); got != "frame-ancestors 'none'" {
		t.Errorf("the login page may be framed: CSP %q", got)
	}
	body, _ := io.ReadAll(rec.Result().Body)
	return res.Stash, string(body)
}

func TestVKOpenAPILogin(t *testing.T) {
	f := newVKFake(t)
	b := buildVKOpenAPITest(t, vkOpenAPISettings(f, map[string]any{"EXTRA_DATA": []any{"photo_100"}}))
	stash, page := beginVKOpenAPI(t, b)
	for _, want := range []string{`action="` + redirectURI + `"`, `https://vk.com/js/api/openapi.js`,
		`name="expire"`, `name="mid"`, `name="secret"`, `name="sid"`, `name="sig"`, `VK.Auth.login`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if !regexp.MustCompile(`VK\.init\(\{apiId:\s*7654321\s*\}\)`).MatchString(page) {
		t.Errorf("page does not initialise the SDK with the app id:\n%s", page)
	}
	m := vkStateField.FindStringSubmatch(page)
	if m == nil || m[1] != "state-vk" || stash["state"] != "state-vk" {
		t.Fatalf("state: page %v, stash %v", m, stash)
	}

	params := signVKSession(vkAppSecret, "12345", vkClock.Add(time.Hour))
	params.Set("state", "state-vk")
	// Names the browser posts are never trusted: the profile is VK's.
	params.Set("first_name", "Mallory")
	id, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: stash})
	if err != nil {
		t.Fatal(err)
	}
	d := id.Details
	if id.UID != "12345" || d.Username != "durov" || d.FirstName != "Pavel" || d.LastName != "Durov" || d.FullName != "Pavel Durov" || d.Email != "" || id.Token != nil {
		t.Errorf("identity %+v", id)
	}
	if id.ExtraData["photo_100"] != "https://example.com/p.jpg" || id.ExtraData["auth_time"] != vkClock.Unix() || id.ExtraData["expires_at"] != vkClock.Add(time.Hour).Unix() {
		t.Errorf("extra data %v", id.ExtraData)
	}
	hits := f.hits()
	if len(hits) != 1 || hits[0].Get("user_ids") != "12345" || hits[0].Get("v") != vkAPIVersion || hits[0].Get("fields") != "screen_name,photo_100" {
		t.Errorf("users.get calls %v", hits)
	}
	calls := f.RequestsTo("/method/users.get")
	if got := calls[len(calls)-1].Header.Get("Authorization"); got != "Bearer "+vkServiceToken {
		t.Errorf("users.get authorization %q", got)
	}

	t.Run("session in the vk_app cookie", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/complete/vk-openapi/", nil)
		r.AddCookie(&http.Cookie{Name: "vk_app_" + vkAppID, Value: cookieValue(signVKSession(vkAppSecret, "12345", vkClock.Add(time.Minute)))})
		id, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI,
			Params: url.Values{"state": {"s2"}}, Stash: backend.Stash{"state": "s2"}, Request: r})
		if err != nil {
			t.Fatal(err)
		}
		if id.UID != "12345" {
			t.Errorf("identity %+v", id)
		}
	})

	t.Run("session as vk_session", func(t *testing.T) {
		s := "user=ignored&" + cookieValue(signVKSession(vkAppSecret, "12345", vkClock.Add(time.Minute)))
		id, err := b.(backend.TokenAuthenticator).AuthenticateToken(t.Context(), url.Values{VKSessionParam: {s}})
		if err != nil {
			t.Fatal(err)
		}
		if id.UID != "12345" {
			t.Errorf("identity %+v", id)
		}
	})
}

func TestVKOpenAPIState(t *testing.T) {
	f := newVKFake(t)
	b := buildVKOpenAPITest(t, vkOpenAPISettings(f, nil))
	session := signVKSession(vkAppSecret, "12345", vkClock.Add(time.Hour))
	with := func(state string) url.Values {
		p := url.Values{}
		for k, v := range session {
			p[k] = v
		}
		if state != "" {
			p.Set("state", state)
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		params url.Values
		stash  backend.Stash
		kind   socialerr.Kind
	}{
		{"no stash (forged or replayed post)", with("s"), nil, socialerr.AuthStateMissing},
		{"no state posted", with(""), backend.Stash{"state": "s"}, socialerr.AuthStateMissing},
		{"another state", with("t"), backend.Stash{"state": "s"}, socialerr.AuthStateForbidden},
		{"stash without state", with("s"), backend.Stash{}, socialerr.AuthStateMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: tc.params, Stash: tc.stash})
			if id != nil {
				t.Errorf("identity %+v", id)
			}
			wantKind(t, err, tc.kind)
		})
	}
	if len(f.hits()) != 0 {
		t.Error("users.get was called for a refused callback")
	}
}

func TestVKOpenAPIHostileSessions(t *testing.T) {
	f := newVKFake(t)
	b := buildVKOpenAPITest(t, vkOpenAPISettings(f, nil)).(backend.TokenAuthenticator)
	valid := func() url.Values { return signVKSession(vkAppSecret, "12345", vkClock.Add(time.Hour)) }
	edit := func(change func(url.Values)) url.Values {
		s := valid()
		change(s)
		return s
	}
	for _, tc := range []struct {
		name  string
		creds url.Values
		kind  socialerr.Kind
		cause error
	}{
		{"signed with another application's secret", signVKSession("another-app-secret", "12345", vkClock.Add(time.Hour)),
			socialerr.AuthTokenError, ErrVKSessionSignature},
		{"forged sig", edit(func(s url.Values) { s.Set("sig", strings.Repeat("0", 32)) }), socialerr.AuthTokenError, ErrVKSessionSignature},
		{"mid changed to someone else", edit(func(s url.Values) { s.Set("mid", "1") }), socialerr.AuthTokenError, ErrVKSessionSignature},
		{"expire pushed back", edit(func(s url.Values) {
			s.Set("expire", strconv.FormatInt(vkClock.Add(24*time.Hour).Unix(), 10))
		}), socialerr.AuthTokenError, ErrVKSessionSignature},
		{"sid changed", edit(func(s url.Values) { s.Set("sid", "abc") }), socialerr.AuthTokenError, ErrVKSessionSignature},
		{"expired", signVKSession(vkAppSecret, "12345", vkClock.Add(-time.Second)), socialerr.AuthTokenError, ErrVKSessionExpired},
		{"expiring now", signVKSession(vkAppSecret, "12345", vkClock), socialerr.AuthTokenError, ErrVKSessionExpired},
		{"missing expire", edit(func(s url.Values) { s.Del("expire") }), socialerr.AuthMissingParameter, nil},
		{"missing mid", edit(func(s url.Values) { s.Del("mid") }), socialerr.AuthMissingParameter, nil},
		{"missing secret", edit(func(s url.Values) { s.Del("secret") }), socialerr.AuthMissingParameter, nil},
		{"missing sid", edit(func(s url.Values) { s.Del("sid") }), socialerr.AuthMissingParameter, nil},
		{"missing sig", edit(func(s url.Values) { s.Del("sig") }), socialerr.AuthMissingParameter, nil},
		{"nothing at all", url.Values{}, socialerr.AuthMissingParameter, nil},
		{"repeated mid", edit(func(s url.Values) { s.Add("mid", "1") }), socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"mid not a number", edit(func(s url.Values) { s.Set("mid", "12345abc") }), socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"mid with leading zero", edit(func(s url.Values) { s.Set("mid", "012345") }), socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"negative expire", edit(func(s url.Values) { s.Set("expire", "-1") }), socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"huge expire", edit(func(s url.Values) { s.Set("expire", strings.Repeat("9", 20)) }), socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"short sig", edit(func(s url.Values) { s.Set("sig", "abc") }), socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"secret with separators", edit(func(s url.Values) { s.Set("secret", "a=b&c") }), socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"oversized field", edit(func(s url.Values) { s.Set("sid", strings.Repeat("a", 1000)) }), socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"oversized vk_session", url.Values{VKSessionParam: {strings.Repeat("a", 5000)}}, socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"vk_session with a repeated field", url.Values{VKSessionParam: {cookieValue(valid()) + "&mid=1"}}, socialerr.AuthTokenError, ErrVKSessionMalformed},
		{"vk_session signed by another application", url.Values{VKSessionParam: {cookieValue(signVKSession("x", "12345", vkClock.Add(time.Hour)))}},
			socialerr.AuthTokenError, ErrVKSessionSignature},
		{"vk_session missing sig", url.Values{VKSessionParam: {strings.Split(cookieValue(valid()), "&sig=")[0]}}, socialerr.AuthMissingParameter, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := b.AuthenticateToken(t.Context(), tc.creds)
			if id != nil {
				t.Errorf("identity %+v", id)
			}
			wantKind(t, err, tc.kind)
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v, want cause %v", err, tc.cause)
			}
		})
	}
	if len(f.hits()) != 0 {
		t.Errorf("users.get was called for refused sessions: %v", f.hits())
	}

	t.Run("VK describes another user", func(t *testing.T) {
		f.FailNext("/method/users.get", 200, `{"response":[{"id":1,"first_name":"Someone"}]}`)
		_, err := b.AuthenticateToken(t.Context(), valid())
		wantKind(t, err, socialerr.AuthFailed)
		if !errors.Is(err, ErrVKUserMismatch) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("VK refuses the service token", func(t *testing.T) {
		b := buildVKOpenAPITest(t, vkOpenAPISettings(f, map[string]any{"SERVICE_TOKEN": "wrong"})).(backend.TokenAuthenticator)
		_, err := b.AuthenticateToken(t.Context(), valid())
		wantKind(t, err, socialerr.AuthTokenError)
	})
	t.Run("VK reply too large", func(t *testing.T) {
		f.FailNext("/method/users.get", 200, `{"response":[{"id":12345,"about":"`+strings.Repeat("a", oauth2.MaxReplySize)+`"}]}`)
		_, err := b.AuthenticateToken(t.Context(), valid())
		wantKind(t, err, socialerr.AuthUnknownError)
		if !errors.Is(err, oauth2.ErrReplyTooLarge) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("VK too slow", func(t *testing.T) {
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}))
		defer slow.Close()
		b := buildVKOpenAPITest(t, vkOpenAPISettings(f, map[string]any{"API_URL": slow.URL + "/method/"})).(backend.TokenAuthenticator)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := b.AuthenticateToken(ctx, valid())
		wantKind(t, err, socialerr.AuthUnreachableProvider)
	})
	t.Run("VK unreachable", func(t *testing.T) {
		b := buildVKOpenAPITest(t, vkOpenAPISettings(f, map[string]any{"API_URL": "http://127.0.0.1:1/method/"})).(backend.TokenAuthenticator)
		_, err := b.AuthenticateToken(t.Context(), valid())
		wantKind(t, err, socialerr.AuthUnreachableProvider)
	})
}

func TestVKOpenAPIBuild(t *testing.T) {
	spec, ok := Lookup("social_core.backends.vk.VKontakteOpenAPI")
	if !ok || spec.Name != "vk-openapi" {
		t.Fatalf("Lookup by python name = %+v, %v", spec, ok)
	}
	_, err := spec.Build(testConfig("vk-openapi", settings.Map{}))
	want := []string{"SOCIAL_AUTH_VK_OPENAPI_ID", "SOCIAL_AUTH_VK_OPENAPI_SECRET", "SOCIAL_AUTH_VK_OPENAPI_SERVICE_TOKEN"}
	if got := missingSettings(err); !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v (%v)", got, want, err)
	}
	for _, tc := range []struct {
		name    string
		m       map[string]any
		wantErr string
	}{
		{"python-social-auth's APP_ID", map[string]any{"APP_ID": vkAppID, "SECRET": "s", "SERVICE_TOKEN": "t"}, ""},
		{"KEY as the application id", map[string]any{"KEY": vkAppID, "SECRET": "s", "SERVICE_TOKEN": "t"}, ""},
		{"KEY not a number", map[string]any{"KEY": "k", "SECRET": "s", "SERVICE_TOKEN": "t"}, "SOCIAL_AUTH_VK_OPENAPI_ID"},
		{"id not a number", map[string]any{"ID": "my-app", "SECRET": "s", "SERVICE_TOKEN": "t"}, "SOCIAL_AUTH_VK_OPENAPI_ID"},
		{"http API URL", map[string]any{"ID": vkAppID, "SECRET": "s", "SERVICE_TOKEN": "t", "API_URL": "http://api.example.com/method/"},
			"SOCIAL_AUTH_VK_OPENAPI_API_URL"},
		{"bad API version", map[string]any{"ID": vkAppID, "SECRET": "s", "SERVICE_TOKEN": "t", "API_VERSION": "x"},
			"SOCIAL_AUTH_VK_OPENAPI_API_VERSION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spec.Build(testConfig("vk-openapi", prefixed("vk-openapi", tc.m)))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Build = %v, want %q", err, tc.wantErr)
			}
		})
	}
	// A global SERVICE_TOKEN (another backend's) is not read.
	m := prefixed("vk-openapi", map[string]any{"ID": vkAppID, "SECRET": "s"})
	m["SOCIAL_AUTH_SERVICE_TOKEN"] = "global"
	if _, err := spec.Build(testConfig("vk-openapi", m)); !slices.Contains(missingSettings(err), oauth2.SettingName("vk-openapi", "SERVICE_TOKEN")) {
		t.Errorf("global SERVICE_TOKEN used: %v", err)
	}
	// The default API is VK's.
	b, err := spec.Build(testConfig("vk-openapi", prefixed("vk-openapi", map[string]any{"ID": vkAppID, "SECRET": "s", "SERVICE_TOKEN": "t"})))
	if err != nil {
		t.Fatal(err)
	}
	if got := b.(*vkOpenAPI).usersGet; got != "https://api.vk.com/method/users.get" {
		t.Errorf("users.get URL %q", got)
	}
}

// checkVKOpenAPISpec is the catalogue walk's check of vk-openapi: it
// builds from its settings and begins with a page.
func checkVKOpenAPISpec(t *testing.T, spec backend.Spec) {
	t.Helper()
	if spec.Title == "" || spec.Build == nil || len(spec.Aliases) == 0 {
		t.Errorf("spec %+v", spec)
	}
	if got, ok := Lookup(spec.Name); !ok || got.Name != spec.Name {
		t.Errorf("Lookup(%q) = %v, %v", spec.Name, got.Name, ok)
	}
	f := newVKFake(t)
	b := buildVKOpenAPITest(t, vkOpenAPISettings(f, nil))
	if b.Name() != spec.Name {
		t.Errorf("Name() = %q", b.Name())
	}
	if _, page := beginVKOpenAPI(t, b); !strings.Contains(page, "VK.Auth.login") {
		t.Errorf("page %s", page)
	}
}
