package socialauth_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/localidp"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

// The VK application of these tests.
const (
	vkE2EAppID        = "7654321"
	vkE2EAppSecret    = "vk-app-secure-key"
	vkE2EServiceToken = "vk-service-token"
	vkE2ESecretKey    = "vk-e2e-secret-key-0123456789abcdefghijkl"
)

// vkE2EUser is the VK user, as users.get describes them.
func vkE2EUser() map[string]any {
	return map[string]any{"id": 12345, "first_name": "Pavel", "last_name": "Durov", "screen_name": "durov"}
}

// newVKE2EFake starts a fake VK: socialtest's authorization server for
// oauth.vk.com, whose token reply (at /access_token) carries VK's user_id
// and email, and users.get under /method/, answering for a user's token or
// for the service token with user_ids.
func newVKE2EFake(t *testing.T) *socialtest.Provider {
	t.Helper()
	f := socialtest.NewOAuth2Provider(t, socialtest.WithUser(map[string]any{"id": "12345", "email": "durov@example.com"}))
	f.RequireClientSecretPost()
	f.Handle("POST /access_token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = socialtest.TokenPath
		rec := httptest.NewRecorder()
		f.IDP.ServeHTTP(rec, r2)
		var reply map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &reply) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		reply["user_id"] = 12345
		reply["email"] = "durov@example.com"
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reply)
	}))
	f.Handle("GET /method/users.get", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		token, _ := localidp.BearerToken(r)
		_, userToken := f.IDP.Introspect(token)
		ids := r.URL.Query().Get("user_ids")
		switch {
		case r.URL.Query().Get("v") == "":
			fmt.Fprint(w, `{"error":{"error_code":8,"error_msg":"v is required"}}`)
		case userToken && (ids == "" || ids == "12345"), token == vkE2EServiceToken && ids == "12345":
			json.NewEncoder(w).Encode(map[string]any{"response": []any{vkE2EUser()}})
		default:
			fmt.Fprint(w, `{"error":{"error_code":5,"error_msg":"User authorization failed"}}`)
		}
	}))
	return f
}

// vkE2EApp is an application using socialauth with vk-oauth2 and
// vk-openapi pointed at one fake VK.
type vkE2EApp struct {
	*site
	fake *socialtest.Provider
}

func newVKE2EApp(t *testing.T) *vkE2EApp {
	t.Helper()
	app := &vkE2EApp{fake: newVKE2EFake(t)}
	app.site = serveApp(t, func(s *site) socialauth.Config {
		if err := app.fake.AllowRedirect(s.srv.URL + "/complete/vk-oauth2/"); err != nil {
			t.Fatal(err)
		}
		set := settings.Map{
			"SOCIAL_AUTH_SECRET_KEY": vkE2ESecretKey,
			// Python-social-auth's class paths select the backends.
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"social_core.backends.vk.VKOAuth2", "social_core.backends.vk.VKontakteOpenAPI"},
			"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
			"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",

			"SOCIAL_AUTH_VK_OAUTH2_KEY":               app.fake.ClientID,
			"SOCIAL_AUTH_VK_OAUTH2_SECRET":            app.fake.ClientSecret,
			"SOCIAL_AUTH_VK_OAUTH2_AUTHORIZATION_URL": app.fake.AuthorizeURL(),
			"SOCIAL_AUTH_VK_OAUTH2_ACCESS_TOKEN_URL":  app.fake.URL + "/access_token",
			"SOCIAL_AUTH_VK_OAUTH2_API_URL":           app.fake.URL + "/method/",

			"SOCIAL_AUTH_VK_OPENAPI_ID":            vkE2EAppID,
			"SOCIAL_AUTH_VK_OPENAPI_SECRET":        vkE2EAppSecret,
			"SOCIAL_AUTH_VK_OPENAPI_SERVICE_TOKEN": vkE2EServiceToken,
			"SOCIAL_AUTH_VK_OPENAPI_API_URL":       app.fake.URL + "/method/",
		}
		return socialauth.Config{Settings: settings.New(set), Store: s.store}
	})
	return app
}

var (
	vkE2EFormAction = regexp.MustCompile(`<form id="vk-openapi" method="post" action="([^"]+)"`)
	vkE2EFormState  = regexp.MustCompile(`name="state" value="([^"]+)"`)
)

// openVKLoginPage GETs /login/vk-openapi/ and returns the form's action and
// state.
func openVKLoginPage(b *browser) (action, state string) {
	b.t.Helper()
	res, body := b.get("/login/vk-openapi/")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		b.t.Fatalf("login page: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	a, s := vkE2EFormAction.FindStringSubmatch(body), vkE2EFormState.FindStringSubmatch(body)
	if a == nil || s == nil {
		b.t.Fatalf("login page without the form:\n%s", body)
	}
	return a[1], s[1]
}

// vkE2ESession is an Open API session for mid signed with secret, as VK's
// JS SDK hands it to the page.
func vkE2ESession(secret, mid string, expire time.Time) url.Values {
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

func TestVKOAuth2EndToEnd(t *testing.T) {
	app := newVKE2EApp(t)
	b := app.newBrowser()
	res, body := b.get("/login/vk-oauth2/")
	authz, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || authz.Query().Get("v") == "" || authz.Query().Get("scope") != "email" {
		t.Fatalf("login: %d %s", res.StatusCode, authz)
	}
	final, body := b.follow(res, body)
	if final.Path != "/home" || !strings.Contains(body, "user=durov") {
		t.Fatalf("landed on %s: %s", final, body)
	}
	ctx := context.Background()
	assoc, err := app.store.GetAssociation(ctx, "vk-oauth2", "12345")
	if err != nil {
		t.Fatal(err)
	}
	u, err := app.store.GetUser(ctx, assoc.UserID)
	if err != nil || u.Username != "durov" || u.Email != "durov@example.com" || u.FirstName != "Pavel" || u.LastName != "Durov" {
		t.Errorf("user %+v, %v", u, err)
	}
	if assoc.ExtraData["access_token"] == nil || fmt.Sprint(assoc.ExtraData["id"]) != "12345" {
		t.Errorf("extra data %v", assoc.ExtraData)
	}
	tok := app.fake.RequestsTo("/access_token")
	if len(tok) != 1 || tok[0].Form.Get("client_secret") != app.fake.ClientSecret || tok[0].Form.Get("code") == "" {
		t.Errorf("token requests %+v", tok)
	}
}

func TestVKOpenAPIEndToEnd(t *testing.T) {
	app := newVKE2EApp(t)
	b := app.newBrowser()
	action, state := openVKLoginPage(b)
	if action != app.srv.URL+"/complete/vk-openapi/" {
		t.Errorf("form action %q", action)
	}
	form := vkE2ESession(vkE2EAppSecret, "12345", time.Now().Add(time.Hour))
	form.Set("state", state)
	final, body := b.follow(b.post(action, form))
	if final.Path != "/home" || !strings.Contains(body, "user=durov") {
		t.Fatalf("landed on %s: %s", final, body)
	}
	ctx := context.Background()
	assoc, err := app.store.GetAssociation(ctx, "vk-openapi", "12345")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := app.store.GetUser(ctx, assoc.UserID); err != nil || u.Username != "durov" || u.FirstName != "Pavel" {
		t.Errorf("user %+v, %v", u, err)
	}
	calls := app.fake.RequestsTo("/method/users.get")
	if len(calls) != 1 || calls[0].Query.Get("user_ids") != "12345" || calls[0].Header.Get("Authorization") != "Bearer "+vkE2EServiceToken {
		t.Errorf("users.get calls %+v", calls)
	}

	// The same post again: the flow was used once.
	final, _ = b.follow(b.post(action, form))
	if final.Path != "/error" || final.Query().Get("backend") != "vk-openapi" {
		t.Errorf("replayed post landed on %s", final)
	}
}

func TestVKOpenAPIEndToEndRefusals(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name    string
		session url.Values
		state   func(string) string
		skipBeg bool // post without opening the login page
	}{
		{name: "signed with another application's secret", session: vkE2ESession("another-app-secret", "12345", now.Add(time.Hour))},
		{name: "forged signature", session: func() url.Values {
			s := vkE2ESession(vkE2EAppSecret, "12345", now.Add(time.Hour))
			s.Set("mid", "1")
			return s
		}()},
		{name: "expired session", session: vkE2ESession(vkE2EAppSecret, "12345", now.Add(-time.Minute))},
		{name: "missing sig", session: func() url.Values {
			s := vkE2ESession(vkE2EAppSecret, "12345", now.Add(time.Hour))
			s.Del("sig")
			return s
		}()},
		{name: "wrong state", session: vkE2ESession(vkE2EAppSecret, "12345", now.Add(time.Hour)),
			state: func(string) string { return "attacker-state" }},
		{name: "no login page (login CSRF)", session: vkE2ESession(vkE2EAppSecret, "12345", now.Add(time.Hour)), skipBeg: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newVKE2EApp(t)
			b := app.newBrowser()
			action, state := app.srv.URL+"/complete/vk-openapi/", "guessed"
			if !tc.skipBeg {
				action, state = openVKLoginPage(b)
			}
			if tc.state != nil {
				state = tc.state(state)
			}
			form := url.Values{}
			for k, v := range tc.session {
				form[k] = v
			}
			form.Set("state", state)
			final, _ := b.follow(b.post(action, form))
			wantError(t, final, "vk-openapi", "")
			wantNothingStored(t, app.store, "durov", account{"vk-openapi", "12345"})
			b.wantAnonymous()
		})
	}
}

func TestVKOpenAPITokenLogin(t *testing.T) {
	app := newVKE2EApp(t)
	ctx := context.Background()
	now := time.Now()
	valid := vkE2ESession(vkE2EAppSecret, "12345", now.Add(time.Hour))
	asCookie := "expire=" + valid.Get("expire") + "&mid=12345&secret=" + valid.Get("secret") + "&sid=" + valid.Get("sid") + "&sig=" + valid.Get("sig")

	for _, tc := range []struct {
		name  string
		creds url.Values
		kind  socialerr.Kind
	}{
		{"signed with another application's secret", vkE2ESession("another-app-secret", "12345", now.Add(time.Hour)), socialerr.AuthTokenError},
		{"expired", vkE2ESession(vkE2EAppSecret, "12345", now.Add(-time.Second)), socialerr.AuthTokenError},
		{"bad signature", func() url.Values {
			s := vkE2ESession(vkE2EAppSecret, "12345", now.Add(time.Hour))
			s.Set("sig", strings.Repeat("f", 32))
			return s
		}(), socialerr.AuthTokenError},
		{"missing fields", url.Values{"mid": {"12345"}}, socialerr.AuthMissingParameter},
		{"an access token instead", url.Values{"access_token": {"x"}}, socialerr.AuthMissingParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			login, err := app.auth.AuthenticateToken(ctx, "vk-openapi", tc.creds, nil)
			if login != nil || socialerr.KindOf(err) != tc.kind || !errors.Is(err, tc.kind) {
				t.Fatalf("AuthenticateToken = %+v, %v; want %s", login, err, tc.kind)
			}
			wantNothingStored(t, app.store, "durov")
		})
	}
	if n := len(app.fake.RequestsTo("/method/users.get")); n != 0 {
		t.Errorf("users.get called %d times for refused sessions", n)
	}

	login, err := app.auth.AuthenticateToken(ctx, "vk-openapi", valid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if login.User.Username != "durov" || !login.IsNew || login.Association.UID != "12345" {
		t.Errorf("login %+v", login)
	}
	// The cookie's format, in vk_session, finds the same user.
	login, err = app.auth.AuthenticateToken(ctx, "vk-openapi", url.Values{"vk_session": {asCookie}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if login.User.Username != "durov" || login.IsNew {
		t.Errorf("second login %+v", login)
	}
}

func TestVKOpenAPITokenRoute(t *testing.T) {
	app := newVKE2EApp(t)
	forged := vkE2ESession("another-app-secret", "12345", time.Now().Add(time.Hour))
	if status, reply := app.newBrowser().postToken("vk-openapi", forged); status == http.StatusOK || reply.User != nil {
		t.Fatalf("a session signed for another app logged in: %d %+v", status, reply)
	}
	wantNothingStored(t, app.store, "durov")
	status, reply := app.newBrowser().postToken("vk-openapi", vkE2ESession(vkE2EAppSecret, "12345", time.Now().Add(time.Hour)))
	if status != http.StatusOK || reply.User == nil || reply.User.Username != "durov" {
		t.Fatalf("Open API session login: %d %+v", status, reply)
	}
}
