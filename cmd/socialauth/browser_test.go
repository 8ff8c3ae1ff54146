package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/socialauth/socialauth/socialerr"
)

// These tests drive the demo with a real headless Chromium, as a person
// clicks it: links, form fields typed key by key, checkboxes and buttons.
// They read what the page shows (visible text and the DOM), not only URLs.
// Each scenario runs in a browser context of its own (its own cookies)
// against a demo of its own, served in-process on a loopback port with a
// SQLite file in a temporary folder.

const (
	// chromiumEnv names the Chromium binary; /usr/bin/chromium otherwise.
	chromiumEnv     = "SOCIALAUTH_CHROMIUM"
	defaultChromium = "/usr/bin/chromium"
	// screenshotsEnv, when set, copies the screenshots to screenshotsDir.
	screenshotsEnv = "SOCIALAUTH_SCREENSHOTS"
	screenshotsDir = "/tmp/socialauth-screens"

	// stepTimeout bounds each click, wait and read.
	stepTimeout = 10 * time.Second
	// browserTimeout bounds a browser's whole life.
	browserTimeout = 2 * time.Minute
)

// chromiumPath returns the Chromium binary. A missing one fails the test
// on CI and skips it elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv(chromiumEnv)
	if path == "" {
		path = defaultChromium
	}
	if _, err := exec.LookPath(path); err != nil {
		msg := fmt.Sprintf("the browser tests need Chromium: install it with `apt-get install chromium`, "+
			"or set %s to its binary (%v)", chromiumEnv, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// startChromium starts a headless Chromium with a fresh profile folder and
// returns a context whose browser is running. The browser stops when the
// test ends.
func startChromium(t *testing.T, execPath string) context.Context {
	t.Helper()
	profile := t.TempDir() // created before the cleanup below, so removed after it
	output := &lockedBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		// The machine's network is closed: no background connections.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1100, 900),
		chromedp.CombinedOutput(output),
	}
	life, stopLife := context.WithTimeout(context.Background(), browserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		if err := chromedp.Cancel(browserCtx); err != nil {
			t.Logf("closing Chromium: %v", err)
		}
		cancelBrowser()
		cancelAlloc() // waits for the process to exit
		stopLife()
		if t.Failed() {
			t.Logf("Chromium output:\n%s", output)
		}
	})
	// The first run starts the browser; it has no timeout of its own, as
	// one would end the browser with it.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting Chromium %s: %v\n%s", execPath, err, output)
	}
	return browserCtx
}

// tab is one page in a browser context of its own: a person at a browser.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab opens a page in a new browser context (cookies and storage of its
// own, like a private window) of the running browser.
func newTab(t *testing.T, browserCtx context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return &tab{t: t, ctx: ctx}
}

// open loads rawURL as if typed in the address bar.
func (b *tab) open(rawURL string) {
	b.t.Helper()
	// The tab's first run creates it: no step timeout (see startChromium).
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(rawURL))
	if err != nil {
		b.t.Fatalf("opening %s: %v", rawURL, err)
	}
	if resp.Status != 200 {
		b.t.Fatalf("opening %s: status %d", rawURL, resp.Status)
	}
}

// do runs steps within stepTimeout.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (on %s)", what, err, b.location())
	}
}

// read runs one action that returns a value, within stepTimeout.
func read[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v (on %s)", what, err, b.location())
	}
	return v
}

// location is the page's URL, for messages.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "an unknown page: " + err.Error()
	}
	return loc
}

// click clicks the element and waits for the page it leads to, which must
// load with 200 OK after any redirects.
func click[S chromedp.Selectable](b *tab, sel S) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel))
	if err != nil {
		b.t.Fatalf("clicking %v: %v (on %s)", sel, err, b.location())
	}
	if resp.Status != 200 {
		b.t.Fatalf("clicking %v led to %s with status %d", sel, resp.URL, resp.Status)
	}
}

// link selects the link whose visible text is text.
func link(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//a[normalize-space(.)=%q]`, text))
}

// button selects the button whose visible text is text.
func button(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//button[normalize-space(.)=%q]`, text))
}

// text returns the visible text of the element, once it is visible.
func (b *tab) text(sel chromedp.CSS) string {
	b.t.Helper()
	b.do("waiting for "+string(sel), chromedp.WaitVisible(sel))
	return strings.TrimSpace(read(b, "reading "+string(sel), chromedp.Text(sel)))
}

// bodyText is everything the page shows.
func (b *tab) bodyText() string {
	b.t.Helper()
	return read(b, "reading the page", chromedp.Evaluate[string](`document.body.innerText`))
}

// path is the path of the page's URL.
func (b *tab) path() string {
	b.t.Helper()
	return read(b, "reading the URL", chromedp.Evaluate[string](`location.pathname`))
}

// linkedAccounts reads the home page's table of linked accounts: the
// service and account id of each row, as shown.
func (b *tab) linkedAccounts() [][2]string {
	b.t.Helper()
	rows := read(b, "reading the linked accounts", chromedp.Evaluate[[][]string](
		`Array.from(document.querySelectorAll('table tbody tr'), r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()])`))
	out := make([][2]string, 0, len(rows))
	for _, r := range rows {
		if len(r) != 2 {
			b.t.Fatalf("a linked account row has %d cells: %q", len(r), r)
		}
		out = append(out, [2]string{r[0], r[1]})
	}
	return out
}

// wantSignedIn checks that the page is the home page of a signed-in user:
// its heading names username and its details show email.
func (b *tab) wantSignedIn(username, email string) {
	b.t.Helper()
	if got, want := b.text("#you"), "Signed in as "+username; got != want {
		b.t.Fatalf("home page heading = %q, want %q", got, want)
	}
	if p := b.path(); p != "/" {
		b.t.Errorf("signed in on %s, want the home page", p)
	}
	details := b.text("main dl")
	if !strings.Contains(details, "Username\n"+username) && !strings.Contains(details, "Username\t"+username) {
		b.t.Errorf("user details do not show username %q:\n%s", username, details)
	}
	if !strings.Contains(details, email) {
		b.t.Errorf("user details do not show email %q:\n%s", email, details)
	}
	if body := b.bodyText(); strings.Contains(body, "Sign-in failed") {
		b.t.Errorf("signed-in page shows a failure:\n%s", body)
	}
}

// wantSignedOut checks that the page is the home page offering to sign in.
func (b *tab) wantSignedOut() {
	b.t.Helper()
	if got := b.text("#signin"); got != "Sign in" {
		b.t.Fatalf("home page heading = %q, want Sign in", got)
	}
	if body := b.bodyText(); strings.Contains(body, "Signed in as") {
		b.t.Errorf("signed-out home page still shows a user:\n%s", body)
	}
	b.do("finding the sign-in button", chromedp.WaitVisible(link("Sign in with "+localTitle)))
}

// fillIdPForm types into the local identity provider's login form, as a
// person does, and ticks "email verified" when verified is set.
func (b *tab) fillIdPForm(username, name, email string, verified bool) {
	b.t.Helper()
	if got := b.text("h1"); got != "Sign in to socialauth demo" {
		b.t.Fatalf("identity provider page heading = %q", got)
	}
	if p := b.path(); p != idpPrefix+"/authorize" {
		b.t.Fatalf("identity provider form on %s", p)
	}
	b.do("typing the username", chromedp.SendKeys(chromedp.ID("username"), username))
	if name != "" {
		b.do("typing the name", chromedp.SendKeys(chromedp.ID("name"), name))
	}
	if email != "" {
		b.do("typing the email", chromedp.SendKeys(chromedp.ID("email"), email))
	}
	if verified {
		b.do("ticking email verified", chromedp.Click(chromedp.ID("email_verified")))
	}
	typed := read(b, "reading the form", chromedp.Evaluate[[]string](
		`['username','name','email'].map(id => document.getElementById(id).value)`))
	if want := []string{username, name, email}; !slices.Equal(typed, want) {
		b.t.Fatalf("the form holds %q, want %q", typed, want)
	}
	if ticked := read(b, "reading the checkbox", chromedp.JavascriptAttribute[bool](chromedp.ID("email_verified"), "checked")); ticked != verified {
		b.t.Fatalf("email verified ticked = %v, want %v", ticked, verified)
	}
}

// screenshot saves a PNG of the whole page into dir (and into
// screenshotsDir when SOCIALAUTH_SCREENSHOTS is set), and checks that it
// is a picture of the page's size.
func (b *tab) screenshot(dir, name string) string {
	b.t.Helper()
	shot := read(b, "taking a screenshot", chromedp.FullScreenshot(100))
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		b.t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if size := img.Bounds().Size(); size.X < 300 || size.Y < 300 {
		b.t.Errorf("screenshot %s is %v, too small for the page", name, size)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if os.Getenv(screenshotsEnv) != "" {
		if err := os.MkdirAll(screenshotsDir, 0o755); err != nil {
			b.t.Fatal(err)
		}
		kept := filepath.Join(screenshotsDir, name)
		if err := os.WriteFile(kept, shot, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", kept)
	}
	return path
}

// signUpByEmail goes from the home page through the email form to the
// "check your email" page.
func (b *tab) signUpByEmail(d *runningDemo, email, password string) {
	b.t.Helper()
	b.open(d.URL + "/")
	click(b, link("Sign in with email"))
	if got := b.text("#title"); got != "Sign in with email" {
		b.t.Fatalf("email form heading = %q", got)
	}
	b.do("typing the address", chromedp.SendKeys(chromedp.ID("email"), email))
	b.do("typing the password", chromedp.SendKeys(chromedp.ID("password"), password))
	click(b, button("Continue"))
	if got := b.text("#title"); got != "Check your email" {
		b.t.Fatalf("after the email form, heading = %q on %s", got, b.location())
	}
	if note := b.text(`[role="status"]`); !strings.Contains(note, "We sent a link to "+email) {
		b.t.Errorf("check-your-email note = %q, want it to name %s", note, email)
	}
	if p := b.path(); p != emailSentPath {
		b.t.Errorf("check-your-email page on %s", p)
	}
}

// openOutboxMail goes from the "check your email" page to the outbox and
// checks that its newest mail is to email.
func (b *tab) openOutboxMail(email string) {
	b.t.Helper()
	click(b, link("Open the outbox"))
	if got := b.text("#title"); got != "Outbox" {
		b.t.Fatalf("outbox heading = %q", got)
	}
	mail := b.text("article.mail")
	if !strings.Contains(mail, "Confirm your email address") || !strings.Contains(mail, "Open this link to confirm "+email) {
		b.t.Fatalf("newest outbox mail:\n%s\nwant one to %s", mail, email)
	}
}

func TestBrowserDemo(t *testing.T) {
	execPath := chromiumPath(t)
	start := time.Now()
	browser := startChromium(t, execPath)
	shots := t.TempDir()
	t.Cleanup(func() { t.Logf("browser scenarios took %v", time.Since(start).Round(time.Millisecond)) })

	newDemo := func(t *testing.T) *runningDemo {
		return startDemo(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "demo.db"), testEnviron())
	}

	t.Run("local sign-in and log out", func(t *testing.T) {
		d := newDemo(t)
		b := newTab(t, browser)
		b.open(d.URL + "/")
		b.wantSignedOut()

		click(b, link("Sign in with "+localTitle))
		b.fillIdPForm("ada", "Ada Lovelace", "ada@example.com", true)
		b.screenshot(shots, "idp-login-form.png")
		click(b, button("Sign in"))

		b.wantSignedIn("ada", "ada@example.com")
		if details := b.text("main dl"); !strings.Contains(details, "Ada Lovelace") {
			t.Errorf("user details do not show the name:\n%s", details)
		}
		if got, want := b.linkedAccounts(), [][2]string{{"local", localUID("ada")}}; !slices.Equal(got, want) {
			t.Errorf("linked accounts = %q, want %q", got, want)
		}
		b.do("finding the disconnect button",
			chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Disconnect local account `+localUID("ada")+`"]`)))
		b.screenshot(shots, "home-signed-in.png")

		click(b, button("Log out"))
		b.wantSignedOut()
		if p := b.path(); p != "/" {
			t.Errorf("logged out on %s, want the home page", p)
		}
		// The session is gone, not just the page: a reload shows nobody.
		b.open(d.URL + "/")
		b.wantSignedOut()
	})

	t.Run("cancel at the identity provider", func(t *testing.T) {
		d := newDemo(t)
		b := newTab(t, browser)
		b.open(d.URL + "/")
		click(b, link("Sign in with "+localTitle))
		b.fillIdPForm("mallory", "", "", false)
		click(b, button("Cancel"))

		alert := b.text(`.alert[role="alert"]`)
		if !strings.HasPrefix(alert, "Sign-in failed") || !strings.Contains(alert, socialerr.AuthCanceled.Error()) {
			t.Errorf("alert after cancel = %q, want the sign-in failure with %q", alert, socialerr.AuthCanceled.Error())
		}
		b.wantSignedOut()
	})

	t.Run("email sign-up through the outbox", func(t *testing.T) {
		d := newDemo(t)
		b := newTab(t, browser)
		b.signUpByEmail(d, "ada@example.com", "correct horse battery")
		// Nobody is signed in before the link is opened.
		b.open(d.URL + "/")
		b.wantSignedOut()

		b.open(d.URL + emailSentPath)
		b.openOutboxMail("ada@example.com")
		click(b, chromedp.CSS("article.mail .link a"))
		b.wantSignedIn("ada", "ada@example.com")
		if got, want := b.linkedAccounts(), [][2]string{{"email", "ada@example.com"}}; !slices.Equal(got, want) {
			t.Errorf("linked accounts = %q, want %q", got, want)
		}
	})

	t.Run("validation link opened in another browser", func(t *testing.T) {
		d := newDemo(t)
		first := newTab(t, browser)
		first.signUpByEmail(d, "grace@example.com", "cobol forever 59")
		first.openOutboxMail("grace@example.com")
		href := read(first, "reading the link", chromedp.AttributeValue(chromedp.CSS("article.mail .link a"), "href"))
		if !href.Exists || !strings.HasPrefix(href.Value, d.URL+"/complete/email/?") {
			t.Fatalf("validation link = %+v", href)
		}

		// Another browser: a second Chromium with a profile of its own.
		other := newTab(t, startChromium(t, execPath))
		other.open(href.Value)
		if got := other.text("h1"); got != "Continue signing in on this device?" {
			t.Fatalf("the link in another browser shows %q on %s", got, other.location())
		}
		if body := other.bodyText(); !strings.Contains(body, "The sign-in for grace@example.com was started in another browser") {
			t.Errorf("confirmation page does not name the address:\n%s", body)
		}
		click(other, button("Continue signing in"))
		other.wantSignedIn("grace", "grace@example.com")
		if got, want := other.linkedAccounts(), [][2]string{{"email", "grace@example.com"}}; !slices.Equal(got, want) {
			t.Errorf("linked accounts = %q, want %q", got, want)
		}

		// The first browser is not signed in by it.
		first.open(d.URL + "/")
		first.wantSignedOut()
	})

	t.Run("disconnect a linked account", func(t *testing.T) {
		d := newDemo(t)
		b := newTab(t, browser)
		b.signUpByEmail(d, "ada@example.com", "correct horse battery")
		b.openOutboxMail("ada@example.com")
		click(b, chromedp.CSS("article.mail .link a"))
		b.wantSignedIn("ada", "ada@example.com")

		// Link the local provider from "Link another account".
		if body := b.bodyText(); !strings.Contains(body, "Link another account") {
			t.Fatalf("home page of an email user offers no link:\n%s", body)
		}
		click(b, link(localTitle))
		b.fillIdPForm("ada-local", "", "", false)
		click(b, button("Sign in"))
		b.wantSignedIn("ada", "ada@example.com")
		want := [][2]string{{"email", "ada@example.com"}, {"local", localUID("ada-local")}}
		got := b.linkedAccounts()
		slices.SortFunc(got, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
		if !slices.Equal(got, want) {
			t.Fatalf("linked accounts = %q, want %q", got, want)
		}
		if body := b.bodyText(); strings.Contains(body, "Link another account") {
			t.Errorf("with every backend linked, the page still offers to link one:\n%s", body)
		}

		// Disconnect the local account: its row goes, the email one stays.
		disconnect := chromedp.CSS(`button[aria-label="Disconnect local account ` + localUID("ada-local") + `"]`)
		click(b, disconnect)
		b.wantSignedIn("ada", "ada@example.com")
		b.do("waiting for the row to go", chromedp.WaitNotPresent(disconnect))
		if got, want := b.linkedAccounts(), [][2]string{{"email", "ada@example.com"}}; !slices.Equal(got, want) {
			t.Errorf("after disconnecting, linked accounts = %q, want %q", got, want)
		}
		b.do("finding the link button again", chromedp.WaitVisible(link(localTitle)))
	})
}
