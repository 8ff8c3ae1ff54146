package oauth1_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth1"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

var ada = map[string]any{"id": 4012966701, "id_str": "4012966701", "username": "ada", "email": "ada@example.com", "name": "Ada Lovelace"}

func TestLogin(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(ada))
	b := newBackend(t, p, map[string]any{
		"AUTH_EXTRA_ARGUMENTS":          map[string]any{"force_login": "true"},
		"REQUEST_TOKEN_EXTRA_ARGUMENTS": map[string]any{"x_auth_access_type": "read"},
		"EXTRA_DATA":                    []any{"name", []any{"missing", "gone", true}},
	})
	res, params := authorize(t, b)
	authURL, _ := url.Parse(res.RedirectURL)
	if authURL.Query().Get("force_login") != "true" || authURL.Query().Get("oauth_token") != res.Stash["oauth_token"] {
		t.Errorf("authorization URL %s", authURL)
	}
	id, err := complete(t, b, res.Stash, params)
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "4012966701" || id.Details.Username != "ada" || id.Details.Email != "ada@example.com" ||
		id.Details.FirstName != "Ada" || id.Details.EmailVerified {
		t.Errorf("identity %+v", id)
	}
	pair, _ := id.ExtraData["access_token"].(map[string]any)
	if id.Token.AccessToken == "" || id.Token.Secret == "" || pair["oauth_token"] != id.Token.AccessToken ||
		pair["oauth_token_secret"] != id.Token.Secret || id.ExtraData["name"] != "Ada Lovelace" || id.ExtraData["auth_time"] == nil {
		t.Errorf("token %+v, extra data %v", id.Token, id.ExtraData)
	}
	if _, ok := id.ExtraData["gone"]; ok || !id.KeepOldIfEmpty["gone"] {
		t.Errorf("discarded empty field: %v %v", id.ExtraData, id.KeepOldIfEmpty)
	}
	rt := p.RequestsTo(socialtest.OAuth1RequestTokenPath)
	if len(rt) != 1 || !strings.Contains(rt[0].Header.Get("Authorization"), `oauth_callback="`+oauth1.Encode(redirectURI)+`"`) ||
		rt[0].Form.Get("x_auth_access_type") != "read" || rt[0].Header.Get("User-Agent") != "socialauth-test/1" {
		t.Errorf("request-token call: %+v", rt)
	}
	at := p.RequestsTo(socialtest.OAuth1AccessTokenPath)
	if len(at) != 1 || !strings.Contains(at[0].Header.Get("Authorization"), `oauth_verifier="`+params.Get("oauth_verifier")+`"`) {
		t.Errorf("access-token call: %+v", at)
	}
	// The stash holds the request token, never the access token.
	for _, v := range res.Stash {
		if v == id.Token.AccessToken || v == id.Token.Secret {
			t.Error("token credentials in the stash")
		}
	}
}

func TestLoginWithRSAAndIDKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(ada), socialtest.WithRSAPublicKey(&key.PublicKey))
	b := newBackend(t, p, map[string]any{"SIGNATURE_METHOD": "RSA-SHA1", "RSA_PRIVATE_KEY": string(pemKey), "ID_KEY": "username"})
	res, params := authorize(t, b)
	id, err := complete(t, b, res.Stash, params)
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "ada" || !strings.Contains(p.Requests()[0].Header.Get("Authorization"), `oauth_signature_method="RSA-SHA1"`) {
		t.Errorf("uid %q", id.UID)
	}
}

func TestPlaintextOverLoopback(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(ada))
	b := newBackend(t, p, map[string]any{"SIGNATURE_METHOD": "PLAINTEXT"})
	res, params := authorize(t, b)
	if _, err := complete(t, b, res.Stash, params); err != nil {
		t.Fatal(err)
	}
}

func TestWrongSecretIsRefusedByTheProvider(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t)
	b := newBackend(t, p, map[string]any{"SECRET": "not-the-secret"})
	_, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI})
	wantKind(t, err, socialerr.AuthTokenError)
	var pe *socialerr.ProviderError
	if !errors.As(err, &pe) || pe.StatusCode != http.StatusUnauthorized || !strings.Contains(string(pe.Body), "signature_invalid") {
		t.Errorf("error %#v", err)
	}
}

func TestHostileCallbacks(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(ada))
	b := newBackend(t, p, nil)
	exchanges := func() int { return len(p.RequestsTo(socialtest.OAuth1AccessTokenPath)) }

	t.Run("no stash", func(t *testing.T) {
		_, params := authorize(t, b)
		_, err := complete(t, b, nil, params)
		wantKind(t, err, socialerr.AuthStateMissing)
	})
	t.Run("missing token or verifier", func(t *testing.T) {
		res, params := authorize(t, b)
		for _, drop := range []string{"oauth_token", "oauth_verifier"} {
			q := url.Values{}
			for k, v := range params {
				if k != drop {
					q[k] = v
				}
			}
			_, err := complete(t, b, res.Stash, q)
			wantKind(t, err, socialerr.AuthMissingParameter)
			if se, ok := errors.AsType[*socialerr.Error](err); !ok || se.Param != drop {
				t.Errorf("missing %s: %v", drop, err)
			}
		}
	})
	t.Run("a verifier for another token", func(t *testing.T) {
		before := exchanges()
		victim, _ := authorize(t, b)
		_, attackerParams := authorize(t, b) // the attacker's own token and verifier
		_, err := complete(t, b, victim.Stash, attackerParams)
		wantKind(t, err, socialerr.AuthStateForbidden)
		if exchanges() != before {
			t.Error("the foreign verifier reached the access-token endpoint")
		}
	})
	t.Run("denied", func(t *testing.T) {
		p.Deny()
		res, params := authorize(t, b)
		if params.Get("denied") == "" {
			t.Fatalf("params %v", params)
		}
		_, err := complete(t, b, res.Stash, params)
		wantKind(t, err, socialerr.AuthCanceled)
	})
	t.Run("verifier replayed at the provider", func(t *testing.T) {
		res, params := authorize(t, b)
		if _, err := complete(t, b, res.Stash, params); err != nil {
			t.Fatal(err)
		}
		_, err := complete(t, b, res.Stash, params)
		wantKind(t, err, socialerr.AuthTokenError)
	})
	t.Run("forged verifier", func(t *testing.T) {
		res, params := authorize(t, b)
		params.Set("oauth_verifier", "guess")
		_, err := complete(t, b, res.Stash, params)
		wantKind(t, err, socialerr.AuthTokenError)
	})
}

func TestCallbackNotConfirmed(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t)
	p.NoCallbackConfirmed()
	b := newBackend(t, p, nil)
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI})
	wantKind(t, err, socialerr.AuthFailed)
	if res != nil || len(p.RequestsTo(socialtest.OAuth1AuthorizePath)) != 0 {
		t.Error("went on without a confirmed callback")
	}
}

func TestHostileReplies(t *testing.T) {
	huge := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"1","pad":"`)
		chunk := strings.Repeat("x", 64<<10)
		for range 20 {
			io.WriteString(w, chunk)
		}
		io.WriteString(w, `"}`)
	}
	for _, tc := range []struct {
		name  string
		setup func(p *socialtest.OAuth1Provider)
		begin bool // fails at Begin
		kind  socialerr.Kind
		cause error
	}{
		{"request token 500", func(p *socialtest.OAuth1Provider) { p.FailNext(socialtest.OAuth1RequestTokenPath, 500, "boom") }, true, socialerr.AuthTokenError, nil},
		{"malformed request-token reply", func(p *socialtest.OAuth1Provider) {
			p.FailNext(socialtest.OAuth1RequestTokenPath, 200, "oauth_token=%zz")
		}, true, socialerr.AuthUnknownError, nil},
		{"request-token reply without token", func(p *socialtest.OAuth1Provider) {
			p.FailNext(socialtest.OAuth1RequestTokenPath, 200, "oauth_callback_confirmed=true")
		}, true, socialerr.AuthTokenError, nil},
		{"oversized request-token reply", func(p *socialtest.OAuth1Provider) {
			p.FailNext(socialtest.OAuth1RequestTokenPath, 200, strings.Repeat("a", oauth2.MaxReplySize+10))
		}, true, socialerr.AuthUnknownError, oauth2.ErrReplyTooLarge},
		{"malformed access-token reply", func(p *socialtest.OAuth1Provider) {
			p.FailNext(socialtest.OAuth1AccessTokenPath, 200, `{"oauth_token":`)
		}, false, socialerr.AuthUnknownError, nil},
		{"access-token reply without secret", func(p *socialtest.OAuth1Provider) {
			p.FailNext(socialtest.OAuth1AccessTokenPath, 200, "oauth_token=abc")
		}, false, socialerr.AuthTokenError, nil},
		{"oversized user reply", func(p *socialtest.OAuth1Provider) { p.SetUserReply(huge) }, false, socialerr.AuthUnknownError, oauth2.ErrReplyTooLarge},
		{"malformed user reply", func(p *socialtest.OAuth1Provider) {
			p.SetUserReply(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":`) })
		}, false, socialerr.AuthUnknownError, nil},
		{"user reply without id", func(p *socialtest.OAuth1Provider) {
			p.SetUserReply(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"name":"x"}`) })
		}, false, socialerr.AuthUnknownError, nil},
		{"user endpoint 401", func(p *socialtest.OAuth1Provider) {
			p.FailNext(socialtest.OAuth1UserPath, 401, "oauth_problem=token_rejected")
		}, false, socialerr.AuthTokenError, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(ada))
			b := newBackend(t, p, nil)
			tc.setup(p)
			var err error
			if tc.begin {
				_, err = b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI})
			} else {
				res, params := authorize(t, b)
				_, err = complete(t, b, res.Stash, params)
			}
			wantKind(t, err, tc.kind)
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v does not wrap %v", err, tc.cause)
			}
		})
	}
}

func TestSlowProviderIsUnreachable(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(ada))
	p.SetUserReply(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	cfg := config(fakeSettings(p, nil))
	cfg.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
	b, err := oauth1.New(cfg, oauth1.Provider{})
	if err != nil {
		t.Fatal(err)
	}
	res, params := authorize(t, b)
	_, err = complete(t, b, res.Stash, params)
	wantKind(t, err, socialerr.AuthUnreachableProvider)
	if strings.Contains(err.Error(), "oauth_token=") {
		t.Errorf("token in the error: %v", err)
	}
}

func TestAuthenticateToken(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t)
	b := newBackend(t, p, nil).(backend.TokenAuthenticator)
	token, secret := p.IssueToken(ada)
	for name, creds := range map[string]url.Values{
		"pair":         {"oauth_token": {token}, "oauth_token_secret": {secret}},
		"query string": {"access_token": {"oauth_token=" + token + "&oauth_token_secret=" + secret}},
	} {
		id, err := b.AuthenticateToken(t.Context(), creds)
		if err != nil || id.UID != "4012966701" || id.Token.Secret != secret {
			t.Errorf("%s: %+v, %v", name, id, err)
		}
	}
	_, err := b.AuthenticateToken(t.Context(), url.Values{"oauth_token": {token}, "oauth_token_secret": {"wrong"}})
	wantKind(t, err, socialerr.AuthTokenError)
	_, err = b.AuthenticateToken(t.Context(), url.Values{"oauth_token": {"unknown"}, "oauth_token_secret": {secret}})
	wantKind(t, err, socialerr.AuthTokenError)
	_, err = b.AuthenticateToken(t.Context(), url.Values{"oauth_token": {token}})
	wantKind(t, err, socialerr.AuthMissingParameter)
	_, err = b.AuthenticateToken(t.Context(), url.Values{})
	wantKind(t, err, socialerr.AuthMissingParameter)
	_, err = b.AuthenticateToken(t.Context(), url.Values{"access_token": {"%zz"}})
	wantKind(t, err, socialerr.AuthTokenError)
}

// missing returns the full names a New error reports as not set.
func missing(err error) []string {
	var names []string
	var walk func(error)
	walk = func(err error) {
		if se, ok := err.(*oauth2.SettingError); ok {
			if errors.Is(se.Err, oauth2.ErrNotSet) {
				names = append(names, se.Name)
			}
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return names
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := oauth1.New(config(nil), oauth1.Provider{})
	want := []string{"SOCIAL_AUTH_OAUTH1_KEY", "SOCIAL_AUTH_OAUTH1_SECRET", "SOCIAL_AUTH_OAUTH1_REQUEST_TOKEN_URL",
		"SOCIAL_AUTH_OAUTH1_AUTHORIZATION_URL", "SOCIAL_AUTH_OAUTH1_ACCESS_TOKEN_URL", "SOCIAL_AUTH_OAUTH1_USER_DATA_URL"}
	if got := missing(err); !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v", got, want)
	}
	base := map[string]any{"KEY": "k", "SECRET": "s", "REQUEST_TOKEN_URL": "https://p.example/rt",
		"AUTHORIZATION_URL": "https://p.example/a", "ACCESS_TOKEN_URL": "https://p.example/at", "USER_DATA_URL": "https://p.example/u"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for bk, bv := range base {
			m[bk] = bv
		}
		m[k] = v
		return m
	}
	if _, err := oauth1.New(config(base), oauth1.Provider{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m    map[string]any
		want string
	}{
		{with("ACCESS_TOKEN_URL", "http://p.example/at"), "SOCIAL_AUTH_OAUTH1_ACCESS_TOKEN_URL"},
		{with("REQUEST_TOKEN_URL", "rt"), "is relative"},
		{with("SIGNATURE_METHOD", "MD5"), "unknown method"},
		{with("SIGNATURE_METHOD", "RSA-SHA1"), "SOCIAL_AUTH_OAUTH1_RSA_PRIVATE_KEY is not set"},
		{with("RSA_PRIVATE_KEY", "x"), ""}, // ignored unless RSA-SHA1
		{with("AUTH_EXTRA_ARGUMENTS", map[string]any{"oauth_token": "x"}), "oauth_token"},
		{with("REQUEST_TOKEN_EXTRA_ARGUMENTS", map[string]any{"oauth_callback": "https://evil.example/"}), "oauth_callback"},
		{with("EXTRA_DATA", []any{42}), "EXTRA_DATA"},
	} {
		_, err := oauth1.New(config(tc.m), oauth1.Provider{})
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.m, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v; want it to mention %q", tc.m, err, tc.want)
		}
	}
	// PLAINTEXT is refused over plain http to a remote host, even when
	// http endpoints are allowed.
	m := with("SIGNATURE_METHOD", "PLAINTEXT")
	m["UNSAFE_ALLOW_HTTP_ENDPOINTS"] = true
	if _, err := oauth1.New(config(m), oauth1.Provider{}); err != nil {
		t.Fatalf("PLAINTEXT over https: %v", err)
	}
	m["USER_DATA_URL"] = "http://p.example/u"
	if _, err := oauth1.New(config(m), oauth1.Provider{}); err == nil || !strings.Contains(err.Error(), "PLAINTEXT") {
		t.Errorf("PLAINTEXT over http: %v", err)
	}
	// API_URL resolves relative endpoints; a global API_URL is ignored.
	cfg := config(map[string]any{"KEY": "k", "SECRET": "s", "API_URL": "https://api.p.example/1.1"})
	_, err = oauth1.New(cfg, oauth1.Provider{RequestTokenURL: "oauth/rt", AuthorizationURL: "oauth/a", AccessTokenURL: "oauth/at", UserDataURL: "me.json"})
	if err != nil {
		t.Errorf("relative endpoints with API_URL: %v", err)
	}
}

func TestUserDataHookAndCaller(t *testing.T) {
	p := socialtest.NewOAuth1Provider(t, socialtest.WithOAuth1User(ada))
	cfg := config(fakeSettings(p, map[string]any{"API_URL": p.URL}))
	b, err := oauth1.New(cfg, oauth1.Provider{Hooks: oauth1.Hooks{
		UserData: func(ctx context.Context, c *oauth1.Caller, tok *backend.Token) (map[string]any, error) {
			u, err := c.Resolve("oauth1/user?extra=1")
			if err != nil {
				return nil, err
			}
			var data map[string]any
			if err := c.GetJSON(ctx, u, tok, &data); err != nil {
				return nil, err
			}
			data["hooked"] = true
			return data, nil
		},
		MapDetails: func(resp map[string]any, d *backend.Details) { d.EmailVerified = d.Email != "" },
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, params := authorize(t, b)
	id, err := complete(t, b, res.Stash, params)
	if err != nil {
		t.Fatal(err)
	}
	if id.Response["hooked"] != true || !id.Details.EmailVerified {
		t.Errorf("identity %+v", id)
	}
	user := p.RequestsTo(socialtest.OAuth1UserPath)
	if len(user) != 1 || user[0].Query.Get("extra") != "1" {
		t.Errorf("user call %+v", user)
	}
}
