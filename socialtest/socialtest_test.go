package socialtest_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/socialtest"
)

// app is a minimal OAuth 2.0 client application: /login starts a login
// with state and PKCE kept in cookies, /complete finishes it and replies
// the user's profile as JSON (or the error as 400 text).
type app struct {
	srv      *httptest.Server
	callback string
	post     bool // client_secret_post instead of client_secret_basic

	mu        sync.Mutex
	lastToken map[string]any
}

func newApp(t *testing.T, p *socialtest.Provider) *app {
	t.Helper()
	a := &app{}
	mux := http.NewServeMux()
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	a.callback = a.srv.URL + "/complete/fake/"
	if err := p.AllowRedirect(a.callback); err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		state, verifier := random(), random()
		sum := sha256.Sum256([]byte(verifier))
		http.SetCookie(w, &http.Cookie{Name: "state", Value: state, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "verifier", Value: verifier, Path: "/"})
		q := url.Values{"response_type": {"code"}, "client_id": {p.ClientID}, "redirect_uri": {a.callback},
			"state": {state}, "scope": {"read:user user:email"},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		http.Redirect(w, r, p.AuthorizeURL()+"?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("GET /complete/fake/", func(w http.ResponseWriter, r *http.Request) {
		profile, err := a.complete(r, p)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(profile)
	})
	return a
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (a *app) complete(r *http.Request, p *socialtest.Provider) (map[string]any, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return nil, errors.New("provider error: " + e)
	}
	state, err := r.Cookie("state")
	if err != nil || state.Value != q.Get("state") {
		return nil, errors.New("state mismatch")
	}
	verifier, _ := r.Cookie("verifier")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {a.callback},
		"code_verifier": {verifier.Value}}
	if a.post {
		form.Set("client_id", p.ClientID)
		form.Set("client_secret", p.ClientSecret)
	}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, p.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "app-under-test/1.0")
	if !a.post {
		req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
	}
	tok, err := fetchJSON(req)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.lastToken = tok
	a.mu.Unlock()
	req, _ = http.NewRequestWithContext(r.Context(), http.MethodGet, p.UserURL(), nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	return fetchJSON(req)
}

func fetchJSON(req *http.Request) (map[string]any, error) {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return nil, errors.New(req.URL.Path + ": " + res.Status + ": " + string(body))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		if form, ferr := url.ParseQuery(string(body)); ferr == nil && res.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
			m = map[string]any{}
			for k := range form {
				m[k] = form.Get(k)
			}
			return m, nil
		}
		return nil, err
	}
	return m, nil
}

// login runs a whole login with a following browser and returns the
// app's reply.
func (a *app) login(t *testing.T) (int, string) {
	t.Helper()
	res, err := socialtest.NewBrowser(t).Get(a.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestWholeLoginInOneGet(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t)
	a := newApp(t, p)
	status, body := a.login(t)
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	var profile map[string]any
	json.Unmarshal([]byte(body), &profile)
	if profile["username"] != "testuser" || profile["email_verified"] != true || profile["id"] != "1001" {
		t.Errorf("profile = %v", profile)
	}

	auth := p.RequestsTo(socialtest.AuthorizePath)
	if len(auth) != 1 {
		t.Fatalf("authorize requests = %d", len(auth))
	}
	if q := auth[0].Query; q.Get("state") == "" || q.Get("code_challenge_method") != "S256" || q.Get("scope") != "read:user user:email" {
		t.Errorf("authorize query = %v", q)
	}
	tok := p.RequestsTo(socialtest.TokenPath)
	if len(tok) != 1 {
		t.Fatalf("token requests = %d", len(tok))
	}
	if id, secret, ok := tok[0].BasicAuth(); !ok || id != url.QueryEscape(p.ClientID) || secret != url.QueryEscape(p.ClientSecret) {
		t.Errorf("basic auth = %q %q %v", id, secret, ok)
	}
	if tok[0].Form.Get("code") != p.LastCode() || tok[0].Form.Get("code_verifier") == "" || tok[0].Header.Get("User-Agent") != "app-under-test/1.0" {
		t.Errorf("token request = %+v", tok[0])
	}
	if codes := p.Codes(); len(codes) != 1 || codes[0] != p.LastCode() {
		t.Errorf("codes = %v", codes)
	}
	user := p.RequestsTo(socialtest.UserPath)
	if len(user) != 1 || !strings.HasPrefix(user[0].Header.Get("Authorization"), "Bearer ") {
		t.Errorf("user requests = %+v", user)
	}

	// Requests returns copies.
	all := p.Requests()
	all[0].Query.Set("state", "changed")
	all[0].Header.Set("X-Changed", "1")
	if again := p.Requests(); again[0].Query.Get("state") == "changed" || again[0].Header.Get("X-Changed") != "" {
		t.Error("Requests shares its maps with the provider")
	}
}

func TestSetUser(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t, socialtest.WithUser(map[string]any{"id": 1}))
	a := newApp(t, p)
	profile := map[string]any{"id": 583231, "login": "octocat", "email": nil}
	p.SetUser(profile)
	profile["login"] = "mutated after SetUser"
	_, body := a.login(t)
	if body != `{"email":null,"id":583231,"login":"octocat"}`+"\n" {
		t.Errorf("profile = %s", body)
	}
}

func TestDeny(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t)
	a := newApp(t, p)
	p.Deny()
	status, body := a.login(t)
	if status != http.StatusBadRequest || !strings.Contains(body, "access_denied") {
		t.Errorf("denied login: %d %s", status, body)
	}
	if len(p.RequestsTo(socialtest.TokenPath)) != 0 || len(p.Codes()) != 0 {
		t.Error("a denied login reached the token endpoint or got a code")
	}
	// Only the next one.
	if status, body := a.login(t); status != http.StatusOK {
		t.Errorf("login after deny: %d %s", status, body)
	}
}

func TestTokenReplyForm(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t)
	a := newApp(t, p)
	p.SetTokenReplyForm(true)
	if status, body := a.login(t); status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	a.mu.Lock()
	tok := a.lastToken
	a.mu.Unlock()
	if tok["token_type"] != "Bearer" || tok["expires_in"] != "3600" || tok["access_token"] == "" {
		t.Errorf("form token reply = %v", tok)
	}
	// Errors are form-encoded too.
	res := postToken(t, p, url.Values{"grant_type": {"authorization_code"}, "code": {"bogus"}})
	if res.header.Get("Content-Type") != "application/x-www-form-urlencoded" || !strings.Contains(res.body, "error=invalid_grant") {
		t.Errorf("form error reply: %v %s", res.header, res.body)
	}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func postToken(t *testing.T, p *socialtest.Provider, form url.Values, header ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

func TestClientAuthRequirements(t *testing.T) {
	tests := []struct {
		name    string
		require func(*socialtest.Provider)
		post    bool
		ok      bool
	}{
		{"post required, post sent", (*socialtest.Provider).RequireClientSecretPost, true, true},
		{"post required, basic sent", (*socialtest.Provider).RequireClientSecretPost, false, false},
		{"basic required, basic sent", (*socialtest.Provider).RequireClientSecretBasic, false, true},
		{"basic required, post sent", (*socialtest.Provider).RequireClientSecretBasic, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := socialtest.NewOAuth2Provider(t)
			tt.require(p) // before the redirect URI is registered: kept
			a := newApp(t, p)
			a.post = tt.post
			status, body := a.login(t)
			if (status == http.StatusOK) != tt.ok {
				t.Fatalf("login: %d %s", status, body)
			}
			if !tt.ok && !strings.Contains(body, "invalid_client") {
				t.Errorf("refusal = %s", body)
			}
		})
	}
}

func TestFailNext(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t)
	a := newApp(t, p)
	p.FailNext(socialtest.TokenPath, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
	p.FailNext(socialtest.TokenPath, http.StatusInternalServerError, "boom")
	status, body := a.login(t)
	if status != http.StatusBadRequest || !strings.Contains(body, "503") || !strings.Contains(body, "temporarily_unavailable") {
		t.Errorf("first login: %d %s", status, body)
	}
	if status, body := a.login(t); status != http.StatusBadRequest || !strings.Contains(body, "500") || !strings.Contains(body, "boom") {
		t.Errorf("second login: %d %s", status, body)
	}
	if status, body := a.login(t); status != http.StatusOK {
		t.Errorf("third login: %d %s", status, body)
	}
	// Failing the authorization endpoint: no redirect, no code.
	p.FailNext(socialtest.AuthorizePath, http.StatusBadGateway, "down")
	res, err := socialtest.NewBrowserNoRedirect(t).Get(a.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = socialtest.NewBrowserNoRedirect(t).Get(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("failed authorize: %d %v", res.StatusCode, res.Header)
	}
}

func TestSetUserReply(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t)
	a := newApp(t, p)
	p.SetUserReply(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": 1, "login":`) // malformed
	})
	if status, body := a.login(t); status != http.StatusBadRequest || !strings.Contains(body, "unexpected end of JSON") {
		t.Errorf("malformed user reply: %d %s", status, body)
	}
	p.SetUserReply(nil)
	if status, body := a.login(t); status != http.StatusOK {
		t.Errorf("restored user endpoint: %d %s", status, body)
	}
	p.SetTokenReply(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusTeapot)
	})
	if status, body := a.login(t); status != http.StatusBadRequest || !strings.Contains(body, "418") {
		t.Errorf("replaced token endpoint: %d %s", status, body)
	}
}

func TestReplayLastCode(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t)
	a := newApp(t, p)
	if status, body := a.login(t); status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	a.mu.Lock()
	access := a.lastToken["access_token"].(string)
	a.mu.Unlock()
	first := p.RequestsTo(socialtest.TokenPath)[0].Form
	r := postToken(t, p, first)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "invalid_grant") {
		t.Errorf("replay: %d %s", r.status, r.body)
	}
	req, _ := http.NewRequest(http.MethodGet, p.UserURL(), nil)
	req.Header.Set("Authorization", "Bearer "+access)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("token of replayed code still works: %d", res.StatusCode)
	}
}

func TestExtraRoutes(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t)
	a := newApp(t, p)
	p.HandleJSON("GET /user/emails", []map[string]any{{"email": "ada@example.com", "primary": true, "verified": true}})
	p.Handle("GET /user/orgs/{org}", p.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.PathValue("org"))
	})))
	a.login(t)
	a.mu.Lock()
	access := a.lastToken["access_token"].(string)
	a.mu.Unlock()

	get := func(path, auth string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, p.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, body := get("/user/emails", "token "+access); status != 200 || !strings.Contains(body, `"verified":true`) {
		t.Errorf("emails: %d %s", status, body)
	}
	if status, _ := get("/user/emails", "Bearer forged"); status != http.StatusUnauthorized {
		t.Errorf("emails with forged token: %d", status)
	}
	if status, body := get("/user/orgs/socialauth", "Bearer "+access); status != 200 || body != "socialauth" {
		t.Errorf("orgs: %d %s", status, body)
	}
	p.FailNext("/user/emails", http.StatusForbidden, `{"message":"rate limited"}`)
	if status, _ := get("/user/emails", "Bearer "+access); status != http.StatusForbidden {
		t.Errorf("failed extra route: %d", status)
	}
	if len(p.RequestsTo("/user/emails")) != 3 {
		t.Errorf("extra route requests not recorded: %d", len(p.RequestsTo("/user/emails")))
	}
}

func TestRedirectURIExactMatch(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t, socialtest.WithRedirectURI("https://app.example/complete/fake/"))
	for _, redirect := range []string{"https://app.example/complete/fake/", "https://app.example/complete/fake/x", "https://evil.example/"} {
		q := url.Values{"response_type": {"code"}, "client_id": {p.ClientID}, "redirect_uri": {redirect}, "state": {"s"}}
		res, err := socialtest.NewBrowserNoRedirect(t).Get(p.AuthorizeURL() + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		registered := redirect == "https://app.example/complete/fake/"
		if registered && (res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), redirect+"?")) {
			t.Errorf("%s: %d %q", redirect, res.StatusCode, res.Header.Get("Location"))
		}
		if !registered && (res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "") {
			t.Errorf("%s: %d %q, want 400 and no redirect", redirect, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

func TestLoginFormOption(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t, socialtest.WithLoginForm(), socialtest.WithRedirectURI("https://app.example/cb"))
	q := url.Values{"response_type": {"code"}, "client_id": {p.ClientID}, "redirect_uri": {"https://app.example/cb"}}
	res, err := socialtest.NewBrowserNoRedirect(t).Get(p.AuthorizeURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `<form method="post"`) {
		t.Errorf("login form: %d %.200s", res.StatusCode, b)
	}
}

func TestRequirePKCEAndClock(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := socialtest.NewOAuth2Provider(t, socialtest.WithRequirePKCE(), socialtest.WithClock(clock),
		socialtest.WithClient("my-app", "my-secret"), socialtest.WithRedirectURI("https://app.example/cb"))
	if p.ClientID != "my-app" || p.ClientSecret != "my-secret" {
		t.Fatalf("client = %s/%s", p.ClientID, p.ClientSecret)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {"my-app"}, "redirect_uri": {"https://app.example/cb"}}
	res, err := socialtest.NewBrowserNoRedirect(t).Get(p.AuthorizeURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "error=invalid_request") {
		t.Errorf("no PKCE: %q", loc)
	}
	verifier := random()
	sum := sha256.Sum256([]byte(verifier))
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
	q.Set("code_challenge_method", "S256")
	res, err = socialtest.NewBrowserNoRedirect(t).Get(p.AuthorizeURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	r := postToken(t, p, url.Values{"grant_type": {"authorization_code"}, "code": {p.LastCode()},
		"redirect_uri": {"https://app.example/cb"}, "code_verifier": {verifier}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "invalid_grant") {
		t.Errorf("expired code: %d %s", r.status, r.body)
	}
}

func TestTLS(t *testing.T) {
	p := socialtest.NewOAuth2Provider(t, socialtest.WithTLS())
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("URL = %s", p.URL)
	}
	res, err := p.HTTPClient().Get(p.UserURL())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("user endpoint without token: %d", res.StatusCode)
	}
}

func TestBrowserKeepsCookies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "c", Value: "kept", Path: "/"})
			http.Redirect(w, r, "/read", http.StatusFound)
			return
		}
		c, _ := r.Cookie("c")
		if c != nil {
			io.WriteString(w, c.Value)
		}
	}))
	defer srv.Close()
	res, err := socialtest.NewBrowser(t).Get(srv.URL + "/set")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "kept" {
		t.Errorf("browser body = %q", b)
	}
	manual := socialtest.NewBrowserNoRedirect(t)
	res, err = manual.Get(srv.URL + "/set")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("no-redirect browser followed: %d", res.StatusCode)
	}
	res, _ = manual.Get(srv.URL + "/read")
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "kept" {
		t.Errorf("no-redirect browser lost the cookie: %q", b)
	}
}

func TestStartValidates(t *testing.T) {
	if _, err := socialtest.StartOAuth2Provider(socialtest.WithClient("", "")); err == nil {
		t.Error("empty client accepted")
	}
	if _, err := socialtest.StartOAuth2Provider(socialtest.WithRedirectURI("/relative")); err == nil {
		t.Error("relative redirect URI accepted")
	}
	p := socialtest.NewOAuth2Provider(t)
	if err := p.AllowRedirect("https://app.example/cb", "not absolute"); err == nil {
		t.Error("AllowRedirect accepted a relative URI")
	}
	if err := p.AllowRedirect("https://app.example/cb"); err != nil {
		t.Errorf("a refused AllowRedirect poisoned the next one: %v", err)
	}
}
