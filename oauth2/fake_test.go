package oauth2_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/settings"
)

// fakeProvider is a small OAuth 2.0 provider on httptest for these tests:
// it checks client authentication, the code, the redirect URI and PKCE
// like a real one, and its replies can be replaced per test.
type fakeProvider struct {
	t      *testing.T
	srv    *httptest.Server
	mux    *http.ServeMux
	id     string
	secret string

	mu         sync.Mutex
	codes      map[string]grant // code → what the authorization request said
	token      string
	user       map[string]any
	denied     bool
	tokenReply http.HandlerFunc // replaces the token endpoint when set
	userReply  http.HandlerFunc // replaces the user endpoint when set
	lastToken  *http.Request
	lastForm   url.Values
	lastUser   *http.Request
}

type grant struct {
	redirectURI string
	challenge   string
	method      string
}

func newFake(t *testing.T) *fakeProvider {
	t.Helper()
	f := &fakeProvider{t: t, mux: http.NewServeMux(), id: "client-id", secret: "client secret/+",
		codes: map[string]grant{}, token: "tok-123",
		user: map[string]any{"id": 4242, "username": "ada", "email": "ada@example.com", "name": "Ada Lovelace"}}
	f.mux.HandleFunc("GET /authorize", f.authorize)
	f.mux.HandleFunc("/token", f.tokenEndpoint)
	f.mux.HandleFunc("GET /user", f.userEndpoint)
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProvider) url(path string) string { return f.srv.URL + path }

// settings returns settings for a backend named name pointing at f.
func (f *fakeProvider) settings(name string, extra settings.Map) settings.Map {
	p := "SOCIAL_AUTH_" + settings.BackendPrefix(name) + "_"
	m := settings.Map{
		p + "KEY":               f.id,
		p + "SECRET":            f.secret,
		p + "AUTHORIZATION_URL": f.url("/authorize"),
		p + "ACCESS_TOKEN_URL":  f.url("/token"),
		p + "USER_DATA_URL":     f.url("/user"),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func (f *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != f.id || q.Get("response_type") != "code" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	rq := redirect.Query()
	f.mu.Lock()
	denied := f.denied
	if !denied {
		code := fmt.Sprintf("code-%d", len(f.codes)+1)
		f.codes[code] = grant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method")}
		rq.Set("code", code)
	}
	f.mu.Unlock()
	if denied {
		rq.Set("error", "access_denied")
		rq.Set("error_description", "The user said no")
	}
	if s := q.Get("state"); s != "" {
		rq.Set("state", s)
	}
	redirect.RawQuery = rq.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (f *fakeProvider) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.lastToken = r.Clone(r.Context())
	f.lastForm = r.Form
	custom := f.tokenReply
	f.mu.Unlock()
	if custom != nil {
		custom(w, r)
		return
	}
	oauthError := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": code + " from fake"})
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.Form.Get("client_id"), r.Form.Get("client_secret")
	}
	if id != f.id || secret != f.secret {
		oauthError(http.StatusUnauthorized, "invalid_client")
		return
	}
	switch r.Form.Get("grant_type") {
	case "authorization_code":
		f.mu.Lock()
		g, ok := f.codes[r.Form.Get("code")]
		delete(f.codes, r.Form.Get("code"))
		f.mu.Unlock()
		if !ok || g.redirectURI != r.Form.Get("redirect_uri") {
			oauthError(http.StatusBadRequest, "invalid_grant")
			return
		}
		if g.challenge != "" {
			sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
			if g.method != "S256" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
				oauthError(http.StatusBadRequest, "invalid_grant")
				return
			}
		}
	case "refresh_token":
		if r.Form.Get("refresh_token") != "refresh-1" {
			oauthError(http.StatusBadRequest, "invalid_grant")
			return
		}
	default:
		oauthError(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": f.token, "token_type": "bearer",
		"expires_in": 3600, "refresh_token": "refresh-1", "scope": "read"})
}

func (f *fakeProvider) userEndpoint(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.lastUser = r.Clone(r.Context())
	custom, user, token := f.userReply, f.user, f.token
	f.mu.Unlock()
	if custom != nil {
		custom(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token && r.URL.Query().Get("access_token") != token {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(user)
}

// config returns a backend.Config for a backend reading m.
func config(name string, m settings.Map) backend.Config {
	return backend.Config{
		Name:       name,
		Settings:   settings.New(m).For(name),
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		UserAgent:  "socialauth-test/1",
		Logger:     slog.New(slog.DiscardHandler),
		Now:        func() time.Time { return time.Unix(1_700_000_000, 0) },
	}
}

const redirectURI = "https://app.example.com/complete/test/"

// authorizeReply begins a login with b and follows the authorization URL
// once, returning the Stash and the parameters the provider sent back to
// the redirect URI.
func authorizeReply(t *testing.T, b backend.Backend) (backend.Stash, url.Values, *url.URL) {
	t.Helper()
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "state-abc"})
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	authURL, err := url.Parse(res.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(res.RedirectURL)
	if err != nil {
		t.Fatalf("GET authorization URL: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorization: status %d: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("provider redirected to %s, want %s", loc, redirectURI)
	}
	return res.Stash, loc.Query(), authURL
}

// login runs a whole login against the provider b points at.
func login(t *testing.T, b backend.Backend) (*backend.Identity, error) {
	t.Helper()
	stash, params, _ := authorizeReply(t, b)
	return b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: stash})
}
