package socialauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/form"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// formApp is an application logging people in with the email and username
// backends, passwords checked by form.PasswordStep, served over TLS.
type formApp struct {
	t      *testing.T
	store  *memstore.Store
	hashes *form.MemoryPasswordHashes
	srv    *httptest.Server

	mu     sync.Mutex
	events []string
}

func newFormApp(t *testing.T) *formApp {
	t.Helper()
	app := &formApp{t: t, store: memstore.New(memstore.Options{}), hashes: &form.MemoryPasswordHashes{}}
	mux := http.NewServeMux()
	app.srv = httptest.NewTLSServer(mux)
	t.Cleanup(app.srv.Close)

	// The password step runs before CreateUser (to refuse a bad password
	// before anything is stored) and after it (to store the new hash).
	password := form.PasswordStep(app.hashes)
	steps := pipeline.Default()
	at := slices.IndexFunc(steps, func(s pipeline.Step) bool {
		return reflect.ValueOf(s).Pointer() == reflect.ValueOf(pipeline.CreateUser).Pointer()
	})
	steps = slices.Insert(steps, at+1, password)
	steps = slices.Insert(steps, at, password)

	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_SECRET_KEY":              testSecretKey,
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"social_core.backends.email.EmailAuth", "username"},
			"SOCIAL_AUTH_FORM_PASSWORD":           true,
			"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
			"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",
		}),
		Store:    app.store,
		Users:    form.UsersWithPasswords{UserStore: app.store, Hashes: app.hashes},
		Pipeline: steps,
		Events: socialauth.Events{
			LoginCompleted: func(_ context.Context, b string, u *store.User, isNew bool) {
				app.event(fmt.Sprintf("completed %s %s new=%v", b, u.Username, isNew))
			},
			LoginFailed: func(_ context.Context, b string, err error) { app.event("failed " + b) },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := auth.Handler()
	mux.Handle("/login/", h)
	mux.Handle("/complete/", h)
	mux.Handle("/disconnect/", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		who := "anonymous"
		if u, err := auth.CurrentUser(r); err == nil && u != nil {
			who = u.Username
		}
		fmt.Fprintf(w, "page=%s user=%s query=%s", r.URL.Path, who, r.URL.RawQuery)
	})
	return app
}

func (app *formApp) event(e string) {
	app.mu.Lock()
	defer app.mu.Unlock()
	app.events = append(app.events, e)
}

func (app *formApp) eventList() []string {
	app.mu.Lock()
	defer app.mu.Unlock()
	return slices.Clone(app.events)
}

// formBrowser keeps cookies and does not follow redirects by itself.
type formBrowser struct {
	app *formApp
	c   *http.Client
}

func (app *formApp) browser() *formBrowser {
	jar, _ := cookiejar.New(nil)
	return &formBrowser{app: app, c: &http.Client{
		Transport:     app.srv.Client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *formBrowser) do(req *http.Request) (*http.Response, string) {
	b.app.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.app.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// visit GETs a URL and follows redirects; it returns the final URL and body.
func (b *formBrowser) visit(rawURL string) (*url.URL, string) {
	b.app.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = b.app.srv.URL + rawURL
	}
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	return b.follow(b.do(req))
}

func (b *formBrowser) follow(res *http.Response, body string) (*url.URL, string) {
	b.app.t.Helper()
	for i := 0; res.StatusCode >= 300 && res.StatusCode < 400; i++ {
		if i > 10 {
			b.app.t.Fatal("redirect loop")
		}
		next, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if err != nil {
			b.app.t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, next.String(), nil)
		res, body = b.do(req)
	}
	return res.Request.URL, body
}

var formActionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// submit opens /login/{backend}/, finds the form's action and posts fields
// to it with the given headers (as a browser would add Origin and
// Sec-Fetch-Site); it returns where the browser lands.
func (b *formBrowser) submit(backendName string, fields url.Values, headers map[string]string) (*url.URL, string) {
	b.app.t.Helper()
	_, page := b.visit("/login/" + backendName + "/?next=/after")
	m := formActionRE.FindStringSubmatch(page)
	if m == nil {
		b.app.t.Fatalf("no form on the login page:\n%s", page)
	}
	action := m[1]
	if want := b.app.srv.URL + "/complete/" + backendName + "/"; action != want {
		b.app.t.Fatalf("form posts to %s, want %s", action, want)
	}
	for _, input := range []string{`name="` + backendName + `"`, `name="password" type="password"`} {
		if !strings.Contains(page, input) {
			b.app.t.Errorf("the form lacks %s", input)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, action, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b.follow(b.do(req))
}

// who returns the logged-in username, or "anonymous".
func (b *formBrowser) who() string {
	b.app.t.Helper()
	_, body := b.visit("/whoami")
	_, after, _ := strings.Cut(body, "user=")
	name, _, _ := strings.Cut(after, " ")
	return name
}

// stored reports what the store holds for an account.
func (app *formApp) stored(provider, uid, username string) (userExists, associated bool) {
	ctx := context.Background()
	userExists, _ = app.store.UserExists(ctx, username)
	_, err := app.store.GetAssociation(ctx, provider, uid)
	return userExists, err == nil
}

func (app *formApp) wantErrorPage(final *url.URL, backendName, messagePart string) {
	app.t.Helper()
	q := final.Query()
	if final.Path != "/error" || q.Get("backend") != backendName ||
		!strings.Contains(strings.ToLower(q.Get("message")), strings.ToLower(messagePart)) {
		app.t.Errorf("landed on %s; want /error for %s with %q", final, backendName, messagePart)
	}
}

func TestFormEmailLoginEndToEnd(t *testing.T) {
	app := newFormApp(t)
	ctx := context.Background()
	secret := "correct horse battery staple"

	// Sign-up.
	b := app.browser()
	final, body := b.submit("email", url.Values{"email": {"Ada@Example.COM"}, "password": {secret}},
		map[string]string{"Origin": app.srv.URL, "Sec-Fetch-Site": "same-origin"})
	if final.Path != "/after" || !strings.Contains(body, "user=Ada") {
		t.Fatalf("sign-up landed on %s: %s", final, body)
	}
	social, err := app.store.GetAssociation(ctx, "email", "Ada@example.com")
	if err != nil {
		t.Fatalf("association: %v", err)
	}
	u, _ := app.store.GetUser(ctx, social.UserID)
	if u.Email != "Ada@example.com" || u.Username != "Ada" {
		t.Errorf("user %+v", u)
	}
	if social.ExtraData["email"] != "Ada@example.com" || social.ExtraData["password"] != nil {
		t.Errorf("extra data %v", social.ExtraData)
	}
	h, err := app.hashes.Get(ctx, u.ID)
	if err != nil || !strings.HasPrefix(h, "pbkdf2_sha256$600000$") {
		t.Fatalf("hash %q, %v", h, err)
	}

	// Another browser, the right password: the same user.
	b2 := app.browser()
	final, body = b2.submit("email", url.Values{"email": {"Ada@example.com"}, "password": {secret}}, nil)
	if final.Path != "/after" || !strings.Contains(body, "user=Ada") {
		t.Fatalf("login landed on %s: %s", final, body)
	}

	// The wrong password: refused, nobody logged in, nothing stored.
	b3 := app.browser()
	final, _ = b3.submit("email", url.Values{"email": {"Ada@EXAMPLE.com"}, "password": {"correct horse battery stapler"}}, nil)
	app.wantErrorPage(final, "email", "wrong password")
	if who := b3.who(); who != "anonymous" {
		t.Errorf("wrong password logged %s in", who)
	}
	if again, _ := app.hashes.Get(ctx, u.ID); again != h {
		t.Error("the hash changed")
	}
	if all, _ := app.store.AssociationsForUser(ctx, u.ID, ""); len(all) != 1 {
		t.Errorf("%d associations", len(all))
	}
	want := []string{"completed email Ada new=true", "completed email Ada new=false", "failed email"}
	if got := app.eventList(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}

	// With a usable password, the user may drop other ways to log in: the
	// email association itself can go.
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/disconnect/email/", nil)
	req.Header.Set("Origin", app.srv.URL)
	res, _ := b.do(req)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("disconnect: %d", res.StatusCode)
	}
	if _, err := app.store.GetAssociation(ctx, "email", "Ada@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("association after disconnect: %v", err)
	}
}

func TestFormUsernameLoginEndToEnd(t *testing.T) {
	app := newFormApp(t)
	b := app.browser()
	final, body := b.submit("username", url.Values{"username": {" grace_h "}, "password": {"hopper-1906"}, "email": {"grace@example.com"}}, nil)
	if final.Path != "/after" || !strings.Contains(body, "user=grace_h") {
		t.Fatalf("sign-up landed on %s: %s", final, body)
	}
	if exists, associated := app.stored("username", "grace_h", "grace_h"); !exists || !associated {
		t.Fatalf("user %v, association %v", exists, associated)
	}
	b2 := app.browser()
	final, _ = b2.submit("username", url.Values{"username": {"grace_h"}, "password": {"hopper-1907"}}, nil)
	app.wantErrorPage(final, "username", "wrong password")
	if who := b2.who(); who != "anonymous" {
		t.Errorf("wrong password logged %s in", who)
	}
	b3 := app.browser()
	if final, body := b3.submit("username", url.Values{"username": {"grace_h"}, "password": {"hopper-1906"}}, nil); final.Path != "/after" || !strings.Contains(body, "user=grace_h") {
		t.Errorf("login landed on %s: %s", final, body)
	}
}

// TestFormHostilePostsEndToEnd: every refused post leaves no user, no
// association, no hash and nobody logged in.
func TestFormHostilePostsEndToEnd(t *testing.T) {
	good := url.Values{"email": {"eve@example.com"}, "password": {"long enough password"}}
	for _, tc := range []struct {
		name    string
		fields  url.Values
		headers map[string]string
		raw     func(app *formApp, b *formBrowser) (*url.URL, string) // instead of submitting the form
		message string
	}{
		{name: "cross-site post", fields: good, headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, message: "cross-site"},
		{name: "old browser, foreign origin", fields: good, headers: map[string]string{"Origin": "https://evil.example"}, message: "cross-site"},
		{name: "no email", fields: url.Values{"password": {"long enough password"}}, message: "email"},
		{name: "malformed email", fields: url.Values{"email": {"eve@example.com, ada@example.com"}, "password": {"long enough password"}}, message: "valid email"},
		{name: "oversized email", fields: url.Values{"email": {strings.Repeat("e", 250) + "@example.com"}, "password": {"long enough password"}}, message: "valid email"},
		{name: "short new password", fields: url.Values{"email": {"eve@example.com"}, "password": {"short"}}, message: "password"},
		{name: "no password", fields: url.Values{"email": {"eve@example.com"}}, message: "password"},
		{name: "GET with the email in the query", raw: func(app *formApp, b *formBrowser) (*url.URL, string) {
			return b.visit("/complete/email/?email=eve%40example.com&password=long+enough+password")
		}, message: "posted"},
		{name: "oversized body", raw: func(app *formApp, b *formBrowser) (*url.URL, string) {
			fields := url.Values{"email": {"eve@example.com"}, "password": {"long enough password"}, "junk": {strings.Repeat("j", 70<<10)}}
			req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/complete/email/", strings.NewReader(fields.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return b.follow(b.do(req))
		}, message: "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newFormApp(t)
			b := app.browser()
			var final *url.URL
			if tc.raw != nil {
				final, _ = tc.raw(app, b)
			} else {
				final, _ = b.submit("email", tc.fields, tc.headers)
			}
			app.wantErrorPage(final, "email", tc.message)
			if who := b.who(); who != "anonymous" {
				t.Errorf("%s is logged in", who)
			}
			if exists, associated := app.stored("email", "eve@example.com", "eve"); exists || associated {
				t.Errorf("stored: user %v, association %v", exists, associated)
			}
			if _, err := app.hashes.Get(context.Background(), "1"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a hash was stored: %v", err)
			}
		})
	}
}
