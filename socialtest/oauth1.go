package socialtest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The OAuth 1.0a provider's endpoint paths, for [OAuth1Provider.FailNext]
// and filtering [OAuth1Provider.RequestsTo].
const (
	OAuth1RequestTokenPath = "/oauth/request_token"
	OAuth1AuthorizePath    = "/oauth/authorize"
	OAuth1AccessTokenPath  = "/oauth/access_token"
	OAuth1UserPath         = "/oauth1/user"
)

// Defaults of an OAuth 1.0a provider.
const (
	DefaultConsumerKey    = "socialtest-consumer"
	DefaultConsumerSecret = "socialtest-consumer-secret"
	// DefaultOAuth1Window is how far a request's oauth_timestamp may be
	// from the provider's clock.
	DefaultOAuth1Window = 5 * time.Minute
)

// OAuth1Option configures an OAuth 1.0a provider.
type OAuth1Option func(*oauth1Options)

type oauth1Options struct {
	key, secret string
	user        map[string]any
	now         func() time.Time
	rsaKey      *rsa.PublicKey
	window      time.Duration
}

// WithConsumer sets the consumer key and secret the provider accepts.
func WithConsumer(key, secret string) OAuth1Option {
	return func(o *oauth1Options) { o.key, o.secret = key, secret }
}

// WithOAuth1User sets the profile the user endpoint returns, like
// [OAuth1Provider.SetUser].
func WithOAuth1User(profile map[string]any) OAuth1Option {
	return func(o *oauth1Options) { o.user = maps.Clone(profile) }
}

// WithOAuth1Clock sets the provider's clock, against which timestamps are
// checked.
func WithOAuth1Clock(now func() time.Time) OAuth1Option {
	return func(o *oauth1Options) { o.now = now }
}

// WithRSAPublicKey makes the provider accept RSA-SHA1 signatures made with
// the matching private key.
func WithRSAPublicKey(pub *rsa.PublicKey) OAuth1Option {
	return func(o *oauth1Options) { o.rsaKey = pub }
}

// OAuth1Provider is a fake OAuth 1.0a (RFC 5849) provider on an httptest
// server. It really verifies every signed request: HMAC-SHA1 keyed by the
// consumer and token secrets (RSA-SHA1 with [WithRSAPublicKey], PLAINTEXT),
// the timestamp window and nonce replay. It issues request tokens only
// for requests carrying oauth_callback, approves at once at the
// authorization endpoint (redirecting to the callback with oauth_token and
// a verifier bound to that token), exchanges each verifier once for token
// credentials, and serves the configured profile to calls signed with
// them. Refused requests get 401 (400 for malformed ones) with an
// oauth_problem body. Its verification is written independently of
// package oauth1, so a test does not trust the code it tests.
//
// Its methods are safe for concurrent use.
type OAuth1Provider struct {
	// URL is the provider's base URL, without trailing slash.
	URL string
	// ConsumerKey and ConsumerSecret are the credentials it accepts.
	ConsumerKey, ConsumerSecret string

	server *httptest.Server
	now    func() time.Time
	window time.Duration
	rsaKey *rsa.PublicKey
	ctl    controls

	mu        sync.Mutex
	user      map[string]any
	denyNext  bool
	noConfirm bool
	temporary map[string]*temporaryCredential
	tokens    map[string]*tokenCredential
	nonces    map[string]time.Time
	userReply http.HandlerFunc
}

type temporaryCredential struct {
	secret, callback, verifier string
	user                       map[string]any
}

type tokenCredential struct {
	secret string
	user   map[string]any
}

// NewOAuth1Provider starts an OAuth 1.0a provider closed at the end of the
// test.
func NewOAuth1Provider(t testing.TB, opts ...OAuth1Option) *OAuth1Provider {
	t.Helper()
	p, err := StartOAuth1Provider(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// StartOAuth1Provider starts a provider outside of a test; the caller must
// Close it.
func StartOAuth1Provider(opts ...OAuth1Option) (*OAuth1Provider, error) {
	o := oauth1Options{key: DefaultConsumerKey, secret: DefaultConsumerSecret, user: DefaultUser(),
		now: time.Now, window: DefaultOAuth1Window}
	for _, opt := range opts {
		opt(&o)
	}
	if o.key == "" || o.secret == "" {
		return nil, errors.New("socialtest: consumer key and secret must not be empty")
	}
	p := &OAuth1Provider{
		ConsumerKey:    o.key,
		ConsumerSecret: o.secret,
		now:            o.now,
		window:         o.window,
		rsaKey:         o.rsaKey,
		user:           o.user,
		temporary:      map[string]*temporaryCredential{},
		tokens:         map[string]*tokenCredential{},
		nonces:         map[string]time.Time{},
	}
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.server.URL
	return p, nil
}

// Close shuts the server down.
func (p *OAuth1Provider) Close() { p.server.Close() }

// RequestTokenURL is the temporary-credential (request token) endpoint.
func (p *OAuth1Provider) RequestTokenURL() string { return p.URL + OAuth1RequestTokenPath }

// AuthorizeURL is the resource-owner authorization endpoint.
func (p *OAuth1Provider) AuthorizeURL() string { return p.URL + OAuth1AuthorizePath }

// AccessTokenURL is the token-credential (access token) endpoint.
func (p *OAuth1Provider) AccessTokenURL() string { return p.URL + OAuth1AccessTokenPath }

// UserURL is the user endpoint: a signed GET returns the profile as JSON.
func (p *OAuth1Provider) UserURL() string { return p.URL + OAuth1UserPath }

// SetUser sets the profile served for logins approved from now on.
func (p *OAuth1Provider) SetUser(profile map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = maps.Clone(profile)
}

// Deny makes the next authorization redirect to the callback with
// denied=<token> instead of a verifier, as when the person cancels.
func (p *OAuth1Provider) Deny() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.denyNext = true
}

// NoCallbackConfirmed makes request-token replies leave out
// oauth_callback_confirmed, as an OAuth 1.0 (not 1.0a) provider would.
func (p *OAuth1Provider) NoCallbackConfirmed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.noConfirm = true
}

// FailNext makes the next request to path get status and body instead of
// its normal reply. Calls queue up.
func (p *OAuth1Provider) FailNext(path string, status int, body string) {
	p.ctl.failNext(path, status, body)
}

// SetUserReply replaces the user endpoint, after signature verification,
// by reply (for huge, malformed or slow replies); nil restores it.
func (p *OAuth1Provider) SetUserReply(reply func(http.ResponseWriter, *http.Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.userReply = reply
}

// IssueToken creates token credentials for profile, as if a login had
// completed, for tests of token login (a client SDK's token pair).
func (p *OAuth1Provider) IssueToken(profile map[string]any) (token, secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	token, secret = randomHex(), randomHex()
	p.tokens[token] = &tokenCredential{secret: secret, user: maps.Clone(profile)}
	return token, secret
}

// Requests returns a copy of the requests received, oldest first (the
// last 1000).
func (p *OAuth1Provider) Requests() []Request { return p.ctl.requestsRecorded() }

// RequestsTo returns a copy of the requests received on path.
func (p *OAuth1Provider) RequestsTo(path string) []Request { return p.ctl.requestsTo(path) }

func (p *OAuth1Provider) serve(w http.ResponseWriter, r *http.Request) {
	rec, failed := p.ctl.intercept(w, r)
	if failed {
		return
	}
	switch r.URL.Path {
	case OAuth1RequestTokenPath:
		p.serveRequestToken(w, r, rec)
	case OAuth1AuthorizePath:
		p.serveAuthorize(w, r)
	case OAuth1AccessTokenPath:
		p.serveAccessToken(w, r, rec)
	case OAuth1UserPath:
		p.serveUser(w, r, rec)
	default:
		http.NotFound(w, r)
	}
}

func problem(w http.ResponseWriter, status int, name string) {
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	w.WriteHeader(status)
	io.WriteString(w, "oauth_problem="+url.QueryEscape(name))
}

func (p *OAuth1Provider) serveRequestToken(w http.ResponseWriter, r *http.Request, rec Request) {
	if r.Method != http.MethodPost {
		problem(w, http.StatusMethodNotAllowed, "method_not_allowed")
		return
	}
	oauth, status, why := p.verify(r, rec, func(string) (string, bool) { return "", false })
	if status != 0 {
		problem(w, status, why)
		return
	}
	callback := oauth.Get("oauth_callback")
	cb, err := url.Parse(callback)
	if callback == "" || err != nil || !cb.IsAbs() {
		problem(w, http.StatusBadRequest, "parameter_absent&oauth_parameters_absent=oauth_callback")
		return
	}
	token, secret := randomHex(), randomHex()
	p.mu.Lock()
	p.temporary[token] = &temporaryCredential{secret: secret, callback: callback}
	confirm := !p.noConfirm
	p.mu.Unlock()
	reply := url.Values{"oauth_token": {token}, "oauth_token_secret": {secret}}
	if confirm {
		reply.Set("oauth_callback_confirmed", "true")
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	io.WriteString(w, reply.Encode())
}

func (p *OAuth1Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("oauth_token")
	p.mu.Lock()
	tc, ok := p.temporary[token]
	deny := p.denyNext
	p.denyNext = false
	var cb *url.URL
	if ok {
		cb, _ = url.Parse(tc.callback)
		if !deny {
			tc.verifier = randomHex()
			tc.user = maps.Clone(p.user)
		}
	}
	p.mu.Unlock()
	if !ok {
		problem(w, http.StatusBadRequest, "token_rejected")
		return
	}
	q := cb.Query()
	if deny {
		q.Set("denied", token)
		p.mu.Lock()
		delete(p.temporary, token)
		p.mu.Unlock()
	} else {
		q.Set("oauth_token", token)
		q.Set("oauth_verifier", tc.verifier)
	}
	cb.RawQuery = q.Encode()
	http.Redirect(w, r, cb.String(), http.StatusFound)
}

func (p *OAuth1Provider) serveAccessToken(w http.ResponseWriter, r *http.Request, rec Request) {
	if r.Method != http.MethodPost {
		problem(w, http.StatusMethodNotAllowed, "method_not_allowed")
		return
	}
	var tc *temporaryCredential
	oauth, status, why := p.verify(r, rec, func(token string) (string, bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		tc = p.temporary[token]
		if tc == nil {
			return "", false
		}
		return tc.secret, true
	})
	if status != 0 {
		problem(w, status, why)
		return
	}
	token := oauth.Get("oauth_token")
	p.mu.Lock()
	// A request token is spent by its first signed exchange, good or bad.
	delete(p.temporary, token)
	p.mu.Unlock()
	verifier := oauth.Get("oauth_verifier")
	if tc.verifier == "" || subtle.ConstantTimeCompare([]byte(verifier), []byte(tc.verifier)) != 1 {
		problem(w, http.StatusUnauthorized, "verifier_invalid")
		return
	}
	access, secret := randomHex(), randomHex()
	p.mu.Lock()
	p.tokens[access] = &tokenCredential{secret: secret, user: tc.user}
	p.mu.Unlock()
	reply := url.Values{"oauth_token": {access}, "oauth_token_secret": {secret}}
	if id, ok := tc.user["id"]; ok {
		reply.Set("user_id", fmt.Sprint(id))
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	io.WriteString(w, reply.Encode())
}

func (p *OAuth1Provider) serveUser(w http.ResponseWriter, r *http.Request, rec Request) {
	var tc *tokenCredential
	_, status, why := p.verify(r, rec, func(token string) (string, bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		tc = p.tokens[token]
		if tc == nil {
			return "", false
		}
		return tc.secret, true
	})
	if status != 0 {
		problem(w, status, why)
		return
	}
	p.mu.Lock()
	reply := p.userReply
	p.mu.Unlock()
	if reply != nil {
		reply(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(tc.user)
}

// verify checks a signed request and returns its protocol parameters, or
// an HTTP status and an oauth_problem name. tokenSecret finds the secret
// of the request's oauth_token; a request that needs a token must carry a
// known one.
func (p *OAuth1Provider) verify(r *http.Request, rec Request, tokenSecret func(string) (string, bool)) (url.Values, int, string) {
	oauth, err := headerParams(r.Header.Get("Authorization"))
	if err != nil {
		return nil, http.StatusBadRequest, "parameter_rejected"
	}
	for _, k := range []string{"oauth_consumer_key", "oauth_signature_method", "oauth_signature"} {
		if oauth.Get(k) == "" {
			return nil, http.StatusBadRequest, "parameter_absent"
		}
	}
	if v := oauth.Get("oauth_version"); v != "" && v != "1.0" {
		return nil, http.StatusBadRequest, "version_rejected"
	}
	if oauth.Get("oauth_consumer_key") != p.ConsumerKey {
		return nil, http.StatusUnauthorized, "consumer_key_unknown"
	}
	method := oauth.Get("oauth_signature_method")
	if method != "PLAINTEXT" {
		ts, err := strconv.ParseInt(oauth.Get("oauth_timestamp"), 10, 64)
		if err != nil || ts <= 0 {
			return nil, http.StatusBadRequest, "timestamp_refused"
		}
		now := p.now()
		if d := now.Sub(time.Unix(ts, 0)); d > p.window || d < -p.window {
			return nil, http.StatusUnauthorized, "timestamp_refused"
		}
		n := oauth.Get("oauth_nonce")
		if n == "" {
			return nil, http.StatusBadRequest, "parameter_absent"
		}
		key := oauth.Get("oauth_consumer_key") + "&" + oauth.Get("oauth_token") + "&" + oauth.Get("oauth_timestamp") + "&" + n
		p.mu.Lock()
		for k, exp := range p.nonces {
			if now.After(exp) {
				delete(p.nonces, k)
			}
		}
		_, used := p.nonces[key]
		if !used {
			p.nonces[key] = now.Add(2 * p.window)
		}
		p.mu.Unlock()
		if used {
			return nil, http.StatusUnauthorized, "nonce_used"
		}
	}
	var secret string
	if token := oauth.Get("oauth_token"); token != "" {
		s, ok := tokenSecret(token)
		if !ok {
			return nil, http.StatusUnauthorized, "token_rejected"
		}
		secret = s
	} else if r.URL.Path != OAuth1RequestTokenPath {
		return nil, http.StatusUnauthorized, "token_rejected"
	}

	key := pctEncode(p.ConsumerSecret) + "&" + pctEncode(secret)
	got := oauth.Get("oauth_signature")
	switch method {
	case "PLAINTEXT":
		if r.TLS == nil && !loopback(r.Host) {
			return nil, http.StatusBadRequest, "signature_method_rejected"
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(key)) != 1 {
			return nil, http.StatusUnauthorized, "signature_invalid"
		}
		return oauth, 0, ""
	case "HMAC-SHA1":
		mac := hmac.New(sha1.New, []byte(key))
		mac.Write([]byte(p.baseString(r, rec, oauth)))
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return nil, http.StatusUnauthorized, "signature_invalid"
		}
		return oauth, 0, ""
	case "RSA-SHA1":
		if p.rsaKey == nil {
			return nil, http.StatusBadRequest, "signature_method_rejected"
		}
		sig, err := base64.StdEncoding.DecodeString(got)
		sum := sha1.Sum([]byte(p.baseString(r, rec, oauth)))
		if err != nil || rsa.VerifyPKCS1v15(p.rsaKey, crypto.SHA1, sum[:], sig) != nil {
			return nil, http.StatusUnauthorized, "signature_invalid"
		}
		return oauth, 0, ""
	}
	return nil, http.StatusBadRequest, "signature_method_rejected"
}

// baseString rebuilds the signature base string of a received request:
// method, the URI the provider was reached at, and the query, header and
// form-body parameters.
func (p *OAuth1Provider) baseString(r *http.Request, rec Request, oauth url.Values) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	uri := scheme + "://" + host + r.URL.EscapedPath()

	type kv struct{ k, v string }
	var all []kv
	add := func(vals url.Values) {
		for k, vs := range vals {
			if k == "oauth_signature" || k == "realm" {
				continue
			}
			for _, v := range vs {
				all = append(all, kv{pctEncode(k), pctEncode(v)})
			}
		}
	}
	add(r.URL.Query())
	add(oauth)
	add(rec.Form)
	slices.SortFunc(all, func(a, b kv) int {
		if a.k != b.k {
			return strings.Compare(a.k, b.k)
		}
		return strings.Compare(a.v, b.v)
	})
	parts := make([]string, len(all))
	for i, x := range all {
		parts[i] = x.k + "=" + x.v
	}
	return r.Method + "&" + pctEncode(uri) + "&" + pctEncode(strings.Join(parts, "&"))
}

// headerParams parses an "Authorization: OAuth k="v", …" header, decoding
// the values.
func headerParams(h string) (url.Values, error) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "OAuth") {
		return nil, errors.New("not an OAuth Authorization header")
	}
	out := url.Values{}
	for item := range strings.SplitSeq(rest, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, fmt.Errorf("malformed parameter %q", item)
		}
		dk, err1 := url.PathUnescape(k)
		dv, err2 := url.PathUnescape(v[1 : len(v)-1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("malformed parameter %q", item)
		}
		if out.Has(dk) {
			return nil, fmt.Errorf("duplicated parameter %q", dk)
		}
		out.Set(dk, dv)
	}
	return out, nil
}

// pctEncode is RFC 3986 percent-encoding of everything but the unreserved
// characters, with upper-case hex.
func pctEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func loopback(hostport string) bool {
	host := hostport
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") {
		host = hostport[:i]
	}
	host = strings.Trim(host, "[]")
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func randomHex() string {
	var buf [16]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}
