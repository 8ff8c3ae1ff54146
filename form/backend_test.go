package form_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/form"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
)

const completeURL = "https://app.example.com/complete/email/"

func buildE(spec backend.Spec, m settings.Map) (backend.Backend, error) {
	return spec.Build(backend.Config{
		Name:     spec.Name,
		Settings: settings.New(m).For(spec.Name),
		Logger:   slog.New(slog.DiscardHandler),
		Now:      time.Now,
	})
}

func build(t *testing.T, spec backend.Spec, m settings.Map) backend.Backend {
	t.Helper()
	b, err := buildE(spec, m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// begin runs Begin and serves its page, if any.
func begin(t *testing.T, b backend.Backend, params url.Values) (*backend.BeginResult, *httptest.ResponseRecorder) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "https://app.example.com/login/"+b.Name()+"/?"+params.Encode(), nil)
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: completeURL, State: "unused", Params: params, Request: r})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stash != nil {
		t.Errorf("Stash = %v, want nil: form backends remember nothing", res.Stash)
	}
	rec := httptest.NewRecorder()
	if res.Handler != nil {
		res.Handler.ServeHTTP(rec, r)
	}
	return res, rec
}

func TestBeginBuiltinPage(t *testing.T) {
	for _, tc := range []struct {
		spec     backend.Spec
		settings settings.Map
		want     []string
		wantNot  []string
	}{
		{form.Email(), nil,
			[]string{`action="` + completeURL + `"`, `method="post"`, `<label for="email">`, `id="email" name="email" type="email"`, `autocomplete="email"`, `lang="en"`},
			[]string{"<script", `type="password"`, "http://", "src="}},
		{form.Email(), settings.Map{"SOCIAL_AUTH_EMAIL_FORM_PASSWORD": true},
			[]string{`name="email"`, `<label for="password">`, `name="password" type="password" autocomplete="current-password"`},
			[]string{"<script"}},
		{form.Username(), nil,
			[]string{`<label for="username">`, `name="username" type="text" autocomplete="username"`, `maxlength="150"`},
			[]string{`name="email"`, `type="password"`, "<script"}},
	} {
		b := build(t, tc.spec, tc.settings)
		res, rec := begin(t, b, url.Values{})
		if res.Handler == nil || res.RedirectURL != "" {
			t.Fatalf("%s: Begin = %+v, want a page", tc.spec.Name, res)
		}
		body := rec.Body.String()
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q:\n%s", tc.spec.Name, w, body)
			}
		}
		for _, w := range tc.wantNot {
			if strings.Contains(body, w) {
				t.Errorf("%s: page has %q", tc.spec.Name, w)
			}
		}
		h := rec.Header()
		if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("%s: headers %v", tc.spec.Name, h)
		}
	}
}

func TestBeginFormURL(t *testing.T) {
	b := build(t, form.Email(), settings.Map{
		"SOCIAL_AUTH_EMAIL_FORM_URL":  "/login-form/",
		"SOCIAL_AUTH_EMAIL_FORM_HTML": "/no/such/file.html", // FORM_URL wins
	})
	res, _ := begin(t, b, url.Values{"next": {"/account"}})
	if res.RedirectURL != "/login-form/" || res.Handler != nil {
		t.Errorf("Begin = %+v, want a redirect to /login-form/", res)
	}
	// Read through the normal lookup: the global name works for both.
	u := build(t, form.Username(), settings.Map{"SOCIAL_AUTH_FORM_URL": "https://accounts.example.com/form"})
	if res, _ := begin(t, u, nil); res.RedirectURL != "https://accounts.example.com/form" {
		t.Errorf("username Begin = %+v", res)
	}
}

func TestBeginFormHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "login_form.html")
	tmpl := `<form method="post" action="{{.Action}}"><input name="{{.Field}}">` +
		`<input type="hidden" name="next" value="{{.Next}}"><p>{{.Backend}} {{.Password}}</p></form>`
	if err := os.WriteFile(path, []byte(tmpl), 0o600); err != nil {
		t.Fatal(err)
	}
	b := build(t, form.Username(), settings.Map{"SOCIAL_AUTH_USERNAME_FORM_HTML": path})
	res, rec := begin(t, b, url.Values{"next": {"/account?tab=1"}})
	if res.Handler == nil {
		t.Fatal("no page")
	}
	want := `<form method="post" action="` + completeURL + `"><input name="username">` +
		`<input type="hidden" name="next" value="/account?tab=1"><p>username false</p></form>`
	if got := rec.Body.String(); got != want {
		t.Errorf("page =\n%s\nwant\n%s", got, want)
	}
	if rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", rec.Header())
	}
	// A next that leaves the site is not handed to the template.
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		_, rec := begin(t, b, url.Values{"next": {next}})
		if !strings.Contains(rec.Body.String(), `name="next" value=""`) {
			t.Errorf("next %q reached the template: %s", next, rec.Body.String())
		}
	}
}

func TestBuildReportsBadSettings(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.html")
	if err := os.WriteFile(broken, []byte("{{.Action"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m    settings.Map
		want []string
	}{
		{settings.Map{"SOCIAL_AUTH_EMAIL_FORM_HTML": filepath.Join(dir, "missing.html")}, []string{"SOCIAL_AUTH_EMAIL_FORM_HTML"}},
		{settings.Map{"SOCIAL_AUTH_EMAIL_FORM_HTML": broken}, []string{"SOCIAL_AUTH_EMAIL_FORM_HTML"}},
		{settings.Map{"SOCIAL_AUTH_EMAIL_FORM_URL": "javascript:alert(1)"}, []string{"SOCIAL_AUTH_EMAIL_FORM_URL"}},
		{settings.Map{"SOCIAL_AUTH_EMAIL_FORM_URL": "//evil.example/"}, []string{"SOCIAL_AUTH_EMAIL_FORM_URL"}},
		{settings.Map{
			"SOCIAL_AUTH_EMAIL_REQUIRES_EMAIL_VALIDATION": "maybe",
			"SOCIAL_AUTH_EMAIL_FORM_PASSWORD":             "perhaps",
			"SOCIAL_AUTH_EMAIL_FORM_TRUSTED_ORIGINS":      []string{"not an origin"},
		}, []string{"SOCIAL_AUTH_EMAIL_REQUIRES_EMAIL_VALIDATION", "SOCIAL_AUTH_EMAIL_FORM_PASSWORD", "SOCIAL_AUTH_EMAIL_FORM_TRUSTED_ORIGINS"}},
	} {
		_, err := buildE(form.Email(), tc.m)
		if err == nil {
			t.Errorf("Build(%v) succeeded", tc.m)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Build(%v) = %v, want it to name %s", tc.m, err, w)
			}
		}
	}
}

// post builds a form POST to /complete/{backend}/ with extra headers.
func post(name string, fields url.Values, headers map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://app.example.com/complete/"+name+"/", strings.NewReader(fields.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func complete(t *testing.T, b backend.Backend, r *http.Request) (*backend.Identity, error) {
	t.Helper()
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	// The engine passes no stash to form backends.
	return b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: completeURL, Params: r.Form, Request: r})
}

func TestCompleteEmail(t *testing.T) {
	b := build(t, form.Email(), nil)
	id, err := complete(t, b, post("email", url.Values{
		"email":      {"  Ada.Lovelace@Example.COM "},
		"password":   {"correct horse battery staple"},
		"first_name": {"Ada"},
		"fullname":   {"Ada Lovelace"},
		"username":   {"ada"},
		"csrf_token": {"x"},
		"newsletter": {"yes"},
	}, map[string]string{"Sec-Fetch-Site": "same-origin"}))
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "Ada.Lovelace@example.com" || id.Details.Email != id.UID || id.Details.EmailVerified ||
		id.Details.Username != "ada" || id.Details.FirstName != "Ada" || id.Details.FullName != "Ada Lovelace" {
		t.Errorf("identity %+v", id)
	}
	if id.Token != nil || id.ExtraData["email"] != id.UID || len(id.ExtraData) != 1 {
		t.Errorf("token %v, extra data %v", id.Token, id.ExtraData)
	}
	if id.Response["email"] != id.UID || id.Response["newsletter"] != "yes" {
		t.Errorf("response %v", id.Response)
	}
	for k := range id.Response {
		if strings.Contains(k, "password") || strings.Contains(k, "csrf") {
			t.Errorf("response keeps %q", k)
		}
	}
	if r, ok := b.(pipeline.EmailValidationRequired); !ok || !r.RequiresEmailValidation() {
		t.Error("the email backend does not require email validation by default")
	}
	off := build(t, form.Email(), settings.Map{"SOCIAL_AUTH_EMAIL_REQUIRES_EMAIL_VALIDATION": false})
	if off.(pipeline.EmailValidationRequired).RequiresEmailValidation() {
		t.Error("REQUIRES_EMAIL_VALIDATION=false ignored")
	}
}

func TestCompleteUsername(t *testing.T) {
	b := build(t, form.Username(), nil)
	id, err := complete(t, b, post("username", url.Values{"username": {" Ñandú_99 "}, "email": {"nandu@EXAMPLE.org"}}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "Ñandú_99" || id.Details.Username != "Ñandú_99" || id.Details.Email != "nandu@example.org" ||
		id.Details.EmailVerified || id.ExtraData["username"] != "Ñandú_99" {
		t.Errorf("identity %+v", id)
	}
	if b.(pipeline.EmailValidationRequired).RequiresEmailValidation() {
		t.Error("the username backend requires email validation by default")
	}
}

// TestCompleteRefuses covers every hostile or malformed post.
func TestCompleteRefuses(t *testing.T) {
	email := build(t, form.Email(), settings.Map{"SOCIAL_AUTH_EMAIL_FORM_TRUSTED_ORIGINS": []string{"https://www.example.com"}})
	username := build(t, form.Username(), nil)
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com" // 254 bytes
	for _, tc := range []struct {
		name    string
		b       backend.Backend
		req     func() *http.Request
		kind    socialerr.Kind
		param   string
		wantUID string // for the accepted cases
	}{
		{"GET", email, func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "https://app.example.com/complete/email/?email=ada@example.com", nil)
		}, socialerr.AuthMissingParameter, "email", ""},
		{"missing field", email, func() *http.Request { return post("email", url.Values{"name": {"x"}}, nil) }, socialerr.AuthMissingParameter, "email", ""},
		{"blank field", email, func() *http.Request { return post("email", url.Values{"email": {"   "}}, nil) }, socialerr.AuthMissingParameter, "email", ""},
		{"field only in the query", email, func() *http.Request {
			r := post("email", url.Values{}, nil)
			r.URL.RawQuery = "email=ada%40example.com"
			return r
		}, socialerr.AuthMissingParameter, "email", ""},
		{"not an address", email, func() *http.Request { return post("email", url.Values{"email": {"ada"}}, nil) }, socialerr.AuthFailed, "", ""},
		{"display name", email, func() *http.Request { return post("email", url.Values{"email": {"Ada <ada@example.com>"}}, nil) }, socialerr.AuthFailed, "", ""},
		{"comment", email, func() *http.Request { return post("email", url.Values{"email": {"ada@example.com (me)"}}, nil) }, socialerr.AuthFailed, "", ""},
		{"two addresses", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com, eve@example.com"}}, nil)
		}, socialerr.AuthFailed, "", ""},
		{"domain literal", email, func() *http.Request { return post("email", url.Values{"email": {"ada@[127.0.0.1]"}}, nil) }, socialerr.AuthFailed, "", ""},
		{"zero-width space", email, func() *http.Request { return post("email", url.Values{"email": {"ad\u200ba@example.com"}}, nil) }, socialerr.AuthFailed, "", ""},
		{"newline", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com\nBcc: eve@example.com"}}, nil)
		}, socialerr.AuthFailed, "", ""},
		{"oversized", email, func() *http.Request { return post("email", url.Values{"email": {"x" + long}}, nil) }, socialerr.AuthFailed, "", ""},
		{"long local part", email, func() *http.Request {
			return post("email", url.Values{"email": {strings.Repeat("a", 65) + "@example.com"}}, nil)
		}, socialerr.AuthFailed, "", ""},
		{"posted twice", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com", "eve@example.com"}}, nil)
		}, socialerr.AuthFailed, "", ""},
		{"bad optional username", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com"}, "username": {"<ada>"}}, nil)
		}, socialerr.AuthFailed, "", ""},
		{"control character in a name", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com"}, "first_name": {"A\x00da"}}, nil)
		}, socialerr.AuthFailed, "", ""},
		{"cross-site", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		}, socialerr.AuthForbidden, "", ""},
		{"same-site sibling", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com"}}, map[string]string{"Sec-Fetch-Site": "same-site"})
		}, socialerr.AuthForbidden, "", ""},
		{"foreign origin", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com"}}, map[string]string{"Origin": "https://evil.example"})
		}, socialerr.AuthForbidden, "", ""},
		{"username with a space", username, func() *http.Request { return post("username", url.Values{"username": {"ada lovelace"}}, nil) }, socialerr.AuthFailed, "", ""},
		{"username with markup", username, func() *http.Request { return post("username", url.Values{"username": {"<b>ada</b>"}}, nil) }, socialerr.AuthFailed, "", ""},
		{"username with a direction mark", username, func() *http.Request { return post("username", url.Values{"username": {"ada\u202e"}}, nil) }, socialerr.AuthFailed, "", ""},
		{"oversized username", username, func() *http.Request {
			return post("username", url.Values{"username": {strings.Repeat("é", 151)}}, nil)
		}, socialerr.AuthFailed, "", ""},
		{"username GET", username, func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "https://app.example.com/complete/username/", nil)
		}, socialerr.AuthMissingParameter, "username", ""},

		// Accepted: same origin, a trusted origin, a non-browser client,
		// the longest address.
		{"same origin", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com"}}, map[string]string{"Origin": "https://app.example.com"})
		}, "", "", "ada@example.com"},
		{"trusted origin", email, func() *http.Request {
			return post("email", url.Values{"email": {"ada@example.com"}}, map[string]string{"Origin": "https://www.example.com", "Sec-Fetch-Site": "same-site"})
		}, "", "", "ada@example.com"},
		{"254 bytes", email, func() *http.Request { return post("email", url.Values{"email": {long}}, nil) }, "", "", long},
		{"150 characters", username, func() *http.Request {
			return post("username", url.Values{"username": {strings.Repeat("é", 150)}}, nil)
		}, "", "", strings.Repeat("é", 150)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := complete(t, tc.b, tc.req())
			if tc.kind == "" {
				if err != nil || id.UID != tc.wantUID {
					t.Fatalf("Complete = %v, %v; want uid %q", id, err, tc.wantUID)
				}
				return
			}
			if id != nil || !errors.Is(err, tc.kind) || socialerr.KindOf(err) != tc.kind {
				t.Fatalf("Complete = %v, %v; want %s", id, err, tc.kind)
			}
			var se *socialerr.Error
			if !errors.As(err, &se) || se.Param != tc.param {
				t.Errorf("error %#v, want param %q", err, tc.param)
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"ada@example.com":           "ada@example.com",
		" Ada@EXAMPLE.com\t":        "Ada@example.com",
		"a.b+tag@sub.Example.co.uk": "a.b+tag@sub.example.co.uk",
		"ada@localhost":             "ada@localhost",
	} {
		got, err := form.NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "@example.com", "ada@", "ada@@example.com", "\xff@example.com", `"ada lovelace"@example.com`} {
		if got, err := form.NormalizeEmail(in); !errors.Is(err, form.ErrInvalidEmail) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want ErrInvalidEmail", in, got, err)
		}
	}
}

func TestNormalizeUsername(t *testing.T) {
	if got, err := form.NormalizeUsername(" ada.l-ove+lace@x_1 "); err != nil || got != "ada.l-ove+lace@x_1" {
		t.Errorf("NormalizeUsername = %q, %v", got, err)
	}
	for _, in := range []string{"", "ada/lovelace", "ada\x00", "\xffada", "ada%20"} {
		if got, err := form.NormalizeUsername(in); !errors.Is(err, form.ErrInvalidUsername) {
			t.Errorf("NormalizeUsername(%q) = %q, %v; want ErrInvalidUsername", in, got, err)
		}
	}
}

// The page handler writes a full page even when the client reads it
// through a real server.
func TestBuiltinPageOverHTTP(t *testing.T) {
	b := build(t, form.Email(), nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := b.Begin(r.Context(), &backend.BeginRequest{RedirectURI: completeURL, Params: r.URL.Query(), Request: r})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		res.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasSuffix(strings.TrimSpace(string(body)), "</html>") {
		t.Errorf("status %d, body %q", res.StatusCode, body)
	}
}
