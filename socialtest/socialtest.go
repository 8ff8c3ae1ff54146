// Package socialtest helps test social logins without real providers: a
// fake OAuth 2.0 identity provider on [httptest], driven from the test,
// and cookie-keeping HTTP clients that play the browser.
//
// The provider is a real authorization server (package localidp) with test
// controls on top. By default it approves every authorization request at
// once for a configurable user, so a browser client that follows redirects
// completes a whole login in one Get:
//
//	p := socialtest.NewOAuth2Provider(t, socialtest.WithUser(map[string]any{
//		"id": 1, "login": "ada", "email": "ada@example.com",
//	}))
//	p.AllowRedirect(app.URL + "/complete/github/")
//	// point the application's backend at p.AuthorizeURL(), p.TokenURL(),
//	// p.UserURL() with p.ClientID and p.ClientSecret, then:
//	res, err := socialtest.NewBrowser(t).Get(app.URL + "/login/github/")
//
// What the application sent can then be asserted with [Provider.Requests],
// and failures rehearsed with [Provider.Deny], [Provider.FailNext],
// [Provider.SetUserReply], [Provider.SetTokenReply] and the issued codes
// ([Provider.LastCode]) for replays.
//
// Redirect URIs are matched exactly, as real providers do: register the
// application's callback with [Provider.AllowRedirect] or [WithRedirectURI].
//
// [NewOAuth1Provider] starts a fake OAuth 1.0a provider that verifies every
// signature, timestamp and nonce, for backends of package oauth1.
package socialtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/localidp"
)

// The provider's endpoint paths, for [Provider.FailNext] and filtering
// [Provider.Requests].
const (
	AuthorizePath = "/authorize"
	TokenPath     = "/token"
	UserPath      = "/userinfo"
	RevokePath    = "/revoke"
)

// Defaults of a provider.
const (
	DefaultClientID     = "socialtest-client"
	DefaultClientSecret = "socialtest-secret"
)

// maxRecordedBody caps the copy of a request body kept in [Request.Body];
// maxRecorded caps how many requests are kept (the oldest are dropped).
const (
	maxRecordedBody = 1 << 20
	maxRecorded     = 1000
)

// DefaultUser returns the profile a provider serves unless told otherwise:
// localidp's user-info shape for a fixed, verified test user.
func DefaultUser() map[string]any {
	return map[string]any{
		"id":             "1001",
		"sub":            "1001",
		"username":       "testuser",
		"name":           "Test User",
		"given_name":     "Test",
		"family_name":    "User",
		"email":          "test.user@example.com",
		"email_verified": true,
	}
}

// Option configures a provider.
type Option func(*options)

type options struct {
	clientID, clientSecret string
	redirects              []string
	user                   map[string]any
	loginForm              bool
	requirePKCE            bool
	now                    func() time.Time
	tls                    bool
	scopes                 []string
}

// WithClient sets the client id and secret the provider accepts.
func WithClient(id, secret string) Option {
	return func(o *options) { o.clientID, o.clientSecret = id, secret }
}

// WithRedirectURI registers redirect URIs, like [Provider.AllowRedirect].
func WithRedirectURI(uris ...string) Option {
	return func(o *options) { o.redirects = append(o.redirects, uris...) }
}

// WithUser sets the profile the user endpoint returns, like
// [Provider.SetUser].
func WithUser(profile map[string]any) Option {
	return func(o *options) { o.user = maps.Clone(profile) }
}

// WithLoginForm shows localidp's HTML login form instead of approving at
// once, for tests that drive the form.
func WithLoginForm() Option {
	return func(o *options) { o.loginForm = true }
}

// WithRequirePKCE refuses authorization requests without an S256 code
// challenge.
func WithRequirePKCE() Option {
	return func(o *options) { o.requirePKCE = true }
}

// WithScopes restricts the accepted scope values.
func WithScopes(scopes ...string) Option {
	return func(o *options) { o.scopes = append(o.scopes, scopes...) }
}

// WithClock sets the provider's clock, to expire codes and tokens.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithTLS serves over HTTPS with httptest's certificate; use
// [Provider.HTTPClient] (or its Transport) to call the provider.
func WithTLS() Option {
	return func(o *options) { o.tls = true }
}

// Provider is a fake OAuth 2.0 identity provider on an httptest server.
// Its methods are safe for concurrent use.
type Provider struct {
	// URL is the provider's base URL, without trailing slash.
	URL string
	// ClientID and ClientSecret are the credentials it accepts.
	ClientID, ClientSecret string
	// IDP is the authorization server behind the controls.
	IDP *localidp.Server

	server *httptest.Server
	mux    *http.ServeMux
	ctl    controls

	mu         sync.Mutex
	client     localidp.Client
	user       map[string]any
	loginForm  bool
	denyNext   bool
	formReply  bool
	userReply  http.HandlerFunc
	tokenReply http.HandlerFunc
	codes      []string
}

// NewOAuth2Provider starts a provider closed at the end of the test.
func NewOAuth2Provider(t testing.TB, opts ...Option) *Provider {
	t.Helper()
	p, err := StartOAuth2Provider(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// StartOAuth2Provider starts a provider outside of a test (examples,
// benchmarks, tools); the caller must Close it.
func StartOAuth2Provider(opts ...Option) (*Provider, error) {
	o := options{clientID: DefaultClientID, clientSecret: DefaultClientSecret, user: DefaultUser()}
	for _, opt := range opts {
		opt(&o)
	}
	p, err := newProvider(o)
	if err != nil {
		return nil, err
	}
	if err := p.start(o, localidp.Config{Title: "socialtest provider"}, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// newProvider builds a provider from o on a server not yet started, so
// that its URL is known.
func newProvider(o options) (*Provider, error) {
	if o.clientID == "" || o.clientSecret == "" {
		return nil, errors.New("socialtest: client id and secret must not be empty")
	}
	p := &Provider{
		ClientID:     o.clientID,
		ClientSecret: o.clientSecret,
		mux:          http.NewServeMux(),
		client:       localidp.Client{Name: "application under test", Secret: o.clientSecret},
		user:         o.user,
		loginForm:    o.loginForm,
	}
	p.server = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	scheme := "http://"
	if o.tls {
		scheme = "https://"
	}
	p.URL = scheme + p.server.Listener.Addr().String()
	return p, nil
}

// start builds the authorization server from cfg (its Title and OIDC)
// and o, routes it (then the routes added by route, when not nil) and
// starts the server.
func (p *Provider) start(o options, cfg localidp.Config, route func(mux *http.ServeMux)) error {
	cfg.Issuer, cfg.Scopes, cfg.RequirePKCE, cfg.Approve, cfg.Now = p.URL, o.scopes, o.requirePKCE, p.approve, o.now
	idp, err := localidp.New(cfg)
	if err != nil {
		p.server.Listener.Close()
		return fmt.Errorf("socialtest: %w", err)
	}
	p.IDP = idp
	p.mux.Handle("/", idp)
	if route != nil {
		route(p.mux)
	}
	if err := p.AllowRedirect(o.redirects...); err != nil {
		p.server.Listener.Close()
		return fmt.Errorf("socialtest: %w", err)
	}
	if o.tls {
		p.server.StartTLS()
	} else {
		p.server.Start()
	}
	return nil
}

// Close shuts the server down.
func (p *Provider) Close() { p.server.Close() }

// HTTPClient returns a client that trusts the provider (needed with
// [WithTLS]).
func (p *Provider) HTTPClient() *http.Client { return p.server.Client() }

// AuthorizeURL is the authorization endpoint.
func (p *Provider) AuthorizeURL() string { return p.URL + AuthorizePath }

// TokenURL is the token endpoint.
func (p *Provider) TokenURL() string { return p.URL + TokenPath }

// UserURL is the user-info endpoint.
func (p *Provider) UserURL() string { return p.URL + UserPath }

// RevokeURL is the RFC 7009 revocation endpoint.
func (p *Provider) RevokeURL() string { return p.URL + RevokePath }

// AllowRedirect registers redirect URIs for the client. Each must be
// absolute; requests must use one of them exactly.
func (p *Provider) AllowRedirect(uris ...string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.client.RedirectURIs
	p.client.RedirectURIs = slices.Clone(before)
	for _, u := range uris {
		if !slices.Contains(p.client.RedirectURIs, u) {
			p.client.RedirectURIs = append(p.client.RedirectURIs, u)
		}
	}
	if err := p.syncClientLocked(); err != nil {
		p.client.RedirectURIs = before
		return err
	}
	return nil
}

// RequireClientSecretPost makes the token and revocation endpoints accept
// only client_id and client_secret in the form body.
func (p *Provider) RequireClientSecretPost() { p.setAuthMethod(localidp.ClientSecretPost) }

// RequireClientSecretBasic makes the token and revocation endpoints
// accept only HTTP Basic client authentication.
func (p *Provider) RequireClientSecretBasic() { p.setAuthMethod(localidp.ClientSecretBasic) }

func (p *Provider) setAuthMethod(m localidp.AuthMethod) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.client.AuthMethod = m
	if err := p.syncClientLocked(); err != nil {
		panic("socialtest: " + err.Error()) // the registration was valid before
	}
}

// syncClientLocked pushes the client to the server once it has a redirect
// URI; before that, the client is unknown to it.
func (p *Provider) syncClientLocked() error {
	if len(p.client.RedirectURIs) == 0 {
		return nil
	}
	return p.IDP.RegisterClient(p.ClientID, p.client)
}

// SetUser sets the JSON object the user endpoint returns for logins
// approved from now on. Its "id" (or "sub"), "login" (or "username") and
// "email" also name the user inside the provider.
func (p *Provider) SetUser(profile map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = maps.Clone(profile)
}

// Deny makes the next authorization request end with error=access_denied,
// as when the person cancels at the provider.
func (p *Provider) Deny() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.denyNext = true
}

// SetTokenReplyForm makes the token endpoint reply
// application/x-www-form-urlencoded instead of JSON, like GitHub's legacy
// reply.
func (p *Provider) SetTokenReplyForm(form bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.formReply = form
}

// FailNext makes the next request to path (AuthorizePath, TokenPath, …
// or a route added with Handle) get status and body instead of its normal
// reply. Calls queue up. A body that is valid JSON is sent as
// application/json, anything else as text/plain.
func (p *Provider) FailNext(path string, status int, body string) {
	p.ctl.failNext(path, status, body)
}

// SetUserReply replaces the user endpoint by reply, for hostile replies
// (huge, malformed, slow); nil restores it.
func (p *Provider) SetUserReply(reply func(http.ResponseWriter, *http.Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.userReply = reply
}

// SetTokenReply replaces the token endpoint by reply; nil restores it.
func (p *Provider) SetTokenReply(reply func(http.ResponseWriter, *http.Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenReply = reply
}

// Handle adds a route to the provider, e.g. GitHub's "/user/emails".
// Patterns are [http.ServeMux] patterns; a route for an endpoint's path
// replaces it.
func (p *Provider) Handle(pattern string, handler http.Handler) {
	p.mux.Handle(pattern, handler)
}

// HandleJSON adds a route that replies v as JSON to requests with a valid
// access token, and 401 to others. It panics if v cannot be encoded.
func (p *Provider) HandleJSON(pattern string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("socialtest: HandleJSON(%q): %v", pattern, err))
	}
	p.Handle(pattern, p.RequireToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})))
}

// RequireToken wraps h so that it only serves requests with a valid
// access token (bearer header, GitHub's "token" header or access_token
// parameter).
func (p *Provider) RequireToken(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := p.TokenInfo(r); !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="socialtest", error="invalid_token"`)
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// TokenInfo returns what the request's access token was issued for.
func (p *Provider) TokenInfo(r *http.Request) (localidp.TokenInfo, bool) {
	token, err := localidp.BearerToken(r)
	if err != nil {
		return localidp.TokenInfo{}, false
	}
	return p.IDP.Introspect(token)
}

// Codes returns the authorization codes issued so far, oldest first.
func (p *Provider) Codes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.codes)
}

// LastCode returns the last authorization code issued, or "".
func (p *Provider) LastCode() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.codes) == 0 {
		return ""
	}
	return p.codes[len(p.codes)-1]
}

// Request is a request the provider received.
type Request struct {
	Method string
	// Path is the URL path, e.g. TokenPath.
	Path  string
	Query url.Values
	// Form holds the parameters of an urlencoded body.
	Form   url.Values
	Header http.Header
	// Body is the raw body, at most 1 MiB of it.
	Body []byte
}

// BasicAuth returns the HTTP Basic credentials as sent (still
// form-urlencoded, per RFC 6749 §2.3.1, when the client follows it).
func (r Request) BasicAuth() (user, password string, ok bool) {
	return (&http.Request{Header: r.Header}).BasicAuth()
}

// Requests returns a copy of the requests received, oldest first (the
// last 1000).
func (p *Provider) Requests() []Request { return p.ctl.requestsRecorded() }

// RequestsTo returns a copy of the requests received on path.
func (p *Provider) RequestsTo(path string) []Request { return p.ctl.requestsTo(path) }

func (r Request) clone() Request {
	r.Query = cloneValues(r.Query)
	r.Form = cloneValues(r.Form)
	r.Header = r.Header.Clone()
	r.Body = bytes.Clone(r.Body)
	return r
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// approve is the localidp Approver: deny once, show the form, or approve
// for the configured user.
func (p *Provider) approve(r *http.Request, req localidp.AuthorizationRequest) localidp.Decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.denyNext {
		p.denyNext = false
		return localidp.Decision{Outcome: localidp.Deny, ErrorDescription: "the user denied access"}
	}
	if p.loginForm {
		return localidp.Decision{Outcome: localidp.ShowLoginForm}
	}
	return localidp.Decision{Outcome: localidp.Approve, User: userOf(p.user)}
}

// userOf names the user behind a profile; the profile itself is what the
// user endpoint serves.
func userOf(profile map[string]any) localidp.User {
	first := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := profile[k]; ok && v != nil {
				return fmt.Sprint(v)
			}
		}
		return ""
	}
	claims := maps.Clone(profile)
	if claims == nil {
		claims = map[string]any{}
	}
	return localidp.User{
		ID:       first("id", "sub", "user_id"),
		Username: first("login", "username", "preferred_username"),
		Name:     first("name"),
		Email:    first("email"),
		Claims:   claims,
	}
}

// serve records the request, applies the controls and hands over to the
// routes.
func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	if _, failed := p.ctl.intercept(w, r); failed {
		return
	}
	p.mu.Lock()
	userReply, tokenReply, formReply := p.userReply, p.tokenReply, p.formReply
	p.mu.Unlock()

	switch {
	case r.URL.Path == UserPath && userReply != nil:
		userReply(w, r)
	case r.URL.Path == TokenPath && tokenReply != nil:
		tokenReply(w, r)
	case r.URL.Path == TokenPath && formReply:
		p.serveTokenAsForm(w, r)
	case r.URL.Path == AuthorizePath:
		p.mux.ServeHTTP(&codeSpy{ResponseWriter: w, p: p}, r)
	default:
		p.mux.ServeHTTP(w, r)
	}
}

// record copies what a test may want to assert on, leaving the body
// readable for the handler.
func record(r *http.Request) Request {
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
	}
	if r.Body == nil || r.Body == http.NoBody {
		return rec
	}
	buf, _ := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody))
	rec.Body = buf
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") && len(buf) < maxRecordedBody {
		if form, err := url.ParseQuery(string(buf)); err == nil {
			rec.Form = form
		}
	}
	return rec
}

// codeSpy notes the codes in the authorization endpoint's redirects.
type codeSpy struct {
	http.ResponseWriter
	p *Provider
}

func (s *codeSpy) WriteHeader(status int) {
	if loc, err := url.Parse(s.Header().Get("Location")); err == nil && status >= 300 && status < 400 {
		if code := loc.Query().Get("code"); code != "" {
			s.p.mu.Lock()
			s.p.codes = append(s.p.codes, code)
			s.p.mu.Unlock()
		}
	}
	s.ResponseWriter.WriteHeader(status)
}

// serveTokenAsForm runs the token endpoint and re-encodes its JSON reply
// as a urlencoded form.
func (p *Provider) serveTokenAsForm(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	p.mux.ServeHTTP(rec, r)
	res := rec.Result()
	var fields map[string]any
	dec := json.NewDecoder(rec.Body)
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		http.Error(w, "socialtest: token reply is not JSON", http.StatusInternalServerError)
		return
	}
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, fmt.Sprint(v))
	}
	for k, vs := range res.Header {
		if k != "Content-Type" && k != "Content-Length" {
			w.Header()[k] = vs
		}
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	w.WriteHeader(res.StatusCode)
	io.WriteString(w, form.Encode())
}

// NewBrowser returns an HTTP client that keeps cookies and follows
// redirects, like a browser, with a 10-second timeout. t may be nil; when
// set, idle connections are closed at cleanup. For a provider started
// [WithTLS], set its Transport to the provider's HTTPClient().Transport.
func NewBrowser(t testing.TB) *http.Client {
	return newBrowser(t, nil)
}

// NewBrowserNoRedirect returns a cookie-keeping client that does not
// follow redirects: each call returns the redirect response itself, so a
// test can inspect and tamper with each step.
func NewBrowserNoRedirect(t testing.TB) *http.Client {
	return newBrowser(t, func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse })
}

func newBrowser(t testing.TB, checkRedirect func(*http.Request, []*http.Request) error) *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	c := &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: checkRedirect,
		Transport:     http.DefaultTransport.(*http.Transport).Clone(),
	}
	if t != nil {
		t.Cleanup(c.CloseIdleConnections)
	}
	return c
}
