package pipeline_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// validatingBackend is a backend with python-social-auth's
// REQUIRES_EMAIL_VALIDATION flag.
type validatingBackend struct {
	testBackend
	requires bool
}

func (b validatingBackend) RequiresEmailValidation() bool { return b.requires }

var _ pipeline.EmailValidationRequired = validatingBackend{}

// mapSession is a browser session in a map.
type mapSession map[string]string

func (m mapSession) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }
func (m mapSession) Set(k, v string)             { m[k] = v }
func (m mapSession) Delete(k string)             { delete(m, k) }

// sent is one call of the validation sender.
type sent struct {
	code *store.Code
	link string
}

// mailEnv runs MailValidation over a memstore with a controllable clock.
type mailEnv struct {
	*env
	now     time.Time
	sent    []sent
	session mapSession
}

func newMailEnv(t *testing.T) *mailEnv {
	e := &mailEnv{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), session: mapSession{}}
	e.env = newEnv(t, memstore.Options{Now: func() time.Time { return e.now }})
	return e
}

// state is a login with the email backend (requiring validation) for
// email, with a request carrying params.
func (e *mailEnv) state(b backend.Backend, cfg settings.Map, email string, params url.Values) *pipeline.State {
	s := e.env.state(b.Name(), cfg)
	s.Backend = b
	s.Details = backend.Details{Email: email}
	s.Request = params
	s.Session = e.session
	s.Now = func() time.Time { return e.now }
	s.CompleteURL = "https://app.example.com/complete/" + b.Name() + "/"
	s.PartialToken = "partial-token-1"
	s.SendValidation = func(ctx context.Context, st *pipeline.State, c *store.Code, link string) error {
		e.sent = append(e.sent, sent{code: c, link: link})
		return nil
	}
	return s
}

func emailBackend() validatingBackend { return validatingBackend{testBackend{"email"}, true} }

// sendCode runs the step until it pauses and returns the code sent.
func (e *mailEnv) sendCode(t *testing.T, cfg settings.Map, email string) (*pipeline.State, string) {
	t.Helper()
	s := e.state(emailBackend(), cfg, email, url.Values{})
	res, err := pipeline.MailValidation(context.Background(), s)
	if err != nil || res != pipeline.Paused {
		t.Fatalf("MailValidation = %v, %v; want a pause", res, err)
	}
	return s, e.sent[len(e.sent)-1].code.Code
}

func TestMailValidationSendsACode(t *testing.T) {
	e := newMailEnv(t)
	s, code := e.sendCode(t, settings.Map{"SOCIAL_AUTH_EMAIL_VALIDATION_URL": "/check-your-email/"}, "Ada@Example.com")
	if len(e.sent) != 1 {
		t.Fatalf("sender called %d times", len(e.sent))
	}
	got := e.sent[0]
	if raw, err := base64.RawURLEncoding.DecodeString(code); err != nil || len(raw) != 32 {
		t.Errorf("code %q is not 32 random bytes, URL-safe: %v", code, err)
	}
	if got.code.Email != "Ada@Example.com" || got.code.Verified {
		t.Errorf("code %+v", got.code)
	}
	stored, err := e.store.GetCode(context.Background(), code)
	if err != nil || stored.Email != "Ada@Example.com" || stored.Verified || !stored.CreatedAt.Equal(e.now) {
		t.Errorf("stored code %+v, %v", stored, err)
	}
	wantLink := "https://app.example.com/complete/email/?verification_code=" + code + "&partial_token=partial-token-1"
	if got.link != wantLink {
		t.Errorf("link = %q, want %q", got.link, wantLink)
	}
	if s.ResumeCode != code {
		t.Errorf("ResumeCode = %q, want the code", s.ResumeCode)
	}
	if e.session[pipeline.SessionEmailValidationAddress] != "Ada@Example.com" {
		t.Errorf("session %v", e.session)
	}
	if s.Details.EmailVerified || s.EmailValidated {
		t.Error("email marked verified before the code came back")
	}
	rec := httptest.NewRecorder()
	s.Reply().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/complete/email/", nil))
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/check-your-email/" {
		t.Errorf("reply %d to %q, want a redirect to EMAIL_VALIDATION_URL", rec.Code, rec.Header().Get("Location"))
	}
}

func TestMailValidationBuiltinPage(t *testing.T) {
	e := newMailEnv(t)
	s, code := e.sendCode(t, nil, `a<b>"@example.com`)
	rec := httptest.NewRecorder()
	s.Reply().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/complete/email/", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "a&lt;b&gt;&#34;@example.com") || strings.Contains(body, "a<b>") {
		t.Errorf("page %d: %s", rec.Code, body)
	}
	if strings.Contains(body, code) || strings.Contains(body, "partial-token-1") {
		t.Error("the page shows the code or the partial token")
	}
	if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("headers %v", rec.Header())
	}
}

func TestMailValidationVerifiesTheCode(t *testing.T) {
	e := newMailEnv(t)
	_, code := e.sendCode(t, nil, "ada@example.com")
	e.now = e.now.Add(23 * time.Hour)

	// The link comes back (the address compared without regard to case).
	s := e.state(emailBackend(), nil, "ADA@example.com", url.Values{"verification_code": {code}})
	if err := run(t, pipeline.MailValidation, s); err != nil {
		t.Fatal(err)
	}
	if !s.Details.EmailVerified || !s.EmailValidated {
		t.Errorf("EmailVerified = %v, EmailValidated = %v", s.Details.EmailVerified, s.EmailValidated)
	}
	if c, _ := e.store.GetCode(context.Background(), code); !c.Verified {
		t.Error("code not marked verified")
	}
	if _, ok := e.session[pipeline.SessionEmailValidationAddress]; ok {
		t.Error("session still holds the address")
	}
	if len(e.sent) != 1 {
		t.Errorf("sender called %d times", len(e.sent))
	}

	// A state already validated goes on at once, whatever the request.
	s.Request = url.Values{"verification_code": {"whatever"}}
	if err := run(t, pipeline.MailValidation, s); err != nil {
		t.Errorf("second run: %v", err)
	}

	// The same code again: used.
	s = e.state(emailBackend(), nil, "ada@example.com", url.Values{"verification_code": {code}})
	wantKind(t, run(t, pipeline.MailValidation, s), socialerr.InvalidEmail)
	if s.Details.EmailVerified || s.EmailValidated {
		t.Error("a used code verified the email")
	}
}

func TestMailValidationRefusesBadCodes(t *testing.T) {
	e := newMailEnv(t)
	_, adaCode := e.sendCode(t, nil, "ada@example.com")
	_, eveCode := e.sendCode(t, nil, "eve@example.com")
	_, oldCode := e.sendCode(t, nil, "ada@example.com")
	e.now = e.now.Add(24 * time.Hour) // every code is now exactly one day old

	_, ttlCode := e.sendCode(t, nil, "ada@example.com")
	e.now = e.now.Add(61 * time.Second)

	for _, tc := range []struct {
		name string
		cfg  settings.Map
		code string
	}{
		{"unknown", nil, "no-such-code"},
		{"oversized", nil, strings.Repeat("c", 10000)},
		{"another address's code", nil, eveCode},
		{"expired", nil, oldCode},
		{"expired by EMAIL_VALIDATION_TTL", settings.Map{"SOCIAL_AUTH_EMAIL_VALIDATION_TTL": 60}, ttlCode},
		{"expired by a global EMAIL_VALIDATION_TTL", settings.Map{"SOCIAL_AUTH_EMAIL_VALIDATION_TTL": "60"}, ttlCode},
		{"a code of the right address that expired", nil, adaCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := e.state(emailBackend(), tc.cfg, "ada@example.com", url.Values{"verification_code": {tc.code}})
			wantKind(t, run(t, pipeline.MailValidation, s), socialerr.InvalidEmail)
			if s.Details.EmailVerified || s.EmailValidated {
				t.Error("email marked verified")
			}
			if c, err := e.store.GetCode(context.Background(), tc.code); err == nil && c.Verified {
				t.Error("code marked verified")
			}
		})
	}
	// The fresh code still works within the default lifetime.
	s := e.state(emailBackend(), nil, "ada@example.com", url.Values{"verification_code": {ttlCode}})
	if err := run(t, pipeline.MailValidation, s); err != nil || !s.EmailValidated {
		t.Errorf("fresh code: %v", err)
	}
}

func TestMailValidationWhenItApplies(t *testing.T) {
	github := testBackend{"github"}
	for _, tc := range []struct {
		name  string
		b     backend.Backend
		cfg   settings.Map
		email string
		setup func(e *mailEnv, s *pipeline.State)
		send  bool
		kind  socialerr.Kind
	}{
		{name: "backend without the flag", b: github, email: "ada@example.com"},
		{name: "backend that does not require it", b: validatingBackend{testBackend{"username"}, false}, email: "ada@example.com"},
		{name: "REQUIRES_EMAIL_VALIDATION backend", b: emailBackend(), email: "ada@example.com", send: true},
		{name: "forced for this backend", b: github, cfg: settings.Map{"SOCIAL_AUTH_GITHUB_FORCE_EMAIL_VALIDATION": true}, email: "ada@example.com", send: true},
		{name: "forced for another backend", b: github, cfg: settings.Map{"SOCIAL_AUTH_TWITTER_FORCE_EMAIL_VALIDATION": true}, email: "ada@example.com"},
		{name: "forced globally", b: github, cfg: settings.Map{"SOCIAL_AUTH_FORCE_EMAIL_VALIDATION": "true"}, email: "ada@example.com", send: true},
		{name: "forced globally, off for this backend", b: github, cfg: settings.Map{"SOCIAL_AUTH_FORCE_EMAIL_VALIDATION": true, "SOCIAL_AUTH_GITHUB_FORCE_EMAIL_VALIDATION": false}, email: "ada@example.com"},
		{name: "forced, no email", b: github, cfg: settings.Map{"SOCIAL_AUTH_FORCE_EMAIL_VALIDATION": true}, kind: socialerr.AuthMissingParameter},
		{name: "required, no email", b: emailBackend()},
		{name: "returning account", b: emailBackend(), email: "ada@example.com", setup: func(e *mailEnv, s *pipeline.State) {
			s.User = e.user("ada", "ada@example.com")
			s.Social = e.associate(s.User, "email", "ada@example.com", nil)
		}},
		{name: "returning account, PASSWORDLESS", b: emailBackend(), cfg: settings.Map{"SOCIAL_AUTH_PASSWORDLESS": true}, email: "ada@example.com", send: true,
			setup: func(e *mailEnv, s *pipeline.State) {
				s.User = e.user("ada", "ada@example.com")
				s.Social = e.associate(s.User, "email", "ada@example.com", nil)
			}},
		{name: "logged-in user linking a new address", b: emailBackend(), email: "ada@example.com", send: true,
			setup: func(e *mailEnv, s *pipeline.State) { s.User = e.user("bob", "bob@example.com") }},
		{name: "placed after CreateUser", b: emailBackend(), email: "ada@example.com", send: true,
			setup: func(e *mailEnv, s *pipeline.State) { s.User, s.IsNew = e.user("ada", "ada@example.com"), true }},
		{name: "already validated", b: emailBackend(), email: "ada@example.com",
			setup: func(e *mailEnv, s *pipeline.State) { s.EmailValidated = true }},
		{name: "malformed FORCE_EMAIL_VALIDATION", b: github, cfg: settings.Map{"SOCIAL_AUTH_FORCE_EMAIL_VALIDATION": "sometimes"}, email: "ada@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newMailEnv(t)
			s := e.state(tc.b, tc.cfg, tc.email, url.Values{})
			if tc.setup != nil {
				tc.setup(e, s)
			}
			res, err := pipeline.MailValidation(context.Background(), s)
			switch {
			case tc.kind != "":
				wantKind(t, err, tc.kind)
			case strings.HasPrefix(tc.name, "malformed"):
				if err == nil || !strings.Contains(err.Error(), "SOCIAL_AUTH_FORCE_EMAIL_VALIDATION") {
					t.Errorf("err = %v, want the malformed setting named", err)
				}
			case err != nil:
				t.Fatal(err)
			}
			if paused := res == pipeline.Paused; paused != tc.send || (len(e.sent) == 1) != tc.send {
				t.Errorf("result %v, %d sent; want sending = %v", res, len(e.sent), tc.send)
			}
		})
	}
}

func TestMailValidationSenderProblems(t *testing.T) {
	e := newMailEnv(t)
	s := e.state(emailBackend(), nil, "ada@example.com", url.Values{})
	s.SendValidation = nil
	res, err := pipeline.MailValidation(context.Background(), s)
	if res != pipeline.Continue || !errors.Is(err, pipeline.ErrNoValidationSender) ||
		!strings.Contains(err.Error(), "EMAIL_VALIDATION_FUNCTION not configured") {
		t.Errorf("no sender: %v, %v", res, err)
	}

	boom := errors.New("smtp: connection refused")
	s = e.state(emailBackend(), nil, "ada@example.com", url.Values{})
	s.SendValidation = func(context.Context, *pipeline.State, *store.Code, string) error { return boom }
	res, err = pipeline.MailValidation(context.Background(), s)
	if res != pipeline.Continue || !errors.Is(err, boom) {
		t.Errorf("failing sender: %v, %v", res, err)
	}
	if _, ok := e.session[pipeline.SessionEmailValidationAddress]; ok {
		t.Error("session set although nothing was sent")
	}
}

// The whole default pipeline with MailValidation: nothing is stored until
// the code comes back, then the verified address may join an existing user
// through AssociateByEmail.
func TestMailValidationInThePipeline(t *testing.T) {
	e := newMailEnv(t)
	ctx := context.Background()
	bob := e.user("bob", "bob@example.com")
	steps := pipeline.Default()
	at := slices.IndexFunc(steps, func(s pipeline.Step) bool { return stepID(s) == stepID(pipeline.GetUsername) })
	steps = slices.Insert(steps, at+1, pipeline.MailValidation, pipeline.AssociateByEmail)

	first := e.state(emailBackend(), nil, "", url.Values{})
	first.Identity = &backend.Identity{UID: "bob@example.com", Details: backend.Details{Email: "bob@example.com"}}
	out, err := pipeline.Run(ctx, steps, 0, first)
	if err != nil || out.Result != pipeline.Paused || out.Step != at+1 {
		t.Fatalf("first run = %+v, %v", out, err)
	}
	if _, err := e.store.GetAssociation(ctx, "email", "bob@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("association stored before validation: %v", err)
	}
	code := e.sent[0].code.Code

	// The engine resumes the saved state with the link's request.
	resumed := e.state(emailBackend(), nil, "", url.Values{"verification_code": {code}, "partial_token": {"partial-token-1"}})
	resumed.Identity, resumed.UID, resumed.Details, resumed.Username = first.Identity, first.UID, first.Details, first.Username
	out, err = pipeline.Run(ctx, steps, out.Step, resumed)
	if err != nil || out.Result != pipeline.Continue {
		t.Fatalf("resumed run = %+v, %v", out, err)
	}
	if resumed.User == nil || resumed.User.ID != bob.ID || resumed.IsNew {
		t.Errorf("user %+v, IsNew %v; want bob", resumed.User, resumed.IsNew)
	}
	social, err := e.store.GetAssociation(ctx, "email", "bob@example.com")
	if err != nil || social.UserID != bob.ID {
		t.Errorf("association %+v, %v", social, err)
	}
}
