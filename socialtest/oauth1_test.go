package socialtest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/oauth1"
	"github.com/socialauth/socialauth/socialtest"
)

const o1Callback = "https://app.example.com/complete/oauth1/"

type o1Reply struct {
	status int
	body   string
	header http.Header
}

// o1Call sends a request signed by s with token credentials, at time at.
func o1Call(t *testing.T, s *oauth1.Signer, method, rawURL, token, secret string, protocol url.Values, at time.Time) (o1Reply, string) {
	t.Helper()
	auth, err := s.Authorization(method, rawURL, nil, token, secret, protocol, at)
	if err != nil {
		t.Fatal(err)
	}
	return o1Send(t, method, rawURL, auth), auth
}

func o1Send(t *testing.T, method, rawURL, auth string) o1Reply {
	t.Helper()
	req, _ := http.NewRequest(method, rawURL, nil)
	req.Header.Set("Authorization", auth)
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return o1Reply{res.StatusCode, string(body), res.Header}
}

// o1Temporary gets a request token and approves it, returning the token,
// its secret and the verifier.
func o1Temporary(t *testing.T, p *socialtest.OAuth1Provider, s *oauth1.Signer) (string, string, string) {
	t.Helper()
	r, _ := o1Call(t, s, "POST", p.RequestTokenURL(), "", "", url.Values{"oauth_callback": {o1Callback}}, time.Now())
	q, _ := url.ParseQuery(r.body)
	if r.status != 200 || q.Get("oauth_callback_confirmed") != "true" || q.Get("oauth_token") == "" {
		t.Fatalf("request token: %d %s", r.status, r.body)
	}
	res := o1Send(t, "GET", p.AuthorizeURL()+"?oauth_token="+q.Get("oauth_token"), "")
	loc, _ := url.Parse(res.header.Get("Location"))
	if res.status != http.StatusFound || !strings.HasPrefix(loc.String(), o1Callback) || loc.Query().Get("oauth_token") != q.Get("oauth_token") {
		t.Fatalf("authorize: %d %s", res.status, loc)
	}
	return q.Get("oauth_token"), q.Get("oauth_token_secret"), loc.Query().Get("oauth_verifier")
}

func TestOAuth1ProviderVerifiesEverything(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(map[string]any{"id": "9", "username": "neo"}))
	good := &oauth1.Signer{ConsumerKey: p.ConsumerKey, ConsumerSecret: p.ConsumerSecret}
	now := time.Now()
	rt := func(s *oauth1.Signer, protocol url.Values, at time.Time) o1Reply {
		r, _ := o1Call(t, s, "POST", p.RequestTokenURL(), "", "", protocol, at)
		return r
	}
	cb := url.Values{"oauth_callback": {o1Callback}}
	for name, r := range map[string]o1Reply{
		"wrong secret":    rt(&oauth1.Signer{ConsumerKey: p.ConsumerKey, ConsumerSecret: "wrong"}, cb, now),
		"unknown key":     rt(&oauth1.Signer{ConsumerKey: "other", ConsumerSecret: p.ConsumerSecret}, cb, now),
		"stale timestamp": rt(good, cb, now.Add(-time.Hour)),
		"future":          rt(good, cb, now.Add(time.Hour)),
		"no callback":     rt(good, nil, now),
		"unsigned":        o1Send(t, "POST", p.RequestTokenURL(), ""),
	} {
		if r.status < 400 || !strings.Contains(r.body, "oauth_problem=") {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	// A replayed request (same nonce and timestamp) is refused.
	auth, _ := good.Authorization("POST", p.RequestTokenURL(), nil, "", "", cb, now)
	if r := o1Send(t, "POST", p.RequestTokenURL(), auth); r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	if r := o1Send(t, "POST", p.RequestTokenURL(), auth); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "nonce_used") {
		t.Errorf("replay: %d %s", r.status, r.body)
	}

	// A verifier is bound to its request token, and each token is spent
	// by one exchange.
	tokA, secA, _ := o1Temporary(t, p, good)
	_, _, verB := o1Temporary(t, p, good)
	if r, _ := o1Call(t, good, "POST", p.AccessTokenURL(), tokA, secA, url.Values{"oauth_verifier": {verB}}, time.Now()); r.status != http.StatusUnauthorized {
		t.Errorf("verifier of another token: %d %s", r.status, r.body)
	}
	tokC, _, verC := o1Temporary(t, p, good)
	if r, _ := o1Call(t, good, "POST", p.AccessTokenURL(), tokC, "wrong", url.Values{"oauth_verifier": {verC}}, time.Now()); r.status != http.StatusUnauthorized {
		t.Errorf("wrong token secret: %d", r.status)
	}
	tokD, secD, verD := o1Temporary(t, p, good)
	r, _ := o1Call(t, good, "POST", p.AccessTokenURL(), tokD, secD, url.Values{"oauth_verifier": {verD}}, time.Now())
	access, _ := url.ParseQuery(r.body)
	if r.status != 200 || access.Get("oauth_token") == "" || access.Get("oauth_token_secret") == "" {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	if r, _ := o1Call(t, good, "POST", p.AccessTokenURL(), tokD, secD, url.Values{"oauth_verifier": {verD}}, time.Now()); r.status != http.StatusUnauthorized {
		t.Errorf("second exchange: %d", r.status)
	}

	// The user endpoint serves signed calls with token credentials only.
	r, _ = o1Call(t, good, "GET", p.UserURL()+"?include_email=true", access.Get("oauth_token"), access.Get("oauth_token_secret"), nil, time.Now())
	if r.status != 200 || !strings.Contains(r.body, `"username":"neo"`) {
		t.Errorf("user: %d %s", r.status, r.body)
	}
	if r, _ := o1Call(t, good, "GET", p.UserURL(), tokD, secD, nil, time.Now()); r.status != http.StatusUnauthorized {
		t.Errorf("user with a request token: %d", r.status)
	}
	if r, _ := o1Call(t, good, "GET", p.UserURL(), "", "", nil, time.Now()); r.status != http.StatusUnauthorized {
		t.Errorf("user without a token: %d", r.status)
	}
	if n := len(p.RequestsTo(socialtest.OAuth1UserPath)); n != 3 {
		t.Errorf("%d recorded user calls", n)
	}
}

func TestOAuth1ProviderControls(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t)
	s := &oauth1.Signer{ConsumerKey: p.ConsumerKey, ConsumerSecret: p.ConsumerSecret}
	p.NoCallbackConfirmed()
	r, _ := o1Call(t, s, "POST", p.RequestTokenURL(), "", "", url.Values{"oauth_callback": {o1Callback}}, time.Now())
	q, _ := url.ParseQuery(r.body)
	if r.status != 200 || q.Has("oauth_callback_confirmed") {
		t.Errorf("NoCallbackConfirmed: %s", r.body)
	}
	p.Deny()
	res := o1Send(t, "GET", p.AuthorizeURL()+"?oauth_token="+q.Get("oauth_token"), "")
	loc, _ := url.Parse(res.header.Get("Location"))
	if loc.Query().Get("denied") != q.Get("oauth_token") || loc.Query().Has("oauth_verifier") {
		t.Errorf("Deny: %s", loc)
	}
	if r := o1Send(t, "GET", p.AuthorizeURL()+"?oauth_token=unknown", ""); r.status != http.StatusBadRequest {
		t.Errorf("unknown token at authorize: %d", r.status)
	}
	p.FailNext(socialtest.OAuth1RequestTokenPath, 503, "down")
	if r, _ := o1Call(t, s, "POST", p.RequestTokenURL(), "", "", url.Values{"oauth_callback": {o1Callback}}, time.Now()); r.status != 503 || r.body != "down" {
		t.Errorf("FailNext: %d %s", r.status, r.body)
	}
	// Plaintext is accepted on loopback.
	pt := &oauth1.Signer{Method: oauth1.Plaintext, ConsumerKey: p.ConsumerKey, ConsumerSecret: p.ConsumerSecret}
	if r, _ := o1Call(t, pt, "POST", p.RequestTokenURL(), "", "", url.Values{"oauth_callback": {o1Callback}}, time.Now()); r.status != 200 {
		t.Errorf("PLAINTEXT: %d %s", r.status, r.body)
	}
	if _, err := socialtest.StartOAuth1Provider(socialtest.WithConsumer("", "")); err == nil {
		t.Error("empty consumer accepted")
	}
}
