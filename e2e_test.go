package socialauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/session"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// testApp is an application using socialauth, with the generic oauth2
// backend pointed at a fake provider and an "other" backend of the
// application's own pointed at a second one.
type testApp struct {
	*site
	p       *socialtest.Provider // behind the "oauth2" backend
	other   *socialtest.Provider // behind the "other" backend
	events  *eventLog
	browser *browser
}

type eventLog struct {
	mu   sync.Mutex
	list []string
}

func (e *eventLog) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, fmt.Sprintf(format, args...))
}

func (e *eventLog) has(s string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.list {
		if x == s {
			return true
		}
	}
	return false
}

func otherSpec(p *socialtest.Provider) backend.Spec {
	return backend.Spec{Name: "other", Protocol: "oauth2", Title: "Other", NeedsKey: true,
		Build: func(cfg backend.Config) (backend.Backend, error) {
			return oauth2.New(cfg, oauth2.Provider{
				AuthorizationURL: p.AuthorizeURL(), AccessTokenURL: p.TokenURL(), UserDataURL: p.UserURL(),
				IDKey: "id", Details: oauth2.DetailsMapping{Username: "username", Email: "email",
					FullName: "name", EmailVerified: "email_verified"},
			})
		}}
}

func newTestApp(t *testing.T, extra settings.Map, configure func(*socialauth.Config)) *testApp {
	t.Helper()
	app := &testApp{events: &eventLog{}}
	app.p = socialtest.NewOAuth2Provider(t)
	app.other = socialtest.NewOAuth2Provider(t, socialtest.WithUser(map[string]any{
		"id": "o-77", "username": "otherlogin", "email": "other@example.com", "name": "Other Person",
	}))
	app.site = serveApp(t, func(s *site) socialauth.Config {
		if err := app.p.AllowRedirect(s.srv.URL + "/complete/oauth2/"); err != nil {
			t.Fatal(err)
		}
		if err := app.other.AllowRedirect(s.srv.URL + "/complete/other/"); err != nil {
			t.Fatal(err)
		}
		base := settings.Map{
			"SOCIAL_AUTH_SECRET_KEY":               testSecretKey,
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS":  []string{"oauth2", "other"},
			"SOCIAL_AUTH_OAUTH2_KEY":               app.p.ClientID,
			"SOCIAL_AUTH_OAUTH2_SECRET":            app.p.ClientSecret,
			"SOCIAL_AUTH_OAUTH2_AUTHORIZATION_URL": app.p.AuthorizeURL(),
			"SOCIAL_AUTH_OAUTH2_ACCESS_TOKEN_URL":  app.p.TokenURL(),
			"SOCIAL_AUTH_OAUTH2_USER_DATA_URL":     app.p.UserURL(),
			"SOCIAL_AUTH_OAUTH2_REVOKE_TOKEN_URL":  app.p.RevokeURL(),
			"SOCIAL_AUTH_OTHER_KEY":                app.other.ClientID,
			"SOCIAL_AUTH_OTHER_SECRET":             app.other.ClientSecret,
			"SOCIAL_AUTH_LOGIN_REDIRECT_URL":       "/home",
			"SOCIAL_AUTH_LOGIN_ERROR_URL":          "/error",
		}
		cfg := socialauth.Config{
			Settings: settings.New(extra, base),
			Store:    s.store,
			Backends: []backend.Spec{otherSpec(app.other)},
			Events: socialauth.Events{
				LoginCompleted: func(_ context.Context, b string, u *store.User, isNew bool) {
					app.events.add("completed %s %s new=%v", b, u.Username, isNew)
				},
				LoginFailed: func(_ context.Context, b string, err error) { app.events.add("failed %s", b) },
				UserCreated: func(_ context.Context, b string, u *store.User) { app.events.add("created %s", u.Username) },
				Associated: func(_ context.Context, b string, u *store.User, a *store.Association) {
					app.events.add("associated %s %s", b, a.UID)
				},
				Disconnected: func(_ context.Context, b string, u *store.User, removed []*store.Association) {
					app.events.add("disconnected %s %d", b, len(removed))
				},
			},
		}
		if configure != nil {
			configure(&cfg)
		}
		return cfg
	})
	app.browser = app.newBrowser()
	return app
}

func (app *testApp) userCount() int {
	app.t.Helper()
	n := 0
	for _, name := range []string{"testuser", "otherlogin", "neo"} {
		if ok, _ := app.store.UserExists(context.Background(), name); ok {
			n++
		}
	}
	return n
}

func TestLoginEndToEnd(t *testing.T) {
	app := newTestApp(t, nil, nil)
	final, body := app.browser.visit("/login/oauth2/?next=/after")
	if final.Path != "/after" || !strings.Contains(body, "user=testuser") {
		t.Fatalf("landed on %s: %s", final, body)
	}

	// What the library sent to the provider.
	authz := app.p.RequestsTo(socialtest.AuthorizePath)
	if len(authz) != 1 {
		t.Fatalf("%d authorize requests", len(authz))
	}
	q := authz[0].Query
	if q.Get("state") == "" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		q.Get("response_type") != "code" || q.Get("client_id") != app.p.ClientID ||
		q.Get("redirect_uri") != app.srv.URL+"/complete/oauth2/" {
		t.Errorf("authorize query: %v", q)
	}
	tok := app.p.RequestsTo(socialtest.TokenPath)
	if len(tok) != 1 || tok[0].Form.Get("code_verifier") == "" || tok[0].Form.Get("grant_type") != "authorization_code" {
		t.Fatalf("token requests: %+v", tok)
	}
	if id, secret, ok := tok[0].BasicAuth(); !ok || id != app.p.ClientID || secret != app.p.ClientSecret {
		t.Error("client_secret_basic not used by default")
	}
	user := app.p.RequestsTo(socialtest.UserPath)
	if len(user) != 1 || !strings.HasPrefix(user[0].Header.Get("Authorization"), "Bearer ") ||
		user[0].Header.Get("User-Agent") != socialauth.DefaultUserAgent {
		t.Errorf("user request: %+v", user)
	}

	// What was stored.
	ctx := context.Background()
	assoc, err := app.store.GetAssociation(ctx, "oauth2", "1001")
	if err != nil {
		t.Fatal(err)
	}
	if assoc.ExtraData["access_token"] == nil || assoc.ExtraData["auth_time"] == nil {
		t.Errorf("extra data: %v", assoc.ExtraData)
	}
	u, err := app.store.GetUser(ctx, assoc.UserID)
	if err != nil || u.Username != "testuser" || u.Email != "test.user@example.com" || u.FirstName != "Test" || u.LastName != "User" {
		t.Errorf("user: %+v, %v", u, err)
	}
	if !app.events.has("created testuser") || !app.events.has("completed oauth2 testuser new=true") || !app.events.has("associated oauth2 1001") {
		t.Errorf("events: %v", app.events.list)
	}

	// A second login finds the same user.
	app.auth.Logout(httptest.NewRecorder(), httptest.NewRequest("POST", "/", nil))
	b2 := app.newBrowser()
	final, body = b2.visit("/login/oauth2/")
	if final.Path != "/home" || !strings.Contains(body, "user=testuser") {
		t.Fatalf("second login landed on %s: %s", final, body)
	}
	if !app.events.has("completed oauth2 testuser new=false") || app.userCount() != 1 {
		t.Errorf("second login created a user: %v", app.events.list)
	}
}

func TestRedirectSettings(t *testing.T) {
	app := newTestApp(t, settings.Map{
		"SOCIAL_AUTH_NEW_USER_REDIRECT_URL":        "/welcome",
		"SOCIAL_AUTH_NEW_ASSOCIATION_REDIRECT_URL": "/linked?tab=accounts",
	}, nil)
	final, _ := app.browser.visit("/login/oauth2/?next=/after")
	if final.Path != "/welcome" || final.Query().Get("next") != "/after" {
		t.Errorf("new user landed on %s", final)
	}
	final, _ = app.browser.visit("/login/other/?next=/after2")
	if final.Path != "/linked" || final.Query().Get("tab") != "accounts" || final.Query().Get("next") != "/after2" {
		t.Errorf("new association landed on %s", final)
	}
	// Both accounts belong to one user.
	ctx := context.Background()
	a1, _ := app.store.GetAssociation(ctx, "oauth2", "1001")
	a2, err := app.store.GetAssociation(ctx, "other", "o-77")
	if err != nil || a1.UserID != a2.UserID {
		t.Errorf("accounts not linked to one user: %v", err)
	}
	td, err := app.auth.TemplateData(authedRequest(t, app, app.browser))
	if err != nil || td.User == nil || len(td.Associated) != 2 || len(td.NotAssociated) != 0 || len(td.Backends) != 2 {
		t.Errorf("template data: %+v, %v", td, err)
	}
	// A returning user goes to next.
	b2 := app.newBrowser()
	if final, _ := b2.visit("/login/oauth2/?next=/again"); final.Path != "/again" {
		t.Errorf("returning user landed on %s", final)
	}
}

// authedRequest builds a request carrying a browser's cookies.
func authedRequest(t *testing.T, app *testApp, b *browser) *http.Request {
	t.Helper()
	r := httptest.NewRequest("GET", app.srv.URL+"/", nil)
	u, _ := url.Parse(app.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		r.AddCookie(c)
	}
	return r
}

func TestHostileNextIsDropped(t *testing.T) {
	for _, next := range []string{"https://evil.example.net/", "//evil.example.net/x", "/\\evil.example.net", "javascript:alert(1)"} {
		app := newTestApp(t, nil, nil)
		final, _ := app.browser.visit("/login/oauth2/?next=" + url.QueryEscape(next))
		if final.Host != strings.TrimPrefix(app.srv.URL, "https://") || final.Path != "/home" {
			t.Errorf("next %q: landed on %s", next, final)
		}
	}
	app := newTestApp(t, settings.Map{"SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS": []string{"127.0.0.1:1"}}, nil)
	res, body := app.browser.get(app.browser.callback("oauth2").String())
	_ = body
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status %d", res.StatusCode)
	}
}

func TestForgedMissingAndReplayedState(t *testing.T) {
	t.Run("forged state", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		cb := app.browser.callback("oauth2")
		q := cb.Query()
		q.Set("state", "forged"+q.Get("state"))
		cb.RawQuery = q.Encode()
		final, _ := app.browser.visit(cb.String())
		wantError(t, final, "oauth2", "wrong state")
		if app.userCount() != 0 || len(app.p.RequestsTo(socialtest.TokenPath)) != 0 {
			t.Error("a forged state reached the token endpoint or stored a user")
		}
		app.browser.wantAnonymous()
	})
	t.Run("missing state", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		cb := app.browser.callback("oauth2")
		q := cb.Query()
		q.Del("state")
		cb.RawQuery = q.Encode()
		final, _ := app.browser.visit(cb.String())
		wantError(t, final, "oauth2", "state")
		if app.userCount() != 0 {
			t.Error("stored a user")
		}
	})
	t.Run("callback in another browser (no session)", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		cb := app.browser.callback("oauth2")
		attacker := app.newBrowser()
		final, _ := attacker.visit(cb.String())
		wantError(t, final, "oauth2", "state")
		if app.userCount() != 0 {
			t.Error("a callback without the session logged someone in")
		}
		attacker.wantAnonymous()
	})
	t.Run("replayed callback", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		cb := app.browser.callback("oauth2")
		if final, _ := app.browser.visit(cb.String()); final.Path != "/home" {
			t.Fatalf("first callback landed on %s", final)
		}
		final, _ := app.browser.visit(cb.String())
		wantError(t, final, "oauth2", "state")
		if n := len(app.p.RequestsTo(socialtest.TokenPath)); n != 1 {
			t.Errorf("the replayed code was sent to the provider (%d token calls)", n)
		}
	})
	t.Run("stash of another backend", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		cb := app.browser.callback("oauth2") // state kept for oauth2 only
		cb.Path = "/complete/other/"
		final, _ := app.browser.visit(cb.String())
		wantError(t, final, "other", "state")
		if app.userCount() != 0 {
			t.Error("stored a user")
		}
	})
}

func TestProviderFailures(t *testing.T) {
	t.Run("access denied is AuthCanceled", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		app.p.Deny()
		final, _ := app.browser.visit("/login/oauth2/")
		wantError(t, final, "oauth2", "canceled")
		app.browser.wantAnonymous()
	})
	t.Run("token endpoint error", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		app.p.FailNext(socialtest.TokenPath, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"nope"}`)
		final, _ := app.browser.visit("/login/oauth2/")
		wantError(t, final, "oauth2", "token")
		if app.userCount() != 0 {
			t.Error("stored a user")
		}
	})
	t.Run("huge user reply", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		app.p.SetUserReply(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"1","pad":"`)
			chunk := strings.Repeat("x", 64<<10)
			for range 40 {
				io.WriteString(w, chunk)
			}
			io.WriteString(w, `"}`)
		})
		final, _ := app.browser.visit("/login/oauth2/")
		wantError(t, final, "oauth2", "")
		if app.userCount() != 0 {
			t.Error("stored a user")
		}
	})
	t.Run("malformed user reply", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		app.p.SetUserReply(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":`) })
		final, _ := app.browser.visit("/login/oauth2/")
		wantError(t, final, "oauth2", "")
		app.browser.wantAnonymous()
	})
	t.Run("unknown backend", func(t *testing.T) {
		app := newTestApp(t, nil, nil)
		final, _ := app.browser.visit("/login/nope/")
		wantError(t, final, "nope", "incorrect authentication service")
	})
	t.Run("RAISE_EXCEPTIONS answers with a status", func(t *testing.T) {
		app := newTestApp(t, settings.Map{"SOCIAL_AUTH_RAISE_EXCEPTIONS": true}, nil)
		app.p.Deny()
		res, _ := app.browser.get("/login/oauth2/")
		res, _ = app.browser.get(res.Header.Get("Location"))
		res, body := app.browser.get(res.Header.Get("Location"))
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "canceled") {
			t.Errorf("status %d: %s", res.StatusCode, body)
		}
	})
	t.Run("RAISE_EXCEPTIONS with an error handler", func(t *testing.T) {
		var got error
		app := newTestApp(t, settings.Map{"SOCIAL_AUTH_RAISE_EXCEPTIONS": true}, func(c *socialauth.Config) {
			c.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
				got = err
				w.WriteHeader(http.StatusTeapot)
			}
		})
		app.p.Deny()
		res, _ := app.browser.get("/login/oauth2/")
		res, _ = app.browser.get(res.Header.Get("Location"))
		res, _ = app.browser.get(res.Header.Get("Location"))
		var se interface{ PublicMessage() string }
		if res.StatusCode != http.StatusTeapot || !errors.As(got, &se) {
			t.Errorf("status %d, err %v", res.StatusCode, got)
		}
	})
}

func TestMethodsAndRoutes(t *testing.T) {
	app := newTestApp(t, nil, nil)
	if res, _ := app.browser.do(app.browser.request(http.MethodDelete, "/login/oauth2/", nil)); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /login/: %d", res.StatusCode)
	}
	// A HEAD (link prefetch) must not spend the login's state.
	cb := app.browser.callback("oauth2")
	head, _ := http.NewRequest(http.MethodHead, cb.String(), nil)
	if res, _ := app.browser.do(head); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD /complete/: %d", res.StatusCode)
	}
	if final, _ := app.browser.visit(cb.String()); final.Path != "/home" {
		t.Errorf("login after a HEAD landed on %s", final)
	}
	if res, _ := app.browser.get("/disconnect/oauth2/"); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
		t.Errorf("GET /disconnect/: %d", res.StatusCode)
	}
	// Without the trailing slash and under a prefix too.
	h := app.auth.Handler()
	for _, path := range []string{"/login/oauth2", "/auth/login/oauth2/", "/a/b/login/oauth2"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example.com"+path, nil))
		loc, _ := url.Parse(rec.Header().Get("Location"))
		prefix := strings.TrimSuffix(strings.TrimSuffix(path, "/"), "/login/oauth2")
		if rec.Code != http.StatusFound || loc.Query().Get("redirect_uri") != "https://app.example.com"+prefix+"/complete/oauth2/" {
			t.Errorf("%s: %d, redirect_uri %q", path, rec.Code, loc.Query().Get("redirect_uri"))
		}
	}
	for _, path := range []string{"/", "/login/", "/complete", "/elsewhere/oauth2/", "/login/../",
		"/login/%3Cscript%3E/", "/login/" + strings.Repeat("a", 65) + "/", "/disconnect/oauth2/1%0A2/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}
}

func TestPartialPipelinePauseAndResume(t *testing.T) {
	askNickname := func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		if nick := s.Request.Get("nickname"); nick != "" {
			s.Details.Username = nick
			s.Data["asked"] = true
			return pipeline.Continue, nil
		}
		token := s.PartialToken
		return s.Pause(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "choose a nickname; partial_token=%s", token)
		}))
	}
	var sawData []any
	remember := func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		sawData = append(sawData, s.Data["asked"])
		return pipeline.Continue, nil
	}
	configure := func(c *socialauth.Config) {
		steps := pipeline.Default()
		// before GetUsername (index 4)
		steps = append(steps[:4], append([]pipeline.Step{askNickname}, steps[4:]...)...)
		c.Pipeline = append(steps, remember)
	}
	app := newTestApp(t, nil, configure)
	cb := app.browser.callback("oauth2")
	res, body := app.browser.get(cb.String())
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "partial_token=") {
		t.Fatalf("pause: %d %s", res.StatusCode, body)
	}
	token := body[strings.Index(body, "partial_token=")+len("partial_token="):]
	if app.userCount() != 0 {
		t.Fatal("a user was created before the pipeline finished")
	}
	app.browser.wantAnonymous()

	// Another browser cannot resume it, even with the token.
	attacker := app.newBrowser()
	res, _ = attacker.post("/complete/oauth2/", url.Values{"partial_token": {token}, "nickname": {"mallory"}})
	final, _ := attacker.follow(res, "")
	wantError(t, final, "oauth2", "browser that started it")
	if ok, _ := app.store.UserExists(context.Background(), "mallory"); ok {
		t.Fatal("another browser resumed the partial pipeline")
	}
	attacker.wantAnonymous()
	// Nor with a guessed token from the right browser.
	res, _ = app.browser.post("/complete/oauth2/", url.Values{"partial_token": {"guess"}, "nickname": {"x"}})
	final, _ = app.browser.follow(res, "")
	wantError(t, final, "oauth2", "browser that started it")

	// The browser that started it resumes at the same step.
	res, body = app.browser.post("/complete/oauth2/", url.Values{"partial_token": {token}, "nickname": {"neo"}})
	final, body = app.browser.follow(res, body)
	if final.Path != "/home" || !strings.Contains(body, "user=neo") {
		t.Fatalf("resume landed on %s: %s", final, body)
	}
	if len(sawData) != 1 || sawData[0] != true {
		t.Errorf("state data after resume: %v", sawData)
	}
	// The partial is spent.
	res, _ = app.browser.post("/complete/oauth2/", url.Values{"partial_token": {token}, "nickname": {"again"}})
	final, _ = app.browser.follow(res, "")
	if final.Path != "/error" {
		t.Errorf("a spent partial was resumed: %s", final)
	}
}

func TestDisconnect(t *testing.T) {
	app := newTestApp(t, nil, nil)
	app.browser.visit("/login/oauth2/")
	ctx := context.Background()

	// The only way to log in cannot be removed.
	res, _ := app.browser.post("/disconnect/oauth2/", nil)
	final, _ := app.browser.follow(res, "")
	wantError(t, final, "oauth2", "cannot be disconnected")
	if _, err := app.store.GetAssociation(ctx, "oauth2", "1001"); err != nil {
		t.Fatal("the association was removed")
	}

	app.browser.visit("/login/other/")
	other, err := app.store.GetAssociation(ctx, "other", "o-77")
	if err != nil {
		t.Fatal(err)
	}
	// Cross-site posts are refused.
	req := app.browser.request(http.MethodPost, "/disconnect/other/", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, _ := app.browser.do(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site disconnect: %d", res.StatusCode)
	}
	if res, _ := app.browser.postFrom("https://evil.example.net", "/disconnect/other/", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign-origin disconnect: %d", res.StatusCode)
	}
	// Nobody logged in.
	res, _ = app.newBrowser().post("/disconnect/other/", nil)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/error") {
		t.Errorf("anonymous disconnect went to %q", loc)
	}
	// Another user's association id is not found for this user.
	res, _ = app.browser.post("/disconnect/other/999/", nil)
	final, _ = app.browser.follow(res, "")
	if final.Path != "/error" {
		t.Errorf("unknown association id: %s", final)
	}
	if _, err := app.store.GetAssociation(ctx, "other", "o-77"); err != nil {
		t.Fatal("association removed by a refused request")
	}
	// By id, same site.
	res, _ = app.browser.post("/disconnect/other/"+other.ID+"/", url.Values{"next": {"/accounts"}})
	final, _ = app.browser.follow(res, "")
	if final.Path != "/accounts" {
		t.Errorf("disconnect landed on %s", final)
	}
	if _, err := app.store.GetAssociation(ctx, "other", "o-77"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("association still there: %v", err)
	}
	if !app.events.has("disconnected other 1") {
		t.Errorf("events: %v", app.events.list)
	}
	// Disconnect is not logout.
	if _, body := app.browser.visit("/whoami"); !strings.Contains(body, "user=testuser") {
		t.Error("disconnect logged the user out")
	}
}

func TestSessionExpirationAndLoginHooks(t *testing.T) {
	app := newTestApp(t, settings.Map{"SOCIAL_AUTH_SESSION_EXPIRATION": true}, nil)
	cb := app.browser.callback("oauth2")
	res, _ := app.browser.get(cb.String())
	var maxAge int
	for _, c := range res.Cookies() {
		if c.Name == "socialauth" {
			maxAge = c.MaxAge
		}
	}
	if maxAge < 3500 || maxAge > 3600 {
		t.Errorf("session lifetime %d, want the token's 3600 seconds", maxAge)
	}

	var loggedIn []string
	app2 := newTestApp(t, nil, func(c *socialauth.Config) {
		c.Login = func(w http.ResponseWriter, r *http.Request, _ *session.Session, u *store.User) error {
			loggedIn = append(loggedIn, u.Username)
			http.SetCookie(w, &http.Cookie{Name: "app_user", Value: u.ID, Path: "/"})
			return nil
		}
		c.CurrentUser = func(r *http.Request) (*store.User, error) {
			ck, err := r.Cookie("app_user")
			if err != nil {
				return nil, nil
			}
			return c.Store.GetUser(r.Context(), ck.Value)
		}
	})
	final, body := app2.browser.visit("/login/oauth2/")
	if final.Path != "/home" || !strings.Contains(body, "user=testuser") || len(loggedIn) != 1 {
		t.Errorf("custom login: %s %s %v", final, body, loggedIn)
	}
}

func TestInactiveUser(t *testing.T) {
	app := newTestApp(t, settings.Map{"SOCIAL_AUTH_INACTIVE_USER_URL": "/inactive"}, nil)
	app.browser.visit("/login/oauth2/")
	ctx := context.Background()
	a, _ := app.store.GetAssociation(ctx, "oauth2", "1001")
	u, _ := app.store.GetUser(ctx, a.UserID)
	u.IsActive = false
	if err := app.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	b := app.newBrowser()
	final, _ := b.visit("/login/oauth2/")
	if final.Path != "/inactive" {
		t.Errorf("inactive user landed on %s", final)
	}
	b.wantAnonymous()
}

func TestFieldsStoredInSessionAndBackendPipelineSetting(t *testing.T) {
	var campaign string
	app := newTestApp(t, settings.Map{
		"SOCIAL_AUTH_FIELDS_STORED_IN_SESSION": []string{"campaign"},
		"SOCIAL_AUTH_OTHER_PIPELINE": []string{
			"social_core.pipeline.social_auth.social_details", "social_uid", "AuthAllowed",
			"social_user", "associate_user", "load_extra_data", "user_details",
		},
	}, func(c *socialauth.Config) {
		c.Pipeline = append(pipeline.Default(), func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
			campaign, _ = s.Session.Get("campaign")
			return pipeline.Continue, nil
		})
	})
	app.browser.visit("/login/oauth2/?campaign=spring")
	if campaign != "spring" {
		t.Errorf("campaign = %q", campaign)
	}
	// The "other" pipeline creates no users: a stranger is refused.
	b := app.newBrowser()
	final, _ := b.visit("/login/other/")
	wantError(t, final, "other", "")
	if ok, _ := app.store.UserExists(context.Background(), "otherlogin"); ok {
		t.Error("a pipeline without create_user created a user")
	}
}

// Fields stored in the session never overwrite the engine's own keys: a
// `next` taken from the request as a stored field would skip the
// redirect check.
func TestFieldsStoredInSessionCannotOverrideEngineKeys(t *testing.T) {
	app := newTestApp(t, settings.Map{
		"SOCIAL_AUTH_FIELDS_STORED_IN_SESSION": []string{"next", "partial_pipeline_token", "_socialauth_user_id"},
	}, nil)
	final, _ := app.browser.visit("/login/oauth2/?next=" + url.QueryEscape("https://evil.example.net/") +
		"&partial_pipeline_token=forged&_socialauth_user_id=1")
	if final.Host != strings.TrimPrefix(app.srv.URL, "https://") || final.Path != "/home" {
		t.Fatalf("landed on %s", final)
	}
}

func TestWhitelistForbids(t *testing.T) {
	app := newTestApp(t, settings.Map{"SOCIAL_AUTH_OAUTH2_WHITELISTED_DOMAINS": []string{"corp.example"}}, nil)
	final, _ := app.browser.visit("/login/oauth2/")
	wantError(t, final, "oauth2", "credentials aren't allowed")
	if app.userCount() != 0 {
		t.Error("stored a user")
	}
}

func TestAlreadyAssociated(t *testing.T) {
	app := newTestApp(t, nil, nil)
	app.browser.visit("/login/other/") // user A via other
	b := app.newBrowser()
	b.visit("/login/oauth2/") // user B via oauth2
	// B, logged in, now tries A's "other" account.
	final, _ := b.visit("/login/other/")
	wantError(t, final, "other", "already in use")
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": "github,nope",
			"SOCIAL_AUTH_PIPELINE":                []string{"social_details", "no_such_step"},
			"SOCIAL_AUTH_UUID_LENGTH":             "many",
		}),
		Store: memstore.New(memstore.Options{}),
	})
	var ce *socialauth.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"SOCIAL_AUTH_SECRET_KEY", `unknown backend "nope"`, "SOCIAL_AUTH_GITHUB_KEY", "no_such_step", "UUID_LENGTH"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %s:\n%s", want, msg)
		}
	}
	if _, err := socialauth.New(socialauth.Config{}); err == nil {
		t.Error("empty config accepted")
	}
}

func TestApplicationUserStoreAndRedirectIsHTTPS(t *testing.T) {
	appUsers := memstore.New(memstore.Options{}) // stands for the application's own user model
	app := newTestApp(t, settings.Map{"SOCIAL_AUTH_DISCONNECT_REDIRECT_URL": "/after-disconnect"}, func(c *socialauth.Config) {
		c.Users = appUsers
	})
	app.browser.visit("/login/oauth2/")
	ctx := context.Background()
	if ok, _ := appUsers.UserExists(ctx, "testuser"); !ok {
		t.Fatal("the user was not created in the application's user store")
	}
	if ok, _ := app.store.UserExists(ctx, "testuser"); ok {
		t.Fatal("the user was created in socialauth's own table although Config.Users is set")
	}
	app.browser.visit("/login/other/")
	res, _ := app.browser.post("/disconnect/other/", nil)
	if loc := res.Header.Get("Location"); loc != "/after-disconnect" {
		t.Errorf("disconnect redirect = %q", loc)
	}

	// Behind a TLS-terminating proxy the request arrives over HTTP; the
	// callback URL must still be https.
	httpsApp := newTestApp(t, settings.Map{"SOCIAL_AUTH_REDIRECT_IS_HTTPS": true}, nil)
	rec := httptest.NewRecorder()
	httpsApp.auth.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://app.example.com/login/oauth2/", nil))
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if got := loc.Query().Get("redirect_uri"); got != "https://app.example.com/complete/oauth2/" {
		t.Errorf("redirect_uri = %q", got)
	}
}

func TestPausedDisconnectResumes(t *testing.T) {
	confirm := func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		if s.Request.Get("confirm") == "yes" {
			return pipeline.Continue, nil
		}
		return s.Pause(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "confirm?") }))
	}
	app := newTestApp(t, nil, func(c *socialauth.Config) {
		c.DisconnectPipeline = append([]pipeline.Step{confirm}, pipeline.DefaultDisconnect()...)
	})
	app.browser.visit("/login/oauth2/")
	app.browser.visit("/login/other/")
	res, body := app.browser.post("/disconnect/other/", nil)
	if res.StatusCode != http.StatusOK || body != "confirm?" {
		t.Fatalf("pause: %d %q", res.StatusCode, body)
	}
	res, _ = app.browser.post("/disconnect/other/", url.Values{"confirm": {"yes"}})
	if res.StatusCode != http.StatusFound {
		t.Fatalf("resume: %d", res.StatusCode)
	}
	if _, err := app.store.GetAssociation(context.Background(), "other", "o-77"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("association still there after the confirmed disconnect: %v", err)
	}
}

func TestPythonClassPathsSelectBackends(t *testing.T) {
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{
				"social_core.backends.github.GithubOAuth2", "social.backends.google.GoogleOAuth2", "github",
			},
			"SOCIAL_AUTH_GITHUB_KEY": "k", "SOCIAL_AUTH_GITHUB_SECRET": "s",
			"SOCIAL_AUTH_GOOGLE_OAUTH2_KEY": "k", "SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET": "s",
			"SOCIAL_AUTH_SECRET_KEY": testSecretKey,
		}),
		Store: memstore.New(memstore.Options{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(auth.BackendNames(), ","); got != "github,google-oauth2" {
		t.Errorf("backends = %s", got)
	}
}
