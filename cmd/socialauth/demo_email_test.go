package main

import (
	"database/sql"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// These tests sign up and in by email on the running demo, reading the
// validation links from its outbox page as a person would read their mail.

// emailDemo is a running demo with its database file.
type emailDemo struct {
	*runningDemo
	db string
}

func startEmailDemo(t *testing.T, environ ...string) emailDemo {
	t.Helper()
	db := filepath.Join(t.TempDir(), "demo.db")
	return emailDemo{runningDemo: startDemo(t, "127.0.0.1:0", db, testEnviron(environ...)), db: db}
}

// users counts the demo's users and password hashes, reading the SQLite
// file beside the running demo.
func (d emailDemo) users(t *testing.T) (users, passwords int) {
	t.Helper()
	db, err := sql.Open("sqlite", demoDSN(d.db))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT COUNT(*) FROM socialauth_users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM ` + passwordsTable).Scan(&passwords); err != nil {
		t.Fatal(err)
	}
	return users, passwords
}

// outboxMail is a mail as the outbox page shows it.
type outboxMail struct {
	To, Link string
}

var mailRE = regexp.MustCompile(`(?s)<article class="mail" aria-label="Mail to ([^"]*)">.*?<p class="link"><a href="([^"]*)">`)

// outbox reads the outbox page, newest mail first.
func (b *browser) outbox(d emailDemo) []outboxMail {
	b.t.Helper()
	p := b.get(d.URL + outboxPath)
	if p.Status != http.StatusOK || p.Header.Get("Cache-Control") != "no-store" {
		b.t.Fatalf("GET /outbox = %d (Cache-Control %q)\n%s", p.Status, p.Header.Get("Cache-Control"), p.Body)
	}
	var mails []outboxMail
	for _, m := range mailRE.FindAllStringSubmatch(p.Body, -1) {
		mails = append(mails, outboxMail{To: html.UnescapeString(m[1]), Link: html.UnescapeString(m[2])})
	}
	return mails
}

// signUp posts the demo's email form, reached from the home page.
func (b *browser) signUp(d emailDemo, email, password string) page {
	b.t.Helper()
	formPage := b.follow(b.get(d.URL+"/"), "Sign in with email")
	if formPage.Status != http.StatusOK || formPage.URL.Path != emailFormPath {
		b.t.Fatalf("the email link led to %d %s", formPage.Status, formPage.URL)
	}
	f := formPage.form(b.t, "/complete/email/")
	for _, name := range []string{"email", "password"} {
		if !slices.Contains(f.Inputs, name) {
			b.t.Fatalf("email form has no %q input: %v", name, f.Inputs)
		}
	}
	return b.submit(formPage, f, map[string]string{"email": email, "password": password}, "Continue")
}

// wantRefused checks that p is the email form showing a failure.
func wantRefused(t *testing.T, p page, what string) {
	t.Helper()
	msg := p.URL.Query().Get("message")
	if p.Status != http.StatusOK || p.URL.Path != emailFormPath || msg == "" ||
		!strings.Contains(p.Body, html.EscapeString(msg)) || !strings.Contains(p.Body, `role="alert"`) {
		t.Fatalf("%s: ended on %d %s, want the email form with a message\n%s", what, p.Status, p.URL, p.Body)
	}
}

func TestDemoEmailSignUpThenPassword(t *testing.T) {
	d := startEmailDemo(t)
	if !strings.Contains(d.out.String(), "backends: local, email") {
		t.Errorf("demo printed %q", d.out.String())
	}
	b := newTestBrowser(t)
	if mails := b.outbox(d); len(mails) != 0 {
		t.Fatalf("outbox of a new demo = %+v", mails)
	}
	home := b.get(d.URL + "/")
	if !strings.Contains(home.Body, `href="/login/email/"`) || !strings.Contains(home.Body, `href="/outbox"`) {
		t.Errorf("home page does not link to /login/email/ and /outbox:\n%s", home.Body)
	}
	if strings.Contains(home.Body, "openid_identifier") {
		t.Errorf("home page offers OpenID, which is not enabled")
	}

	// A password too short is refused before anything is sent or stored.
	wantRefused(t, b.signUp(d, "ada@example.com", "short"), "short password")
	if mails := b.outbox(d); len(mails) != 0 {
		t.Errorf("a refused sign-up sent %+v", mails)
	}

	// Sign up: the browser lands on the "check your email" page.
	sent := b.signUp(d, "Ada@Example.COM", "correct horse battery")
	if sent.Status != http.StatusOK || sent.URL.Path != emailSentPath ||
		!strings.Contains(sent.Body, "<strong>Ada@example.com</strong>") || !strings.Contains(sent.Body, `href="/outbox"`) {
		t.Fatalf("sign-up ended on %d %s\n%s", sent.Status, sent.URL, sent.Body)
	}
	if m := b.me(d.runningDemo); m.Authenticated {
		t.Fatalf("signed in before the address was confirmed: %+v", m)
	}
	if u, p := d.users(t); u != 0 || p != 0 {
		t.Fatalf("before validation the database has %d users and %d passwords, want none", u, p)
	}
	if !strings.Contains(d.logs.String(), "validation mail") || !strings.Contains(d.logs.String(), "Ada@example.com") {
		t.Errorf("the validation mail was not logged:\n%s", d.logs)
	}

	// The outbox lists the mail; its link, opened here, completes the login.
	mails := b.outbox(d)
	if len(mails) != 1 || mails[0].To != "Ada@example.com" ||
		!strings.HasPrefix(mails[0].Link, d.URL+"/complete/email/?verification_code=") ||
		!strings.Contains(mails[0].Link, "partial_token=") {
		t.Fatalf("outbox = %+v", mails)
	}
	link := mails[0].Link
	done := b.get(link)
	if done.Status != http.StatusOK || done.URL.Path != "/" || done.URL.Query().Has("message") ||
		!strings.Contains(done.Body, "Signed in as") {
		t.Fatalf("the validation link ended on %d %s\n%s", done.Status, done.URL, done.Body)
	}
	m := b.me(d.runningDemo)
	if !m.Authenticated || m.User.Email != "Ada@example.com" || len(m.Associations) != 1 {
		t.Fatalf("/me after validation = %+v", m)
	}
	if as := m.Associations[0]; as.Provider != "email" || as.UID != "Ada@example.com" {
		t.Errorf("association = %+v", as)
	}
	for _, a := range m.Associations {
		for k := range a.ExtraData {
			if strings.Contains(strings.ToLower(k), "password") {
				t.Errorf("association extra data keeps %q", k)
			}
		}
	}
	if u, p := d.users(t); u != 1 || p != 1 {
		t.Fatalf("after validation the database has %d users and %d passwords, want 1 and 1", u, p)
	}
	adaID := m.User.ID

	// A used link is refused, and changes nothing.
	wantRefused(t, b.get(link), "a used link")
	if m := b.me(d.runningDemo); !m.Authenticated || m.User.ID != adaID {
		t.Errorf("/me after reusing a link = %+v", m)
	}

	// Log out, then in again: the password alone does it, no mail is sent.
	b.logout(d.runningDemo)
	again := b.signUp(d, "Ada@example.com", "correct horse battery")
	if again.URL.Path != "/" || !strings.Contains(again.Body, "Signed in as") {
		t.Fatalf("a returning login ended on %d %s\n%s", again.Status, again.URL, again.Body)
	}
	if m := b.me(d.runningDemo); !m.Authenticated || m.User.ID != adaID {
		t.Errorf("returning login = %+v, want user %s", m, adaID)
	}
	if mails := b.outbox(d); len(mails) != 1 {
		t.Errorf("a returning login sent mail: %+v", mails)
	}

	// A wrong password is refused.
	b.logout(d.runningDemo)
	wrong := b.signUp(d, "Ada@example.com", "wrong horse battery")
	wantRefused(t, wrong, "a wrong password")
	if msg := wrong.URL.Query().Get("message"); !strings.Contains(msg, "wrong password") {
		t.Errorf("wrong password message = %q", msg)
	}
	if m := b.me(d.runningDemo); m.Authenticated {
		t.Errorf("signed in with a wrong password: %+v", m)
	}
	if u, _ := d.users(t); u != 1 {
		t.Errorf("%d users after a wrong password", u)
	}

	// The password survives a restart: it is in the demo's database.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	restarted := emailDemo{runningDemo: startDemo(t, d.Addr, d.db, testEnviron()), db: d.db}
	if p := b.signUp(restarted, "Ada@example.com", "correct horse battery"); p.URL.Path != "/" {
		t.Fatalf("login after a restart ended on %s\n%s", p.URL, p.Body)
	}
	if m := b.me(restarted.runningDemo); !m.Authenticated || m.User.ID != adaID {
		t.Errorf("login after a restart = %+v", m)
	}
	// Ada has an email account: the home page offers to link others only.
	home = b.get(restarted.URL + "/")
	if !strings.Contains(home.Body, "Link another account") || strings.Contains(home.Body, ">Email address</a>") {
		t.Errorf("home page of an email user:\n%s", home.Body)
	}
}

func TestDemoEmailLinkInAnotherBrowser(t *testing.T) {
	d := startEmailDemo(t)
	first := newTestBrowser(t)
	if p := first.signUp(d, "grace@example.com", "cobol forever 59"); p.URL.Path != emailSentPath {
		t.Fatalf("sign-up ended on %s", p.URL)
	}
	link := first.outbox(d)[0].Link

	// Another browser is asked to confirm; nothing happens before.
	second := newTestBrowser(t)
	confirm := second.get(link)
	if confirm.Status != http.StatusOK || !strings.Contains(confirm.Body, "grace@example.com") {
		t.Fatalf("the link in another browser = %d %s\n%s", confirm.Status, confirm.URL, confirm.Body)
	}
	f := confirm.form(t, "/complete/email/")
	if f.Fields.Get("confirm") != "yes" || f.Fields.Get("verification_code") == "" {
		t.Fatalf("confirmation form = %+v", f)
	}
	if m := second.me(d.runningDemo); m.Authenticated {
		t.Fatalf("signed in by opening the link: %+v", m)
	}
	if u, _ := d.users(t); u != 0 {
		t.Fatalf("%d users before the confirmation", u)
	}

	// A wrong code, or a cross-site confirmation, is refused.
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("verification_code", strings.Repeat("A", 43))
	u.RawQuery = q.Encode()
	forged := second.get(u.String())
	wantRefused(t, forged, "a forged code")
	if got := forged.URL.Query().Get("message"); got == "" || strings.Contains(forged.Body, "Continue signing in") {
		t.Errorf("a forged code was offered a confirmation: %s", forged.URL)
	}
	crossSite := second.post(confirm.resolve(t, f.Action), f.Fields, "cross-site")
	wantRefused(t, crossSite, "a cross-site confirmation")
	if m := second.me(d.runningDemo); m.Authenticated {
		t.Fatalf("signed in by a cross-site confirmation: %+v", m)
	}

	// Confirming signs the second browser in, not the first.
	done := second.submit(confirm, f, nil, "Continue signing in")
	if done.URL.Path != "/" || done.URL.Query().Has("message") || !strings.Contains(done.Body, "Signed in as") {
		t.Fatalf("confirmation ended on %d %s\n%s", done.Status, done.URL, done.Body)
	}
	m := second.me(d.runningDemo)
	if !m.Authenticated || m.User.Email != "grace@example.com" || len(m.Associations) != 1 ||
		m.Associations[0].Provider != "email" || m.Associations[0].UID != "grace@example.com" {
		t.Fatalf("/me after confirming = %+v", m)
	}
	if m := first.me(d.runningDemo); m.Authenticated {
		t.Errorf("the first browser was signed in too: %+v", m)
	}

	// The link is used up, in either browser.
	wantRefused(t, first.get(link), "the used link in the first browser")
	if m := first.me(d.runningDemo); m.Authenticated {
		t.Errorf("the used link signed the first browser in: %+v", m)
	}
	third := newTestBrowser(t)
	wantRefused(t, third.get(link), "the used link in a third browser")
	if m := third.me(d.runningDemo); m.Authenticated {
		t.Errorf("the used link signed a third browser in: %+v", m)
	}
	if u, p := d.users(t); u != 1 || p != 1 {
		t.Errorf("%d users and %d passwords, want 1 and 1", u, p)
	}
}

func TestDemoEmailRefusesUnknownCodes(t *testing.T) {
	d := startEmailDemo(t)
	b := newTestBrowser(t)
	for name, path := range map[string]string{
		"no partial":         "/complete/email/?verification_code=" + strings.Repeat("x", 43),
		"unknown partial":    "/complete/email/?verification_code=abc&partial_token=" + strings.Repeat("y", 43),
		"no code":            "/complete/email/?partial_token=" + strings.Repeat("y", 43),
		"oversized":          "/complete/email/?verification_code=" + strings.Repeat("z", 5000) + "&partial_token=q",
		"get without a form": "/complete/email/",
	} {
		wantRefused(t, b.get(d.URL+path), name)
	}

	// A wrong code in the browser that signed up ends that sign-up.
	if p := b.signUp(d, "eve@example.com", "long enough pw"); p.URL.Path != emailSentPath {
		t.Fatalf("sign-up ended on %s", p.URL)
	}
	link := b.outbox(d)[0].Link
	u, _ := url.Parse(link)
	q := u.Query()
	q.Set("verification_code", q.Get("verification_code")+"x")
	u.RawQuery = q.Encode()
	refused := b.get(u.String())
	wantRefused(t, refused, "a wrong code")
	if got, want := refused.URL.Query().Get("message"), socialerr.InvalidEmail.Error(); got != want {
		t.Errorf("wrong code message = %q, want %q", got, want)
	}
	wantRefused(t, b.get(link), "the right link after a wrong code")
	if m := b.me(d.runningDemo); m.Authenticated {
		t.Errorf("signed in: %+v", m)
	}
	if u, p := d.users(t); u != 0 || p != 0 {
		t.Errorf("%d users and %d passwords after refused codes, want none", u, p)
	}

	// A cross-site form cannot sign anyone up.
	forged := b.post(d.URL+"/complete/email/", url.Values{"email": {"mallory@example.com"}, "password": {"password123"}}, "cross-site")
	wantRefused(t, forged, "a cross-site sign-up")
	if mails := b.outbox(d); len(mails) != 1 {
		t.Errorf("a cross-site sign-up sent mail: %+v", mails)
	}
}

func TestOutboxKeepsTheLatestMails(t *testing.T) {
	box := newOutbox(func() time.Time { return time.Unix(0, 0) }, slog.New(slog.DiscardHandler))
	for i := range outboxSize + 7 {
		if err := box.send(t.Context(), nil, &store.Code{Email: fmt.Sprintf("u%d@example.com", i)}, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	mails := box.newestFirst()
	if len(mails) != outboxSize || mails[0].Link != fmt.Sprint(outboxSize+6) || mails[len(mails)-1].Link != "7" {
		t.Errorf("outbox keeps %d mails, newest %q, oldest %q", len(mails), mails[0].Link, mails[len(mails)-1].Link)
	}
}

// confirmLatest opens the newest outbox link in b and checks it signs in.
func (b *browser) confirmLatest(d emailDemo, to string) {
	b.t.Helper()
	mails := b.outbox(d)
	if len(mails) == 0 || mails[0].To != to {
		b.t.Fatalf("outbox = %+v, want a mail to %s first", mails, to)
	}
	if p := b.get(mails[0].Link); p.URL.Path != "/" || p.URL.Query().Has("message") {
		b.t.Fatalf("the link to %s ended on %s\n%s", to, p.URL, p.Body)
	}
}

func TestDemoEmailUserLinksAndUnlinksAccounts(t *testing.T) {
	d := startEmailDemo(t)
	b := newTestBrowser(t)
	b.signUp(d, "ada@example.com", "correct horse battery")
	b.confirmLatest(d, "ada@example.com")
	adaID := b.me(d.runningDemo).User.ID

	// Link the local provider from the home page.
	home := b.get(d.URL + "/")
	if strings.Contains(home.Body, ">Email address</a>") {
		t.Errorf("home page offers to link an email to a user who has one")
	}
	idp := b.follow(home, localTitle)
	linked := b.submit(idp, idp.form(t, "authorize"), map[string]string{"username": "ada-local"}, "approve")
	if linked.URL.Path != "/" || linked.URL.Query().Has("message") {
		t.Fatalf("linking ended on %s\n%s", linked.URL, linked.Body)
	}
	m := b.me(d.runningDemo)
	if m.User.ID != adaID || len(m.Associations) != 2 {
		t.Fatalf("after linking, /me = %+v", m)
	}
	ids := map[string]string{}
	for _, a := range m.Associations {
		ids[a.Provider] = a.ID
	}

	// Unlink the email account, then the local one: ada has a password, so
	// even the last account may go.
	for _, provider := range []string{"email", "local"} {
		home = b.get(d.URL + "/")
		p := b.submit(home, home.form(t, "/disconnect/"+provider+"/"+ids[provider]+"/"), nil, "Disconnect")
		if p.URL.Path != "/" || p.URL.Query().Has("message") {
			t.Fatalf("disconnecting %s ended on %s", provider, p.URL)
		}
	}
	m = b.me(d.runningDemo)
	if !m.Authenticated || m.User.ID != adaID || len(m.Associations) != 0 {
		t.Fatalf("after disconnecting both, /me = %+v", m)
	}

	// With a password and no address linked, the page offers to link one:
	// it takes ada's password and a new validation.
	home = b.get(d.URL + "/")
	formPage := b.follow(home, "Email address")
	f := formPage.form(t, "/complete/email/")
	wantRefused(t, b.submit(formPage, f, map[string]string{"email": "ada@example.com", "password": "not her password"}, "Continue"),
		"linking with a wrong password")
	sent := b.submit(formPage, f, map[string]string{"email": "ada@example.com", "password": "correct horse battery"}, "Continue")
	if sent.URL.Path != emailSentPath {
		t.Fatalf("linking an address ended on %s\n%s", sent.URL, sent.Body)
	}
	b.confirmLatest(d, "ada@example.com")
	m = b.me(d.runningDemo)
	if m.User.ID != adaID || len(m.Associations) != 1 || m.Associations[0].Provider != "email" {
		t.Errorf("after linking the address again, /me = %+v", m)
	}
	if u, _ := d.users(t); u != 1 {
		t.Errorf("%d users, want ada alone", u)
	}

	// A user without a password is not offered to link an address.
	other := newTestBrowser(t)
	home = other.loginLocal(d.runningDemo, "grace", "Grace Hopper", "")
	if strings.Contains(home.Body, ">Email address</a>") {
		t.Errorf("home page offers to link an email to a user without a password")
	}
}
