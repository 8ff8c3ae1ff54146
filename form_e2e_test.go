package socialauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
)

// formApp is an application logging people in with the email and username
// backends, passwords checked by form.PasswordStep.
type formApp struct {
	*site
	hashes *form.MemoryPasswordHashes

	mu     sync.Mutex
	events []string
}

func newFormApp(t *testing.T) *formApp {
	t.Helper()
	app := &formApp{hashes: &form.MemoryPasswordHashes{}}

	// The password step runs before CreateUser (to refuse a bad password
	// before anything is stored) and after it (to store the new hash).
	password := form.PasswordStep(app.hashes)
	steps := pipeline.Default()
	at := slices.IndexFunc(steps, func(s pipeline.Step) bool {
		return reflect.ValueOf(s).Pointer() == reflect.ValueOf(pipeline.CreateUser).Pointer()
	})
	steps = slices.Insert(steps, at+1, password)
	steps = slices.Insert(steps, at, password)

	app.site = serveApp(t, func(s *site) socialauth.Config {
		return socialauth.Config{
			Settings: settings.New(settings.Map{
				"SOCIAL_AUTH_SECRET_KEY":              testSecretKey,
				"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"social_core.backends.email.EmailAuth", "username"},
				"SOCIAL_AUTH_FORM_PASSWORD":           true,
				"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
				"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",
			}),
			Store:    s.store,
			Users:    form.UsersWithPasswords{UserStore: s.store, Hashes: app.hashes},
			Pipeline: steps,
			Events: socialauth.Events{
				LoginCompleted: func(_ context.Context, b string, u *store.User, isNew bool) {
					app.event(fmt.Sprintf("completed %s %s new=%v", b, u.Username, isNew))
				},
				LoginFailed: func(_ context.Context, b string, err error) { app.event("failed " + b) },
			},
		}
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

var formActionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// submitForm opens /login/{backend}/, finds the form's action and posts
// fields to it with the given headers (as a browser would add Origin and
// Sec-Fetch-Site); it returns where the browser lands.
func submitForm(b *browser, backendName string, fields url.Values, headers map[string]string) (*url.URL, string) {
	b.t.Helper()
	_, page := b.visit("/login/" + backendName + "/?next=/after")
	m := formActionRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no form on the login page:\n%s", page)
	}
	action := m[1]
	if want := b.site.srv.URL + "/complete/" + backendName + "/"; action != want {
		b.t.Fatalf("form posts to %s, want %s", action, want)
	}
	for _, input := range []string{`name="` + backendName + `"`, `name="password" type="password"`} {
		if !strings.Contains(page, input) {
			b.t.Errorf("the form lacks %s", input)
		}
	}
	req := b.request(http.MethodPost, action, fields)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b.follow(b.do(req))
}

func TestFormEmailLoginEndToEnd(t *testing.T) {
	app := newFormApp(t)
	ctx := context.Background()
	secret := "correct horse battery staple"

	// Sign-up.
	b := app.newBrowser()
	final, body := submitForm(b, "email", url.Values{"email": {"Ada@Example.COM"}, "password": {secret}},
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
	b2 := app.newBrowser()
	final, body = submitForm(b2, "email", url.Values{"email": {"Ada@example.com"}, "password": {secret}}, nil)
	if final.Path != "/after" || !strings.Contains(body, "user=Ada") {
		t.Fatalf("login landed on %s: %s", final, body)
	}

	// The wrong password: refused, nobody logged in, nothing stored.
	b3 := app.newBrowser()
	final, _ = submitForm(b3, "email", url.Values{"email": {"Ada@EXAMPLE.com"}, "password": {"correct horse battery stapler"}}, nil)
	wantError(t, final, "email", "wrong password")
	b3.wantAnonymous()
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
	res, _ := b.postFrom(app.srv.URL, "/disconnect/email/", nil)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("disconnect: %d", res.StatusCode)
	}
	if _, err := app.store.GetAssociation(ctx, "email", "Ada@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("association after disconnect: %v", err)
	}
}

func TestFormUsernameLoginEndToEnd(t *testing.T) {
	app := newFormApp(t)
	b := app.newBrowser()
	final, body := submitForm(b, "username", url.Values{"username": {" grace_h "}, "password": {"hopper-1906"}, "email": {"grace@example.com"}}, nil)
	if final.Path != "/after" || !strings.Contains(body, "user=grace_h") {
		t.Fatalf("sign-up landed on %s: %s", final, body)
	}
	exists, _ := app.store.UserExists(context.Background(), "grace_h")
	_, err := app.store.GetAssociation(context.Background(), "username", "grace_h")
	if !exists || err != nil {
		t.Fatalf("user %v, association %v", exists, err)
	}
	b2 := app.newBrowser()
	final, _ = submitForm(b2, "username", url.Values{"username": {"grace_h"}, "password": {"hopper-1907"}}, nil)
	wantError(t, final, "username", "wrong password")
	b2.wantAnonymous()
	b3 := app.newBrowser()
	if final, body := submitForm(b3, "username", url.Values{"username": {"grace_h"}, "password": {"hopper-1906"}}, nil); final.Path != "/after" || !strings.Contains(body, "user=grace_h") {
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
		raw     func(app *formApp, b *browser) (*url.URL, string) // instead of submitting the form
		message string
	}{
		{name: "cross-site post", fields: good, headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, message: "cross-site"},
		{name: "old browser, foreign origin", fields: good, headers: map[string]string{"Origin": "https://evil.example"}, message: "cross-site"},
		{name: "no email", fields: url.Values{"password": {"long enough password"}}, message: "email"},
		{name: "malformed email", fields: url.Values{"email": {"eve@example.com, ada@example.com"}, "password": {"long enough password"}}, message: "valid email"},
		{name: "oversized email", fields: url.Values{"email": {strings.Repeat("e", 250) + "@example.com"}, "password": {"long enough password"}}, message: "valid email"},
		{name: "short new password", fields: url.Values{"email": {"eve@example.com"}, "password": {"short"}}, message: "password"},
		{name: "no password", fields: url.Values{"email": {"eve@example.com"}}, message: "password"},
		{name: "GET with the email in the query", raw: func(app *formApp, b *browser) (*url.URL, string) {
			return b.visit("/complete/email/?email=eve%40example.com&password=long+enough+password")
		}, message: "posted"},
		{name: "oversized body", raw: func(app *formApp, b *browser) (*url.URL, string) {
			fields := url.Values{"email": {"eve@example.com"}, "password": {"long enough password"}, "junk": {strings.Repeat("j", 70<<10)}}
			return b.follow(b.post("/complete/email/", fields))
		}, message: "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newFormApp(t)
			b := app.newBrowser()
			var final *url.URL
			if tc.raw != nil {
				final, _ = tc.raw(app, b)
			} else {
				final, _ = submitForm(b, "email", tc.fields, tc.headers)
			}
			wantError(t, final, "email", tc.message)
			b.wantAnonymous()
			wantNothingStored(t, app.store, "eve", account{"email", "eve@example.com"})
			if _, err := app.hashes.Get(context.Background(), "1"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a hash was stored: %v", err)
			}
		})
	}
}
