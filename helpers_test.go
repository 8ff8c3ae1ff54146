package socialauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// The end-to-end tests' shared pieces: an application served over TLS, a
// browser for it, a settable clock and the assertions every protocol makes.

const testSecretKey = "test-secret-key-0123456789abcdefghijklmnop"

// site is an application using socialauth, served over TLS: auth.Handler()
// on /login/, /complete/, /disconnect/ and /token/, and every other path a
// page printing "page=<path> user=<username|anonymous> query=<raw query>".
type site struct {
	t     *testing.T
	srv   *httptest.Server
	store *memstore.Store
	auth  *socialauth.Auth
}

// serveApp starts the site's server, then builds socialauth from the
// configuration that config returns; config may use the site's URL (to let
// a fake provider redirect back to it) and its store, both ready.
func serveApp(t *testing.T, config func(s *site) socialauth.Config) *site {
	t.Helper()
	s := &site{t: t, store: memstore.New(memstore.Options{})}
	mux := http.NewServeMux()
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	auth, err := socialauth.New(config(s))
	if err != nil {
		t.Fatal(err)
	}
	s.auth = auth
	h := auth.Handler()
	for _, route := range []string{"/login/", "/complete/", "/disconnect/", "/token/"} {
		mux.Handle(route, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		who := "anonymous"
		if u, err := auth.CurrentUser(r); err == nil && u != nil {
			who = u.Username
		}
		fmt.Fprintf(w, "page=%s user=%s query=%s", r.URL.Path, who, r.URL.RawQuery)
	})
	return s
}

// browser is a cookie-keeping client of a site; it follows no redirect by
// itself, so tests see every one (follow and visit follow them by hand).
type browser struct {
	t    *testing.T
	site *site
	c    *http.Client
}

func (s *site) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, site: s, c: &http.Client{
		Transport:     s.srv.Client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// request builds a request for rawURL, a path being on the site; a non-nil
// form is its urlencoded body.
func (b *browser) request(method, rawURL string, form url.Values) *http.Request {
	b.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = b.site.srv.URL + rawURL
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// do sends one request and returns the response with its body read.
func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browser) get(rawURL string) (*http.Response, string) {
	b.t.Helper()
	return b.do(b.request(http.MethodGet, rawURL, nil))
}

// post sends form (empty when nil) as a urlencoded body.
func (b *browser) post(rawURL string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	return b.postFrom("", rawURL, form)
}

// postFrom posts like post, with an Origin header when origin is not
// empty, as a page of that origin would.
func (b *browser) postFrom(origin, rawURL string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	req := b.request(http.MethodPost, rawURL, form)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

// follow follows redirects from a response until a page is served, and
// returns the final URL and body.
func (b *browser) follow(res *http.Response, body string) (*url.URL, string) {
	b.t.Helper()
	for i := 0; res.StatusCode >= 300 && res.StatusCode < 400; i++ {
		if i > 10 {
			b.t.Fatal("redirect loop")
		}
		next, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if err != nil {
			b.t.Fatal(err)
		}
		res, body = b.get(next.String())
	}
	return res.Request.URL, body
}

// visit GETs a URL and follows every redirect (to providers too).
func (b *browser) visit(rawURL string) (*url.URL, string) {
	b.t.Helper()
	return b.follow(b.get(rawURL))
}

// callback runs /login/{backend}/ up to the provider's redirect back, and
// returns the callback URL without visiting it.
func (b *browser) callback(backendName string) *url.URL {
	b.t.Helper()
	res, _ := b.get("/login/" + backendName + "/")
	if res.StatusCode != http.StatusFound {
		b.t.Fatalf("login: status %d", res.StatusCode)
	}
	res, _ = b.get(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound {
		b.t.Fatalf("authorize: status %d", res.StatusCode)
	}
	cb, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	return cb
}

// who returns the username the site's pages see for this browser, or
// "anonymous".
func (b *browser) who() string {
	b.t.Helper()
	_, body := b.visit("/whoami")
	_, after, _ := strings.Cut(body, "user=")
	name, _, _ := strings.Cut(after, " ")
	return name
}

// wantAnonymous asserts nobody is logged in in this browser.
func (b *browser) wantAnonymous() {
	b.t.Helper()
	if _, body := b.visit("/whoami"); !strings.Contains(body, "user=anonymous") {
		b.t.Errorf("someone is logged in: %s", body)
	}
}

// tokenReplyJSON is the JSON of POST /token/{backend}/.
type tokenReplyJSON struct {
	User *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Email    string `json:"email"`
	} `json:"user"`
	IsNew   bool   `json:"is_new"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// postToken posts a token login to /token/{backend}/ and decodes the JSON
// reply.
func (b *browser) postToken(backendName string, form url.Values) (int, tokenReplyJSON) {
	b.t.Helper()
	res, body := b.post("/token/"+backendName+"/", form)
	var reply tokenReplyJSON
	if err := json.Unmarshal([]byte(body), &reply); err != nil {
		b.t.Fatalf("token reply %d is not JSON: %q", res.StatusCode, body)
	}
	return res.StatusCode, reply
}

// wantError asserts the browser landed on LOGIN_ERROR_URL (/error) for the
// backend, with a message containing messagePart (any case); the message
// is never empty.
func wantError(t *testing.T, final *url.URL, backendName, messagePart string) {
	t.Helper()
	q := final.Query()
	message := q.Get("message")
	if final.Path != "/error" || q.Get("backend") != backendName || message == "" ||
		!strings.Contains(strings.ToLower(message), strings.ToLower(messagePart)) {
		t.Errorf("landed on %s; want /error for backend %q with a message containing %q", final, backendName, messagePart)
	}
}

// account names a provider account: a backend and the uid there.
type account struct{ backend, uid string }

// wantNothingStored asserts the store holds no user named username and no
// association for any of the accounts.
func wantNothingStored(t *testing.T, st *memstore.Store, username string, accounts ...account) {
	t.Helper()
	ctx := context.Background()
	if ok, err := st.UserExists(ctx, username); ok || err != nil {
		t.Errorf("user %q stored (%v)", username, err)
	}
	for _, a := range accounts {
		if _, err := st.GetAssociation(ctx, a.backend, a.uid); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an association was stored for %s %s (%v)", a.backend, a.uid, err)
		}
	}
}

// clock is a settable clock shared by the engine (and fake providers) in a
// test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
