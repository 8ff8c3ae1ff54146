package socialauth_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store"
)

// mailApp is an application with the email backend and mail validation,
// whose validation mails land in an outbox.
type mailApp struct {
	*site
	mu    sync.Mutex
	links []string
}

func newMailApp(t *testing.T) *mailApp {
	t.Helper()
	app := &mailApp{}
	steps := pipeline.Default()
	// After GetUsername (index 4), before CreateUser.
	steps = append(steps[:5], append([]pipeline.Step{pipeline.MailValidation}, steps[5:]...)...)
	app.site = serveApp(t, func(s *site) socialauth.Config {
		return socialauth.Config{
			Settings: settings.New(settings.Map{
				"SOCIAL_AUTH_SECRET_KEY":              testSecretKey,
				"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"email"},
				"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/home",
				"SOCIAL_AUTH_LOGIN_ERROR_URL":         "/error",
				"SOCIAL_AUTH_EMAIL_VALIDATION_URL":    "/check-your-mail",
			}),
			Store:    s.store,
			Pipeline: steps,
			SendValidationEmail: func(ctx context.Context, s *pipeline.State, c *store.Code, link string) error {
				app.mu.Lock()
				defer app.mu.Unlock()
				app.links = append(app.links, link)
				return nil
			},
		}
	})
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

func (app *mailApp) signUp(b *browser, email string) {
	app.t.Helper()
	final, _ := b.follow(b.postFrom(app.srv.URL, "/complete/email/", url.Values{"email": {email}}))
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
	b := app.newBrowser()
	app.signUp(b, "ann@example.com")
	if app.users("ann@example.com") != 0 {
		t.Fatal("a user was stored before the email was validated")
	}
	link := app.lastLink()
	if !strings.HasPrefix(link, app.srv.URL+"/complete/email/?verification_code=") || !strings.Contains(link, "partial_token=") {
		t.Fatalf("validation link %q", link)
	}
	final, body := b.visit(link)
	if final.Path != "/home" || !strings.Contains(body, "user=ann") {
		t.Fatalf("validation landed on %s: %s", final, body)
	}
	if app.users("ann@example.com") != 1 {
		t.Fatal("no user after validation")
	}
	// The link is spent.
	final, _ = app.newBrowser().visit(link)
	if final.Path != "/error" {
		t.Errorf("a spent link landed on %s", final)
	}
}

func TestMailValidationAnotherBrowserNeedsConfirmation(t *testing.T) {
	app := newMailApp(t)
	app.signUp(app.newBrowser(), "bob@example.com")
	link := app.lastLink()

	phone := app.newBrowser()
	final, body := phone.visit(link)
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
	attacker := app.newBrowser()
	final, _ = attacker.follow(attacker.postFrom("https://evil.example.net", m[1], confirm))
	if final.Path != "/error" || app.users("bob@example.com") != 0 {
		t.Fatalf("cross-site confirmation accepted: %s", final)
	}
	// A wrong code is refused.
	wrong := url.Values{"partial_token": confirm["partial_token"], "verification_code": {"guess"}, "confirm": {"yes"}}
	final, _ = attacker.follow(attacker.postFrom(app.srv.URL, m[1], wrong))
	if final.Path != "/error" || app.users("bob@example.com") != 0 {
		t.Fatalf("wrong code accepted: %s", final)
	}
	// The confirmed, same-origin post completes the sign-up there.
	final, body = phone.follow(phone.postFrom(app.srv.URL, m[1], confirm))
	if final.Path != "/home" || !strings.Contains(body, "user=bob") {
		t.Fatalf("confirmed validation landed on %s: %s", final, body)
	}
	if app.users("bob@example.com") != 1 {
		t.Fatal("no user after the confirmed validation")
	}
}
