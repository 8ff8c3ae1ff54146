package localidp_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/localidp"
)

const (
	clientID     = "app"
	clientSecret = "app-secret:+/="
	callback     = "https://app.example/complete/local/?keep=1"
	otherID      = "other"
	otherSecret  = "other-secret"
	otherURI     = "https://other.example/cb"
)

// clock is an adjustable clock for the server under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a server under test mounted at /idp on a real HTTP server.
type env struct {
	t      *testing.T
	idp    *localidp.Server
	srv    *httptest.Server
	base   string // the mount point's URL
	clock  *clock
	client *http.Client // does not follow redirects
}

func newEnv(t *testing.T, configure ...func(*localidp.Config)) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	base := "http://" + srv.Listener.Addr().String() + "/idp"
	cfg := localidp.Config{
		Issuer: base,
		Clients: map[string]localidp.Client{
			clientID: {Name: "Example App", Secret: clientSecret, RedirectURIs: []string{callback, "https://app.example/second"}},
			otherID:  {Secret: otherSecret, RedirectURIs: []string{otherURI}},
		},
		Now: c.Now,
	}
	for _, f := range configure {
		f(&cfg)
	}
	idp, err := localidp.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux.Handle("/idp/", http.StripPrefix("/idp", idp))
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{
		t: t, idp: idp, srv: srv, base: base, clock: c,
		client: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// pkcePair returns a fresh verifier and its S256 challenge.
func pkcePair() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authParams returns a valid authorization request for the app client.
func authParams(challenge string) url.Values {
	v := url.Values{
		"response_type": {"code"},
		"client_id":     {clientID},
		"redirect_uri":  {callback},
		"state":         {"st-123"},
		"scope":         {"profile email"},
	}
	if challenge != "" {
		v.Set("code_challenge", challenge)
		v.Set("code_challenge_method", "S256")
	}
	return v
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("reply is not JSON: %v: %q", err, r.body)
	}
	return m
}

func (r reply) location(t *testing.T) *url.URL {
	t.Helper()
	loc := r.header.Get("Location")
	if loc == "" {
		t.Fatalf("no redirect: status %d body %.300q", r.status, r.body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) do(req *http.Request) reply {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{res.StatusCode, res.Header, string(b)}
}

func (e *env) get(rawURL string, header ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

// post sends a urlencoded form; header is name, value pairs.
func (e *env) post(rawURL string, form url.Values, header ...string) reply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(req)
}

// basic builds a client_secret_basic header per RFC 6749 §2.3.1.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// loginPage is the login form as a browser sees it.
type loginPage struct {
	action string
	hidden url.Values
	body   string
}

var (
	formRe   = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// openLogin GETs the authorization URL and parses the login form.
func (e *env) openLogin(params url.Values) loginPage {
	e.t.Helper()
	pageURL := e.base + "/authorize?" + params.Encode()
	r := e.get(pageURL)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET /authorize: status %d, Location %q, body %.300q", r.status, r.header.Get("Location"), r.body)
	}
	return e.parseLogin(pageURL, r.body)
}

func (e *env) parseLogin(pageURL, body string) loginPage {
	e.t.Helper()
	m := formRe.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no form in page: %.500q", body)
	}
	base, _ := url.Parse(pageURL)
	action, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		e.t.Fatal(err)
	}
	p := loginPage{action: action.String(), hidden: url.Values{}, body: body}
	for _, h := range hiddenRe.FindAllStringSubmatch(body, -1) {
		p.hidden.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return p
}

// submit posts the form as a browser would, with the button's action.
func (e *env) submit(p loginPage, action string, fields url.Values) reply {
	e.t.Helper()
	form := url.Values{}
	for k, v := range p.hidden {
		form[k] = v
	}
	for k, v := range fields {
		form[k] = v
	}
	form.Set("action", action)
	return e.post(p.action, form)
}

var alice = url.Values{"username": {"alice"}, "name": {"Alice Liddell"}, "email": {"alice@example.com"}, "email_verified": {"1"}}

// code runs the login form and returns the code sent to the callback.
func (e *env) code(params url.Values) string {
	e.t.Helper()
	r := e.submit(e.openLogin(params), "approve", alice)
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("form post: status %d, body %.300q", r.status, r.body)
	}
	q := r.location(e.t).Query()
	if q.Get("code") == "" {
		e.t.Fatalf("no code in %v", q)
	}
	return q.Get("code")
}

// exchange redeems a code with client_secret_basic.
func (e *env) exchange(code, verifier string) reply {
	e.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return e.post(e.base+"/token", form, "Authorization", basic(clientID, clientSecret))
}

// tokens runs a whole login and returns the token reply.
func (e *env) tokens() map[string]any {
	e.t.Helper()
	verifier, challenge := pkcePair()
	r := e.exchange(e.code(authParams(challenge)), verifier)
	if r.status != http.StatusOK {
		e.t.Fatalf("token: %d %s", r.status, r.body)
	}
	return r.json(e.t)
}

func (e *env) userinfo(token string) reply {
	e.t.Helper()
	return e.get(e.base+"/userinfo", "Authorization", "Bearer "+token)
}

// wantTokenError checks an RFC 6749 §5.2 reply.
func wantTokenError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	if got := r.json(t)["error"]; got != code {
		t.Errorf("error = %v, want %s", got, code)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}
