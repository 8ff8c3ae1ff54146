package socialauth_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// mailApp is an application with the email backend and mail validation,
// whose validation mails land in an outbox.
type mailApp struct {
	t     *testing.T
	srv   *httptest.Server
	store *memstore.Store
	mu    sync.Mutex
	links []string
}

func newMailApp(t *testing.T) *mailApp {
	t.Helper()
	app := &mailApp{t: t, store: memstore.New(memstore.Options{})}
	steps := pipeline.Default()
	// After GetUsername (index 4), before CreateUser.
	steps = append(steps[:5], append([]pipeline.Step{pipeline.MailValidation}, steps[5:]...)...)
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_SECRET_KEY":              testSecretKey,
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"email"},
			"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
			"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",
			"SOCIAL_AUTH_EMAIL_VALIDATION_URL":    "/check-your-mail",
		}),
		Store:    app.store,
		Pipeline: steps,
		SendValidationEmail: func(ctx context.Context, s *pipeline.State, c *store.Code, link string) error {
			app.mu.Lock()
			defer app.mu.Unlock()
			app.links = append(app.links, link)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h := auth.Handler()
	mux.Handle("/login/", h)
	mux.Handle("/complete/", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		who := "anonymous"
		if u, err := auth.CurrentUser(r); err == nil && u != nil {
			who = u.Username
		}
		w.Write([]byte("page=" + r.URL.Path + " user=" + who + " query=" + r.URL.RawQuery))
	})
	app.srv = httptest.NewTLSServer(mux)
	t.Cleanup(app.srv.Close)
	return app
}

func (app *mailApp) lastLink() string {
	app.mu.Lock()
	defer app.mu.Unlock()
	if len(app.links) == 0 {
		app.t.Fatal("no validation mail sent")
	}
	return app.links[len(app.links)-1]
}

// mailBrowser is a cookie-keeping client that follows redirects itself.
type mailBrowser struct {
	t *testing.T
	c *http.Client
}

func (app *mailApp) browser() *mailBrowser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: app.srv.Client().Transport, Jar: jar}
	return &mailBrowser{t: app.t, c: c}
}

func (b *mailBrowser) send(method, target string, form url.Values, origin string) (*url.URL, string) {
	b.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.Request.URL, sb.String()
}

func (app *mailApp) signUp(b *mailBrowser, email string) {
	app.t.Helper()
	final, _ := b.send("POST", app.srv.URL+"/complete/email/", url.Values{"email": {email}}, app.srv.URL)
	if final.Path != "/check-your-mail" {
		app.t.Fatalf("sign-up landed on %s", final)
	}
}

func (app *mailApp) users(email string) int {
	us, err := app.store.UsersByEmail(context.Background(), email)
	if err != nil {
		app.t.Fatal(err)
	}
	return len(us)
}

var confirmForm = regexp.MustCompile(`<form method="post" action="([^"]+)">`)

func TestMailValidationSameBrowser(t *testing.T) {
	app := newMailApp(t)
	b := app.browser()
	app.signUp(b, "ann@example.com")
	if app.users("ann@example.com") != 0 {
		t.Fatal("a user was stored before the email was validated")
	}
	link := app.lastLink()
	if !strings.HasPrefix(link, app.srv.URL+"/complete/email/?verification_code=") || !strings.Contains(link, "partial_token=") {
		t.Fatalf("validation link %q", link)
	}
	final, body := b.send("GET", link, nil, "")
	if final.Path != "/home" || !strings.Contains(body, "user=ann") {
		t.Fatalf("validation landed on %s: %s", final, body)
	}
	if app.users("ann@example.com") != 1 {
		t.Fatal("no user after validation")
	}
	// The link is spent.
	final, _ = app.browser().send("GET", link, nil, "")
	if final.Path != "/error" {
		t.Errorf("a spent link landed on %s", final)
	}
}

func TestMailValidationAnotherBrowserNeedsConfirmation(t *testing.T) {
	app := newMailApp(t)
	app.signUp(app.browser(), "bob@example.com")
	link := app.lastLink()

	phone := app.browser()
	final, body := phone.send("GET", link, nil, "")
	m := confirmForm.FindStringSubmatch(body)
	if final.Path != "/complete/email/" || m == nil || !strings.Contains(body, "bob@example.com") {
		t.Fatalf("no confirmation page: %s %s", final, body)
	}
	if app.users("bob@example.com") != 0 {
		t.Fatal("opening the link in another browser stored a user before confirmation")
	}
	q, _ := url.Parse(link)
	confirm := url.Values{"partial_token": {q.Query().Get("partial_token")},
		"verification_code": {q.Query().Get("verification_code")}, "confirm": {"yes"}}

	// A cross-site post of the confirmation is refused.
	attacker := app.browser()
	final, _ = attacker.send("POST", app.srv.URL+m[1], confirm, "https://evil.example.net")
	if final.Path != "/error" || app.users("bob@example.com") != 0 {
		t.Fatalf("cross-site confirmation accepted: %s", final)
	}
	// A wrong code is refused.
	wrong := url.Values{"partial_token": confirm["partial_token"], "verification_code": {"guess"}, "confirm": {"yes"}}
	final, _ = attacker.send("POST", app.srv.URL+m[1], wrong, app.srv.URL)
	if final.Path != "/error" || app.users("bob@example.com") != 0 {
		t.Fatalf("wrong code accepted: %s", final)
	}
	// The confirmed, same-origin post completes the sign-up there.
	final, body = phone.send("POST", app.srv.URL+m[1], confirm, app.srv.URL)
	if final.Path != "/home" || !strings.Contains(body, "user=bob") {
		t.Fatalf("confirmed validation landed on %s: %s", final, body)
	}
	if app.users("bob@example.com") != 1 {
		t.Fatal("no user after the confirmed validation")
	}
}
