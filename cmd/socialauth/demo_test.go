package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

// These tests run the demo for real, on a loopback port with a SQLite file,
// and drive it as a person with a browser that runs no JavaScript would:
// following links, reading forms out of the HTML and submitting them.

// runningDemo is a demo served by runDemoOn.
type runningDemo struct {
	URL  string
	Addr string

	stop context.CancelFunc
	done chan error
	once sync.Once
	err  error
	out  *lockedBuffer
	logs *lockedBuffer
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDemo serves the demo on addr ("127.0.0.1:0" for any port) until
// the test ends or Close is called.
func startDemo(t *testing.T, addr, dbPath string, environ []string) *runningDemo {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &runningDemo{
		URL:  "http://" + ln.Addr().String(),
		Addr: ln.Addr().String(),
		stop: cancel,
		done: make(chan error, 1),
		out:  &lockedBuffer{},
		logs: &lockedBuffer{},
	}
	go func() { d.done <- runDemoOn(ctx, ln, dbPath, environ, d.out, d.logs) }()
	// The demo announces itself once it is built.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(d.out.String(), "socialauth demo on"); {
		select {
		case err := <-d.done:
			cancel()
			t.Fatalf("demo stopped at once: %v\n%s", err, d.logs)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("demo did not start within 10s")
		}
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("demo stopped with %v", err)
		}
		if t.Failed() {
			t.Logf("demo output:\n%s\ndemo log:\n%s", d.out, d.logs)
		}
	})
	return d
}

// Close stops the server and waits until the database is closed.
func (d *runningDemo) Close() error {
	d.once.Do(func() {
		d.stop()
		select {
		case d.err = <-d.done:
		case <-time.After(10 * time.Second):
			d.err = errors.New("demo did not stop within 10s")
		}
	})
	return d.err
}

// browser is a cookie-keeping HTTP client that follows redirects.
type browser struct {
	t *testing.T
	c *http.Client
}

func newTestBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(c.CloseIdleConnections)
	return &browser{t: t, c: c}
}

// page is a response as the browser ended on it, after redirects.
type page struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return page{URL: res.Request.URL, Status: res.StatusCode, Header: res.Header, Body: string(body)}
}

func (b *browser) get(rawURL string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "none")
	return b.do(req)
}

// post sends a urlencoded form with the given Sec-Fetch-Site, as a browser
// submitting a form does.
func (b *browser) post(rawURL string, form url.Values, fetchSite string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if fetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", fetchSite)
	}
	return b.do(req)
}

// follow opens the page's link whose text contains text.
func (b *browser) follow(p page, text string) page {
	b.t.Helper()
	for _, m := range linkRE.FindAllStringSubmatch(p.Body, -1) {
		if strings.Contains(html.UnescapeString(stripTags(m[2])), text) {
			href := attrs(m[1])["href"]
			return b.get(p.resolve(b.t, href))
		}
	}
	b.t.Fatalf("%s: no link %q in\n%s", p.URL, text, p.Body)
	return page{}
}

// submit fills the form (fill may set text fields and check checkboxes) and
// sends it with the button whose value, text or label contains button.
func (b *browser) submit(p page, f htmlForm, fill map[string]string, button string) page {
	b.t.Helper()
	values := url.Values{}
	for k, vs := range f.Fields {
		values[k] = slices.Clone(vs)
	}
	for k, v := range fill {
		values.Set(k, v)
	}
	pressed := false
	for _, btn := range f.Buttons {
		if btn.Value == button || strings.Contains(btn.Text, button) || strings.Contains(btn.Label, button) {
			if btn.Name != "" {
				values.Set(btn.Name, btn.Value)
			}
			pressed = true
			break
		}
	}
	if !pressed {
		b.t.Fatalf("%s: form %s has no button %q: %+v", p.URL, f.Action, button, f.Buttons)
	}
	target := p.resolve(b.t, f.Action)
	if !strings.EqualFold(f.Method, http.MethodPost) {
		b.t.Fatalf("form %s: method %q, the demo's forms all post", f.Action, f.Method)
	}
	return b.post(target, values, "same-origin")
}

func (p page) resolve(t *testing.T, ref string) string {
	t.Helper()
	u, err := p.URL.Parse(ref)
	if err != nil {
		t.Fatalf("%s: bad URL %q: %v", p.URL, ref, err)
	}
	return u.String()
}

// htmlForm is a form as the page shows it.
type htmlForm struct {
	Method, Action string
	// Fields are what the form sends without the person's input: hidden
	// and text inputs with their values, checked checkboxes.
	Fields  url.Values
	Inputs  []string // names of every input
	Buttons []formButton
}

type formButton struct {
	Name, Value, Text, Label string
}

var (
	formRE   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE  = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	buttonRE = regexp.MustCompile(`(?is)<button\b([^>]*)>(.*?)</button>`)
	linkRE   = regexp.MustCompile(`(?is)<a\b([^>]*)>(.*?)</a>`)
	attrRE   = regexp.MustCompile(`(?is)([a-z][a-z0-9_:-]*)(?:\s*=\s*"([^"]*)")?`)
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
)

// attrs parses the attributes of a tag; boolean attributes map to "".
func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(s, -1) {
		out[strings.ToLower(m[1])] = html.UnescapeString(m[2])
	}
	return out
}

func stripTags(s string) string { return strings.TrimSpace(tagRE.ReplaceAllString(s, "")) }

// forms returns the page's forms.
func (p page) forms() []htmlForm {
	var out []htmlForm
	for _, m := range formRE.FindAllStringSubmatch(p.Body, -1) {
		fa := attrs(m[1])
		f := htmlForm{Method: fa["method"], Action: fa["action"], Fields: url.Values{}}
		for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
			a := attrs(in[1])
			name := a["name"]
			if name == "" {
				continue
			}
			f.Inputs = append(f.Inputs, name)
			switch strings.ToLower(a["type"]) {
			case "checkbox", "radio":
				if _, checked := a["checked"]; checked {
					f.Fields.Add(name, a["value"])
				}
			case "submit", "button", "image", "reset", "file":
			default:
				f.Fields.Add(name, a["value"])
			}
		}
		for _, bm := range buttonRE.FindAllStringSubmatch(m[2], -1) {
			a := attrs(bm[1])
			f.Buttons = append(f.Buttons, formButton{Name: a["name"], Value: a["value"],
				Text: html.UnescapeString(stripTags(bm[2])), Label: a["aria-label"]})
		}
		out = append(out, f)
	}
	return out
}

// form returns the page's form whose action starts with action.
func (p page) form(t *testing.T, action string) htmlForm {
	t.Helper()
	for _, f := range p.forms() {
		if strings.HasPrefix(f.Action, action) {
			return f
		}
	}
	t.Fatalf("%s: no form with action %q in\n%s", p.URL, action, p.Body)
	return htmlForm{}
}

// meJSON is the documented shape of GET /me.
type meJSON struct {
	Authenticated bool `json:"authenticated"`
	User          *struct {
		ID        string `json:"id"`
		Username  string `json:"username"`
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	} `json:"user"`
	Associations []struct {
		ID        string         `json:"id"`
		Provider  string         `json:"provider"`
		UID       string         `json:"uid"`
		ExtraData map[string]any `json:"extra_data"`
	} `json:"associations"`
}

// me fetches /me and checks its shape: every documented key, nothing else.
func (b *browser) me(d *runningDemo) meJSON {
	b.t.Helper()
	p := b.get(d.URL + "/me")
	if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		b.t.Fatalf("GET /me: %d %s\n%s", p.Status, p.Header.Get("Content-Type"), p.Body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p.Body), &raw); err != nil {
		b.t.Fatalf("GET /me: %v\n%s", err, p.Body)
	}
	for _, k := range []string{"authenticated", "user", "associations"} {
		if _, ok := raw[k]; !ok {
			b.t.Errorf("GET /me has no %q key: %s", k, p.Body)
		}
	}
	if string(raw["associations"]) == "null" {
		b.t.Errorf("GET /me: associations is null, want a list: %s", p.Body)
	}
	dec := json.NewDecoder(strings.NewReader(p.Body))
	dec.DisallowUnknownFields()
	var m meJSON
	if err := dec.Decode(&m); err != nil {
		b.t.Fatalf("GET /me: %v\n%s", err, p.Body)
	}
	if m.Authenticated != (m.User != nil) {
		b.t.Errorf("GET /me: authenticated=%v with user %v", m.Authenticated, m.User)
	}
	if m.User != nil {
		for _, k := range []string{`"id"`, `"username"`, `"email"`, `"first_name"`, `"last_name"`} {
			if !strings.Contains(string(raw["user"]), k) {
				b.t.Errorf("GET /me: user has no %s key: %s", k, raw["user"])
			}
		}
	}
	return m
}

// localUID is the uid the local identity provider gives a username.
func localUID(username string) string {
	sum := sha256.Sum256([]byte("localidp user\x00" + strings.ToLower(username)))
	return "u" + hex.EncodeToString(sum[:8])
}

// testEnviron is an environment with nothing from the machine running the
// tests (no stray SOCIAL_AUTH_* variable).
func testEnviron(extra ...string) []string {
	return append([]string{"HOME=/nonexistent", "LANG=C"}, extra...)
}

const localTitle = "Local identity provider"

// openLocalForm goes from the home page to the local provider's login form.
func (b *browser) openLocalForm(d *runningDemo) (page, htmlForm) {
	b.t.Helper()
	home := b.get(d.URL + "/")
	idp := b.follow(home, "Sign in with "+localTitle)
	if idp.Status != http.StatusOK || !strings.HasPrefix(idp.URL.Path, idpPrefix+"/authorize") {
		b.t.Fatalf("sign-in link led to %d %s\n%s", idp.Status, idp.URL, idp.Body)
	}
	f := idp.form(b.t, "authorize")
	for _, name := range []string{"request", "mac", "username", "name", "email", "email_verified"} {
		if !slices.Contains(f.Inputs, name) {
			b.t.Errorf("login form has no %q input: %v", name, f.Inputs)
		}
	}
	if f.Fields.Get("request") == "" || f.Fields.Get("mac") == "" {
		b.t.Fatalf("login form's hidden fields are empty: %v", f.Fields)
	}
	return idp, f
}

// loginLocal signs in at the local provider and returns the page the
// browser lands on.
func (b *browser) loginLocal(d *runningDemo, username, name, email string) page {
	b.t.Helper()
	idp, f := b.openLocalForm(d)
	fill := map[string]string{"username": username, "name": name, "email": email}
	if email != "" {
		fill["email_verified"] = "1"
	}
	p := b.submit(idp, f, fill, "approve")
	if p.Status != http.StatusOK || p.URL.Path != "/" || p.URL.Query().Has("message") {
		b.t.Fatalf("login as %s ended on %d %s\n%s", username, p.Status, p.URL, p.Body)
	}
	if !strings.Contains(p.Body, "Signed in as "+html.EscapeString(username)) {
		b.t.Fatalf("home page after login does not show %s:\n%s", username, p.Body)
	}
	return p
}

func (b *browser) logout(d *runningDemo) {
	b.t.Helper()
	home := b.get(d.URL + "/")
	p := b.submit(home, home.form(b.t, "/logout"), nil, "Log out")
	if p.Status != http.StatusOK || p.URL.Path != "/" {
		b.t.Fatalf("logout ended on %d %s", p.Status, p.URL)
	}
	if strings.Contains(p.Body, "Signed in as") {
		b.t.Errorf("home page after logout still shows a user")
	}
}

func TestDemoLocalLoginWithoutJavaScript(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, "127.0.0.1:0", filepath.Join(dir, "demo.db"), testEnviron())
	b := newTestBrowser(t)

	home := b.get(d.URL + "/")
	if home.Status != http.StatusOK || !strings.Contains(home.Body, "Sign in with "+localTitle) {
		t.Fatalf("GET / = %d\n%s", home.Status, home.Body)
	}
	for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if got := home.Header.Get(name); got != want {
			t.Errorf("GET / %s = %q, want %q", name, got, want)
		}
	}
	if m := b.me(d); m.Authenticated || len(m.Associations) != 0 {
		t.Errorf("/me before login = %+v", m)
	}
	if !strings.Contains(d.out.String(), "socialauth demo on "+d.URL) || !strings.Contains(d.out.String(), "backends: local") {
		t.Errorf("demo printed %q", d.out.String())
	}

	// Cancel at the provider: back home with AuthCanceled's message.
	idp, f := b.openLocalForm(d)
	canceled := b.submit(idp, f, nil, "cancel")
	if canceled.Status != http.StatusOK || canceled.URL.Path != "/" {
		t.Fatalf("cancel ended on %d %s", canceled.Status, canceled.URL)
	}
	if msg := socialerr.AuthCanceled.Error(); canceled.URL.Query().Get("message") != msg ||
		!strings.Contains(canceled.Body, html.EscapeString(msg)) || !strings.Contains(canceled.Body, `role="alert"`) {
		t.Errorf("after cancel, URL %s and page do not show %q:\n%s", canceled.URL, msg, canceled.Body)
	}
	if m := b.me(d); m.Authenticated {
		t.Errorf("/me after cancel = %+v", m)
	}

	// Sign in.
	home = b.loginLocal(d, "ada", "Ada Lovelace", "ada@example.com")
	m := b.me(d)
	if !m.Authenticated || m.User.Username != "ada" || m.User.Email != "ada@example.com" ||
		m.User.FirstName != "Ada" || m.User.LastName != "Lovelace" || m.User.ID == "" {
		t.Fatalf("/me after login = %+v", m.User)
	}
	if len(m.Associations) != 1 {
		t.Fatalf("/me associations = %+v", m.Associations)
	}
	as := m.Associations[0]
	if as.Provider != "local" || as.UID != localUID("ada") || as.ID == "" || as.ExtraData["username"] != "ada" {
		t.Errorf("association = %+v", as)
	}
	if tok, _ := as.ExtraData["access_token"].(string); tok == "" {
		t.Errorf("association extra data has no access token: %v", as.ExtraData)
	}
	for _, want := range []string{html.EscapeString(m.User.ID), "ada@example.com", "Ada Lovelace", html.EscapeString(as.UID)} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("home page does not show %q", want)
		}
	}
	disconnect := home.form(t, "/disconnect/local/"+as.ID+"/")
	if disconnect.Method != "post" || len(disconnect.Buttons) != 1 || disconnect.Buttons[0].Text != "Disconnect" {
		t.Errorf("disconnect form = %+v", disconnect)
	}
	adaID := m.User.ID

	// GET never disconnects.
	if p := b.get(d.URL + "/disconnect/local/"); p.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET /disconnect/local/ = %d, want 405", p.Status)
	}
	if p := b.get(d.URL + "/disconnect/local/" + as.ID + "/"); p.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET /disconnect/local/{id}/ = %d, want 405", p.Status)
	}

	// The only account cannot be disconnected: it would lock ada out.
	refused := b.submit(home, disconnect, nil, "Disconnect")
	if msg := socialerr.NotAllowedToDisconnect.Error(); refused.URL.Path != "/" ||
		refused.URL.Query().Get("message") != msg || !strings.Contains(refused.Body, html.EscapeString(msg)) {
		t.Errorf("disconnecting the only account ended on %s:\n%s", refused.URL, refused.Body)
	}
	if m := b.me(d); !m.Authenticated || m.User.ID != adaID || len(m.Associations) != 1 {
		t.Errorf("/me after a refused disconnect = %+v", m)
	}

	// Log out.
	b.logout(d)
	if m := b.me(d); m.Authenticated {
		t.Errorf("/me after logout = %+v", m)
	}

	// Logout needs POST from the site itself.
	b.loginLocal(d, "ada", "", "")
	if p := b.get(d.URL + "/logout"); p.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout = %d, want 405", p.Status)
	}
	if p := b.post(d.URL+"/logout", nil, "cross-site"); p.Status != http.StatusForbidden {
		t.Errorf("cross-site POST /logout = %d, want 403", p.Status)
	}
	// Signing in again as ada is the same user.
	m = b.me(d)
	if !m.Authenticated || m.User.ID != adaID || len(m.Associations) != 1 || m.Associations[0].ID != as.ID {
		t.Errorf("second login as ada = %+v, want user %s and association %s", m, adaID, as.ID)
	}
	// An empty name or email at the provider never erases what is kept.
	if m.User.Email != "ada@example.com" {
		t.Errorf("email after a login without one = %q", m.User.Email)
	}

	// Another person is another user.
	b.logout(d)
	b.loginLocal(d, "grace", "Grace Hopper", "grace@example.com")
	m = b.me(d)
	if !m.Authenticated || m.User.ID == adaID || m.User.Username != "grace" || len(m.Associations) != 1 ||
		m.Associations[0].UID != localUID("grace") {
		t.Errorf("login as grace = %+v", m)
	}

	// A browser of its own sees nobody.
	if m := newTestBrowser(t).me(d); m.Authenticated {
		t.Errorf("a fresh browser is logged in: %+v", m)
	}
}

func TestDemoLoginFormProblemsAreShown(t *testing.T) {
	d := startDemo(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "demo.db"), testEnviron())
	b := newTestBrowser(t)
	idp, f := b.openLocalForm(d)
	p := b.submit(idp, f, map[string]string{"username": "", "email": "not an email"}, "approve")
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Enter a username.") {
		t.Fatalf("empty username: %d\n%s", p.Status, p.Body)
	}
	// The form is shown again, still usable.
	again := p.form(t, "authorize")
	p = b.submit(p, again, map[string]string{"username": "ada", "email": ""}, "approve")
	if p.URL.Path != "/" || !strings.Contains(p.Body, "Signed in as ada") {
		t.Errorf("second try ended on %s", p.URL)
	}
}

func TestDemoRestartKeepsSessionsAndData(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	first := startDemo(t, "127.0.0.1:0", db, testEnviron())
	b := newTestBrowser(t)
	b.loginLocal(first, "ada", "Ada Lovelace", "ada@example.com")
	before := b.me(first)

	secretPath := db + ".secret"
	info, err := os.Stat(secretPath)
	if err != nil {
		t.Fatalf("the session key is not kept beside the database: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %v, want 0600", secretPath, perm)
	}
	key, err := os.ReadFile(secretPath)
	if err != nil {
		t.Fatal(err)
	}
	if k := strings.TrimSpace(string(key)); len(k) < 64 {
		t.Errorf("session key %q is shorter than 32 random bytes", k)
	}

	if err := first.Close(); err != nil {
		t.Fatalf("stopping the demo: %v", err)
	}
	if _, err := http.Get(first.URL + "/"); err == nil {
		t.Fatal("the stopped demo still answers")
	}

	second := startDemo(t, first.Addr, db, testEnviron())
	after := b.me(second)
	if !after.Authenticated || after.User.ID != before.User.ID || len(after.Associations) != 1 ||
		after.Associations[0].ID != before.Associations[0].ID {
		t.Errorf("after a restart /me = %+v, want %+v", after, before)
	}
	if again, _ := os.ReadFile(secretPath); !bytes.Equal(again, key) {
		t.Errorf("the restart replaced the session key")
	}

	// The data is there for a new browser too.
	other := newTestBrowser(t)
	other.loginLocal(second, "ada", "", "")
	if m := other.me(second); m.User.ID != before.User.ID {
		t.Errorf("ada after a restart is user %s, want %s", m.User.ID, before.User.ID)
	}
}

func TestDemoSecretKeyFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	key := strings.Repeat("k3y", 22)
	d := startDemo(t, "127.0.0.1:0", db, testEnviron("SOCIAL_AUTH_SECRET_KEY="+key))
	b := newTestBrowser(t)
	b.loginLocal(d, "ada", "", "")
	id := b.me(d).User.ID
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db + ".secret"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a session key file was written although SOCIAL_AUTH_SECRET_KEY is set: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".secret") {
			t.Errorf("unexpected file %s", e.Name())
		}
	}

	// The same key opens the same cookie.
	d = startDemo(t, "127.0.0.1:0", db, testEnviron("SOCIAL_AUTH_SECRET_KEY="+key))
	if m := b.me(d); !m.Authenticated || m.User.ID != id {
		t.Errorf("with the same key, /me = %+v", m)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Another key does not: the cookie was sealed with the environment's key.
	d = startDemo(t, "127.0.0.1:0", db, testEnviron("SOCIAL_AUTH_SECRET_KEY="+strings.Repeat("0th3r", 13)))
	if m := b.me(d); m.Authenticated {
		t.Errorf("a cookie sealed with another key was accepted: %+v", m)
	}
	if home := b.get(d.URL + "/"); home.Status != http.StatusOK || strings.Contains(home.Body, "Signed in") {
		t.Errorf("home page with a stale cookie: %d", home.Status)
	}
}

func TestDemoGenericBackendFromEnvironment(t *testing.T) {
	provider := socialtest.NewOAuth2Provider(t, socialtest.WithUser(map[string]any{
		"id": "remote-42", "username": "ada-remote", "email": "ada@remote.example", "name": "Ada Remote",
	}))
	environ := testEnviron(
		"SOCIAL_AUTH_OAUTH2_KEY="+provider.ClientID,
		"SOCIAL_AUTH_OAUTH2_SECRET="+provider.ClientSecret,
		"SOCIAL_AUTH_OAUTH2_AUTHORIZATION_URL="+provider.AuthorizeURL(),
		"SOCIAL_AUTH_OAUTH2_ACCESS_TOKEN_URL="+provider.TokenURL(),
		"SOCIAL_AUTH_OAUTH2_USER_DATA_URL="+provider.UserURL(),
		"SOCIAL_AUTH_OAUTH2_EXTRA_DATA=username",
	)
	d := startDemo(t, "127.0.0.1:0", filepath.Join(t.TempDir(), "demo.db"), environ)
	if err := provider.AllowRedirect(d.URL + "/complete/oauth2/"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.out.String(), "backends: local, oauth2") {
		t.Errorf("demo printed %q", d.out.String())
	}
	b := newTestBrowser(t)
	home := b.get(d.URL + "/")
	if !strings.Contains(home.Body, "Sign in with "+localTitle) || !strings.Contains(home.Body, "Sign in with OAuth 2.0") {
		t.Fatalf("home page does not offer both backends:\n%s", home.Body)
	}

	// Sign in locally, then link the generic account from the home page.
	home = b.loginLocal(d, "ada", "Ada Lovelace", "ada@example.com")
	adaID := b.me(d).User.ID
	linked := b.follow(home, "OAuth 2.0")
	if linked.URL.Path != "/" || linked.URL.Query().Has("message") {
		t.Fatalf("linking ended on %s\n%s", linked.URL, linked.Body)
	}
	m := b.me(d)
	if !m.Authenticated || m.User.ID != adaID || len(m.Associations) != 2 {
		t.Fatalf("after linking, /me = %+v", m)
	}
	byProvider := map[string]string{}
	for _, a := range m.Associations {
		byProvider[a.Provider] = a.ID
		if a.Provider == "oauth2" && (a.UID != "remote-42" || a.ExtraData["username"] != "ada-remote") {
			t.Errorf("generic association = %+v", a)
		}
	}
	if byProvider["local"] == "" || byProvider["oauth2"] == "" {
		t.Fatalf("associations = %+v", m.Associations)
	}
	if n := len(provider.RequestsTo(socialtest.TokenPath)); n != 1 {
		t.Errorf("the provider's token endpoint was called %d times", n)
	}

	// A cross-site form cannot disconnect anything.
	forged := b.post(d.URL+"/disconnect/oauth2/"+byProvider["oauth2"]+"/", nil, "cross-site")
	if forged.Status != http.StatusForbidden {
		t.Errorf("cross-site disconnect = %d, want 403", forged.Status)
	}
	if m := b.me(d); len(m.Associations) != 2 {
		t.Errorf("a cross-site POST removed an association: %+v", m.Associations)
	}
	// Neither can an old-style cross-origin POST without Sec-Fetch-Site.
	req, _ := http.NewRequest(http.MethodPost, d.URL+"/disconnect/oauth2/", nil)
	req.Header.Set("Origin", "https://evil.example")
	if p := b.do(req); p.Status != http.StatusForbidden {
		t.Errorf("cross-origin disconnect = %d, want 403", p.Status)
	}
	if m := b.me(d); len(m.Associations) != 2 {
		t.Errorf("a cross-origin POST removed an association: %+v", m.Associations)
	}

	// With two accounts, the button disconnects one.
	home = b.get(d.URL + "/")
	f := home.form(t, "/disconnect/oauth2/"+byProvider["oauth2"]+"/")
	p := b.submit(home, f, nil, "Disconnect")
	if p.URL.Path != "/" || p.URL.Query().Has("message") {
		t.Fatalf("disconnect ended on %s\n%s", p.URL, p.Body)
	}
	m = b.me(d)
	if !m.Authenticated || m.User.ID != adaID || len(m.Associations) != 1 || m.Associations[0].ID != byProvider["local"] {
		t.Errorf("after disconnecting oauth2, /me = %+v", m)
	}
	if !strings.Contains(p.Body, "Link another account") || strings.Contains(p.Body, "/disconnect/oauth2/") {
		t.Errorf("home page after disconnect still lists the oauth2 account")
	}
	// And the last one stays.
	p = b.submit(p, p.form(t, "/disconnect/local/"), nil, "Disconnect")
	if p.URL.Query().Get("message") != socialerr.NotAllowedToDisconnect.Error() {
		t.Errorf("disconnecting the last account ended on %s", p.URL)
	}
	if m := b.me(d); len(m.Associations) != 1 {
		t.Errorf("the last association was removed: %+v", m.Associations)
	}
}

func TestRunDemoRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--addr", "256.0.0.1:bad"},
		{"demo", "--nope"},
		{"demo", "extra"},
	} {
		var out, errOut bytes.Buffer
		if err := run(t.Context(), args, testEnviron(), &out, &errOut); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
	// A database that cannot be opened is reported, and the listener closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = runDemoOn(t.Context(), ln, filepath.Join(t.TempDir(), "missing", "dir", "demo.db"), testEnviron(), &out, &errOut)
	if err == nil {
		t.Fatal("runDemoOn with an unusable database = nil")
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("the listener is still open after a failed start")
	}
}
