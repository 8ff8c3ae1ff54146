package oauth2_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
)

func mustNew(t *testing.T, name string, p oauth2.Provider, m settings.Map) backend.Backend {
	t.Helper()
	b, err := oauth2.New(config(name, m), p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func wantKind(t *testing.T, err error, kind socialerr.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", kind)
	}
	if got := socialerr.KindOf(err); got != kind {
		t.Fatalf("got kind %q (%v), want %s", got, err, kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("errors.Is(%v, %s) is false", err, kind)
	}
}

func TestLogin(t *testing.T) {
	f := newFake(t)
	b := mustNew(t, "test", oauth2.Provider{DefaultScope: []string{"read"}}, f.settings("test", nil))
	_, _, authURL := authorizeReply(t, b) // also checks the provider accepted the request
	q := authURL.Query()
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		t.Errorf("no PKCE in %s", authURL)
	}
	if q.Get("state") != "state-abc" || q.Get("client_id") != f.id || q.Get("redirect_uri") != redirectURI || q.Get("scope") != "read" {
		t.Errorf("authorization query = %v", q)
	}

	id, err := login(t, b)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if id.UID != "4242" {
		t.Errorf("UID = %q, want 4242", id.UID)
	}
	wantDetails := backend.Details{Username: "ada", Email: "ada@example.com", FullName: "Ada Lovelace", FirstName: "Ada", LastName: "Lovelace"}
	if !detailsEqual(id.Details, wantDetails) {
		t.Errorf("Details = %+v, want %+v", id.Details, wantDetails)
	}
	if id.Details.EmailVerified {
		t.Error("email marked verified without a mapping saying so")
	}
	if id.Token.AccessToken != "tok-123" || id.Token.RefreshToken != "refresh-1" || id.Token.TokenType != "bearer" {
		t.Errorf("Token = %+v", id.Token)
	}
	if want := time.Unix(1_700_000_000+3600, 0); !id.Token.Expiry.Equal(want) {
		t.Errorf("Expiry = %v, want %v", id.Token.Expiry, want)
	}
	if id.Token.Raw["scope"] != "read" {
		t.Errorf("Raw = %v", id.Token.Raw)
	}
	wantExtra := map[string]any{"access_token": "tok-123", "token_type": "bearer", "refresh_token": "refresh-1",
		"expires": int64(3600), "auth_time": int64(1_700_000_000)}
	if fmt.Sprint(id.ExtraData) != fmt.Sprint(wantExtra) {
		t.Errorf("ExtraData = %v, want %v", id.ExtraData, wantExtra)
	}

	// What the provider saw.
	tr := f.lastToken
	if ua := tr.Header.Get("User-Agent"); ua != "socialauth-test/1" {
		t.Errorf("token request User-Agent = %q", ua)
	}
	if tr.Header.Get("Accept") != "application/json" {
		t.Errorf("token request Accept = %q", tr.Header.Get("Accept"))
	}
	if _, _, ok := tr.BasicAuth(); !ok || f.lastForm.Has("client_secret") {
		t.Errorf("want client_secret_basic only; basic=%v form=%v", ok, f.lastForm)
	}
	if f.lastForm.Get("code_verifier") == "" {
		t.Error("no code_verifier sent")
	}
	if ua := f.lastUser.Header.Get("User-Agent"); ua != "socialauth-test/1" {
		t.Errorf("user request User-Agent = %q", ua)
	}
	if got := f.lastUser.Header.Get("Authorization"); got != "Bearer tok-123" {
		t.Errorf("user request Authorization = %q", got)
	}

	// The code is single use at the fake: a replayed callback fails.
	if _, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI,
		Params: url.Values{"code": {"code-1"}, "state": {"state-abc"}}, Stash: backend.Stash{"state": "state-abc", "verifier": "x", "redirect_uri": redirectURI}}); err == nil {
		t.Fatal("replayed code accepted")
	} else {
		wantKind(t, err, socialerr.AuthTokenError)
	}
}

func detailsEqual(a, b backend.Details) bool {
	return a.Username == b.Username && a.Email == b.Email && a.FullName == b.FullName &&
		a.FirstName == b.FirstName && a.LastName == b.LastName && a.EmailVerified == b.EmailVerified
}

func TestClientAuthentication(t *testing.T) {
	for _, tc := range []struct {
		name      string
		provider  oauth2.TokenAuthMethod
		setting   string
		wantBasic bool
	}{
		{"default basic", "", "", true},
		{"provider post", oauth2.ClientSecretPost, "", false},
		{"setting post", "", "client_secret_post", false},
		{"setting basic over provider post", oauth2.ClientSecretPost, "client_secret_basic", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			extra := settings.Map{}
			if tc.setting != "" {
				extra["SOCIAL_AUTH_TEST_TOKEN_AUTH_METHOD"] = tc.setting
			}
			b := mustNew(t, "test", oauth2.Provider{TokenAuth: tc.provider}, f.settings("test", extra))
			if _, err := login(t, b); err != nil {
				t.Fatalf("login: %v", err)
			}
			_, _, basic := f.lastToken.BasicAuth()
			posted := f.lastForm.Get("client_secret") == f.secret && f.lastForm.Get("client_id") == f.id
			if basic != tc.wantBasic || posted == tc.wantBasic {
				t.Errorf("basic=%v posted=%v, want basic=%v", basic, posted, tc.wantBasic)
			}
		})
	}
}

func TestAuthorizationURL(t *testing.T) {
	const auth = "https://provider.example.com/oauth/authorize?prompt=consent"
	base := settings.Map{"SOCIAL_AUTH_TEST_KEY": "id", "SOCIAL_AUTH_TEST_SECRET": "s",
		"SOCIAL_AUTH_TEST_AUTHORIZATION_URL": auth, "SOCIAL_AUTH_TEST_ACCESS_TOKEN_URL": "https://provider.example.com/token",
		"SOCIAL_AUTH_TEST_USER_DATA_URL": "https://provider.example.com/me"}
	for _, tc := range []struct {
		name     string
		provider oauth2.Provider
		settings settings.Map
		want     url.Values // parameters that must have these values
		absent   []string
	}{
		{"default scope", oauth2.Provider{DefaultScope: []string{"openid", "email"}}, nil,
			url.Values{"scope": {"openid email"}, "prompt": {"consent"}, "response_type": {"code"}}, nil},
		{"separator and added scope deduplicated", oauth2.Provider{DefaultScope: []string{"user", "repo"}, ScopeSeparator: ","},
			settings.Map{"SOCIAL_AUTH_TEST_SCOPE": []string{"repo", "read:org", "user"}},
			url.Values{"scope": {"user,repo,read:org"}}, nil},
		{"separator setting", oauth2.Provider{DefaultScope: []string{"a", "b"}},
			settings.Map{"SOCIAL_AUTH_TEST_SCOPE_SEPARATOR": "+"}, url.Values{"scope": {"a+b"}}, nil},
		{"ignore default scope", oauth2.Provider{DefaultScope: []string{"openid", "email"}},
			settings.Map{"SOCIAL_AUTH_TEST_IGNORE_DEFAULT_SCOPE": true, "SOCIAL_AUTH_TEST_SCOPE": "profile"},
			url.Values{"scope": {"profile"}}, nil},
		{"no scope at all", oauth2.Provider{}, nil, nil, []string{"scope"}},
		{"scope parameter name", oauth2.Provider{DefaultScope: []string{"x"}, ScopeParameterName: "perms"}, nil,
			url.Values{"perms": {"x"}}, []string{"scope"}},
		{"extra arguments, from JSON text", oauth2.Provider{DefaultScope: []string{"read"}},
			settings.Map{"SOCIAL_AUTH_TEST_AUTH_EXTRA_ARGUMENTS": `{"access_type":"offline","scope":"read write"}`},
			url.Values{"access_type": {"offline"}, "scope": {"read write"}}, nil},
		{"global extra arguments", oauth2.Provider{},
			settings.Map{"SOCIAL_AUTH_AUTH_EXTRA_ARGUMENTS": map[string]string{"display": "touch"}},
			url.Values{"display": {"touch"}}, nil},
		{"response type", oauth2.Provider{ResponseType: "code id_token"}, nil, url.Values{"response_type": {"code id_token"}}, nil},
		{"pkce off by provider", oauth2.Provider{DisablePKCE: true}, nil, nil, []string{"code_challenge", "code_challenge_method"}},
		{"pkce off by setting", oauth2.Provider{}, settings.Map{"SOCIAL_AUTH_TEST_UNSAFE_DISABLE_PKCE": "true"}, nil,
			[]string{"code_challenge", "code_challenge_method"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := settings.Map{}
			for k, v := range base {
				m[k] = v
			}
			for k, v := range tc.settings {
				m[k] = v
			}
			b := mustNew(t, "test", tc.provider, m)
			res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "st"})
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(res.RedirectURL)
			if err != nil {
				t.Fatal(err)
			}
			if u.Host != "provider.example.com" || u.Path != "/oauth/authorize" {
				t.Errorf("URL = %s", u)
			}
			q := u.Query()
			if q.Get("prompt") != "consent" {
				t.Errorf("query of AUTHORIZATION_URL lost: %s", u)
			}
			for k, v := range tc.want {
				if !slices.Equal(q[k], v) {
					t.Errorf("%s = %q, want %q (URL %s)", k, q[k], v, u)
				}
			}
			for _, k := range tc.absent {
				if q.Has(k) {
					t.Errorf("%s present: %s", k, u)
				}
			}
			_, hasVerifier := res.Stash["verifier"]
			if hasVerifier != q.Has("code_challenge") {
				t.Errorf("stash verifier %v but challenge %v", hasVerifier, q.Has("code_challenge"))
			}
			if res.Stash["state"] != "st" || res.Stash["redirect_uri"] != redirectURI {
				t.Errorf("Stash = %v", res.Stash)
			}
		})
	}
}

func TestPKCEVerifierIsFreshAndChecked(t *testing.T) {
	f := newFake(t)
	b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil))
	s1, _, _ := authorizeReply(t, b)
	s2, params, _ := authorizeReply(t, b)
	if s1["verifier"] == s2["verifier"] || len(s1["verifier"]) < 43 {
		t.Fatalf("verifiers %q and %q: want fresh 43+ characters", s1["verifier"], s2["verifier"])
	}
	// The provider refuses the exchange when the verifier does not match.
	s2["verifier"] = s1["verifier"]
	_, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: s2})
	wantKind(t, err, socialerr.AuthTokenError)
	// A stash without verifier is not a stash from this backend.
	delete(s2, "verifier")
	_, err = b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: s2})
	wantKind(t, err, socialerr.AuthStateMissing)
}

func TestCallbackChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mangle func(stash backend.Stash, params url.Values) backend.Stash
		kind   socialerr.Kind
	}{
		{"no stash", func(backend.Stash, url.Values) backend.Stash { return nil }, socialerr.AuthStateMissing},
		{"no state in stash", func(s backend.Stash, _ url.Values) backend.Stash { delete(s, "state"); return s }, socialerr.AuthStateMissing},
		{"no state in reply", func(s backend.Stash, p url.Values) backend.Stash { p.Del("state"); return s }, socialerr.AuthStateMissing},
		{"wrong state", func(s backend.Stash, p url.Values) backend.Stash { p.Set("state", "forged"); return s }, socialerr.AuthStateForbidden},
		{"state prefix", func(s backend.Stash, p url.Values) backend.Stash { p.Set("state", "state-ab"); return s }, socialerr.AuthStateForbidden},
		{"no code", func(s backend.Stash, p url.Values) backend.Stash { p.Del("code"); return s }, socialerr.AuthMissingParameter},
		{"provider error", func(s backend.Stash, p url.Values) backend.Stash { p.Set("error", "server_error"); return s }, socialerr.AuthFailed},
		{"access denied", func(s backend.Stash, p url.Values) backend.Stash { p.Set("error", "access_denied"); return s }, socialerr.AuthCanceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil))
			stash, params, _ := authorizeReply(t, b)
			stash = tc.mangle(stash, params)
			id, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: stash})
			wantKind(t, err, tc.kind)
			if id != nil {
				t.Error("identity returned with an error")
			}
			if f.lastToken != nil {
				t.Error("the token endpoint was called for a rejected callback")
			}
			if tc.kind == socialerr.AuthMissingParameter {
				var se *socialerr.Error
				if !errors.As(err, &se) || se.Param != "code" {
					t.Errorf("error %v does not name the code", err)
				}
			}
		})
	}
}

func TestAccessDeniedAtProvider(t *testing.T) {
	f := newFake(t)
	f.denied = true
	b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil))
	_, err := login(t, b)
	wantKind(t, err, socialerr.AuthCanceled)
	var pe *socialerr.ProviderError
	if !errors.As(err, &pe) || pe.Code != "access_denied" || pe.Description != "The user said no" {
		t.Errorf("error = %#v", err)
	}
}

func TestTokenReplies(t *testing.T) {
	big := strings.Repeat("x", oauth2.MaxReplySize+10)
	for _, tc := range []struct {
		name        string
		contentType string
		status      int
		body        string
		kind        socialerr.Kind // "" for success
		code        string
		tooLarge    bool
	}{
		{"json", "application/json", 200, `{"access_token":"tok-123","token_type":"bearer"}`, "", "", false},
		{"json with charset", "application/json; charset=utf-8", 200, `{"access_token":"tok-123"}`, "", "", false},
		{"form", "application/x-www-form-urlencoded", 200, "access_token=tok-123&token_type=bearer&expires_in=60", "", "", false},
		{"form sent as text/plain", "text/plain", 200, "access_token=tok-123&scope=user", "", "", false},
		{"form without content type", "", 200, "access_token=tok-123", "", "", false},
		{"error json 400", "application/json", 400, `{"error":"invalid_grant","error_description":"bad code","error_uri":"https://e/x"}`, socialerr.AuthTokenError, "invalid_grant", false},
		{"error in a 200 reply", "application/json", 200, `{"error":"bad_verification_code"}`, socialerr.AuthTokenError, "bad_verification_code", false},
		{"error in a form reply", "application/x-www-form-urlencoded", 200, "error=incorrect_client_credentials", socialerr.AuthTokenError, "incorrect_client_credentials", false},
		{"html 500", "text/html", 500, "<html>oops</html>", socialerr.AuthTokenError, "", false},
		{"no access token", "application/json", 200, `{"token_type":"bearer"}`, socialerr.AuthTokenError, "", false},
		{"empty access token", "application/json", 200, `{"access_token":""}`, socialerr.AuthTokenError, "", false},
		{"malformed json", "application/json", 200, `{"access_token":`, socialerr.AuthUnknownError, "", false},
		{"json array", "application/json", 200, `["tok"]`, socialerr.AuthUnknownError, "", false},
		{"too large", "application/json", 200, `{"access_token":"` + big + `"}`, socialerr.AuthUnknownError, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.tokenReply = func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				} else {
					w.Header()["Content-Type"] = nil
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}
			b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil))
			id, err := login(t, b)
			if tc.kind == "" {
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				if id.Token.AccessToken != "tok-123" {
					t.Errorf("token = %+v", id.Token)
				}
				return
			}
			wantKind(t, err, tc.kind)
			if f.lastUser != nil {
				t.Error("user data fetched after a failed exchange")
			}
			var pe *socialerr.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not a ProviderError", err)
			}
			if pe.StatusCode != tc.status || pe.Code != tc.code || len(pe.Body) > socialerr.MaxBodyCopy {
				t.Errorf("ProviderError status=%d code=%q body=%d bytes", pe.StatusCode, pe.Code, len(pe.Body))
			}
			if errors.Is(err, oauth2.ErrReplyTooLarge) != tc.tooLarge {
				t.Errorf("ErrReplyTooLarge = %v, want %v", !tc.tooLarge, tc.tooLarge)
			}
		})
	}
}

func TestSlowProvider(t *testing.T) {
	f := newFake(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.tokenReply = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	t.Run("client timeout", func(t *testing.T) {
		cfg := config("test", f.settings("test", nil))
		cfg.HTTPClient = &http.Client{Timeout: 150 * time.Millisecond}
		b, err := oauth2.New(cfg, oauth2.Provider{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = login(t, b)
		wantKind(t, err, socialerr.AuthUnreachableProvider)
		if time.Since(start) > 3*time.Second {
			t.Errorf("took %v", time.Since(start))
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil))
		stash, params, _ := authorizeReply(t, b)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := b.Complete(ctx, &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: stash})
		wantKind(t, err, socialerr.AuthUnreachableProvider)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v does not wrap context.DeadlineExceeded", err)
		}
	})
}

func TestUserDataReplies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		kind   socialerr.Kind
	}{
		{"unauthorized", 401, `{"message":"Bad credentials"}`, socialerr.AuthTokenError},
		{"forbidden", 403, `{}`, socialerr.AuthTokenError},
		{"server error", 502, `bad gateway`, socialerr.AuthUnknownError},
		{"not found", 404, `{}`, socialerr.AuthUnknownError},
		{"malformed json", 200, `{"id":`, socialerr.AuthUnknownError},
		{"not an object", 200, `[1,2]`, socialerr.AuthUnknownError},
		{"null", 200, `null`, socialerr.AuthUnknownError},
		{"trailing garbage", 200, `{"id":1} {"id":2}`, socialerr.AuthUnknownError},
		{"no id", 200, `{"username":"ada"}`, socialerr.AuthUnknownError},
		{"empty id", 200, `{"id":""}`, socialerr.AuthUnknownError},
		{"object id", 200, `{"id":{"a":1}}`, socialerr.AuthUnknownError},
		{"too large", 200, `{"id":1,"pad":"` + strings.Repeat("y", oauth2.MaxReplySize) + `"}`, socialerr.AuthUnknownError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.userReply = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}
			b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil))
			id, err := login(t, b)
			wantKind(t, err, tc.kind)
			if id != nil {
				t.Error("identity returned with an error")
			}
		})
	}
}

func TestIDKeyAndDetailsPaths(t *testing.T) {
	f := newFake(t)
	f.user = map[string]any{"data": map[string]any{
		"account": map[string]any{"id": json.Number("12345678901234567890")},
		"profile": map[string]any{"mail": "grace@example.com", "mail_ok": true, "given": "Grace", "family": "Hopper", "nick": "amazing"},
	}}
	b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", settings.Map{
		"SOCIAL_AUTH_TEST_ID_KEY":             "data.account.id",
		"SOCIAL_AUTH_TEST_USERNAME_KEY":       "data.profile.nick",
		"SOCIAL_AUTH_TEST_EMAIL_KEY":          "data.profile.mail",
		"SOCIAL_AUTH_TEST_EMAIL_VERIFIED_KEY": "data.profile.mail_ok",
		"SOCIAL_AUTH_TEST_FIRST_NAME_KEY":     "data.profile.given",
		"SOCIAL_AUTH_TEST_LAST_NAME_KEY":      "data.profile.family",
	}))
	id, err := login(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "12345678901234567890" {
		t.Errorf("UID = %q", id.UID)
	}
	want := backend.Details{Username: "amazing", Email: "grace@example.com", EmailVerified: true,
		FullName: "Grace Hopper", FirstName: "Grace", LastName: "Hopper"}
	if !detailsEqual(id.Details, want) {
		t.Errorf("Details = %+v, want %+v", id.Details, want)
	}
}

func TestUIDFormatting(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`1e3`, "1000"}, {`42.0`, "42"}, {`"abc-1"`, "abc-1"}, {`9007199254740993`, "9007199254740993"},
		{`123456789012345678901234567890`, "123456789012345678901234567890"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			f := newFake(t)
			f.userReply = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = fmt.Fprintf(w, `{"id":%s}`, tc.raw)
			}
			id, err := login(t, mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil)))
			if err != nil {
				t.Fatal(err)
			}
			if id.UID != tc.want {
				t.Errorf("UID = %q, want %q", id.UID, tc.want)
			}
		})
	}
}

func TestExtraData(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setting any
	}{
		{"go values", []any{"username", []any{"avatar", "picture"}, []any{"bio", "bio", true}, []any{"scope", "granted_scope"},
			[]any{"missing", "missing"}, []any{"kept", "kept", true}}},
		{"json text", `["username", ["avatar", "picture"], ["bio", "bio", true], ["scope", "granted_scope"], ["missing"], ["kept", "kept", true]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.user = map[string]any{"id": 1, "username": "ada", "avatar": "https://img/1", "bio": "", "kept": "yes"}
			b := mustNew(t, "test", oauth2.Provider{ExtraData: []oauth2.ExtraField{{Name: "ignored"}}},
				f.settings("test", settings.Map{"SOCIAL_AUTH_TEST_EXTRA_DATA": tc.setting}))
			id, err := login(t, b)
			if err != nil {
				t.Fatal(err)
			}
			x := id.ExtraData
			if x["username"] != "ada" || x["picture"] != "https://img/1" || x["granted_scope"] != "read" || x["kept"] != "yes" {
				t.Errorf("ExtraData = %v", x)
			}
			if _, ok := x["bio"]; ok {
				t.Errorf("empty discardable bio stored: %v", x)
			}
			if v, ok := x["missing"]; !ok || v != nil {
				t.Errorf("missing non-discardable field: %v, %v (want a nil entry)", v, ok)
			}
			if _, ok := x["ignored"]; ok {
				t.Error("the setting did not replace the provider's EXTRA_DATA")
			}
			if !id.KeepOldIfEmpty["bio"] || !id.KeepOldIfEmpty["kept"] || id.KeepOldIfEmpty["picture"] {
				t.Errorf("KeepOldIfEmpty = %v", id.KeepOldIfEmpty)
			}
		})
	}
}

func TestEndpointOverrides(t *testing.T) {
	f := newFake(t)
	p := oauth2.Provider{
		AuthorizationURL: "https://provider.invalid/authorize",
		AccessTokenURL:   "https://provider.invalid/token",
		APIURL:           "https://api.provider.invalid/v1",
		UserDataURL:      "user",
	}
	b := mustNew(t, "test", p, settings.Map{
		"SOCIAL_AUTH_TEST_KEY": f.id, "SOCIAL_AUTH_TEST_SECRET": f.secret,
		"SOCIAL_AUTH_TEST_AUTHORIZATION_URL": f.url("/authorize"),
		"SOCIAL_AUTH_TEST_ACCESS_TOKEN_URL":  f.url("/token"),
		"SOCIAL_AUTH_TEST_API_URL":           f.srv.URL, // the relative user URL follows it
	})
	id, err := login(t, b)
	if err != nil {
		t.Fatalf("login through overridden endpoints: %v", err)
	}
	if id.UID != "4242" {
		t.Errorf("UID = %q", id.UID)
	}
}

func TestTokenInQueryNeverLeaks(t *testing.T) {
	f := newFake(t)
	b := mustNew(t, "test", oauth2.Provider{UserDataAuth: oauth2.TokenInQuery}, f.settings("test", nil))
	if _, err := login(t, b); err != nil {
		t.Fatal(err)
	}
	if f.lastUser.Header.Get("Authorization") != "" || f.lastUser.URL.Query().Get("access_token") != "tok-123" {
		t.Errorf("user request: header %q query %q", f.lastUser.Header.Get("Authorization"), f.lastUser.URL.RawQuery)
	}

	f.userReply = func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }
	_, err := login(t, b)
	wantKind(t, err, socialerr.AuthUnknownError)
	if strings.Contains(err.Error(), "tok-123") {
		t.Errorf("token in error: %v", err)
	}

	// Unreachable user endpoint: the transport error names the URL.
	dead := newFake(t)
	dead.srv.Close()
	b = mustNew(t, "test", oauth2.Provider{UserDataAuth: oauth2.TokenInQuery}, f.settings("test", settings.Map{
		"SOCIAL_AUTH_TEST_USER_DATA_URL": dead.url("/user")}))
	f.userReply = nil
	_, err = login(t, b)
	wantKind(t, err, socialerr.AuthUnreachableProvider)
	if strings.Contains(err.Error(), "tok-123") || !strings.Contains(err.Error(), dead.srv.URL) {
		t.Errorf("error = %v", err)
	}
}

func TestTokenMethodGET(t *testing.T) {
	f := newFake(t)
	b := mustNew(t, "test", oauth2.Provider{TokenMethod: http.MethodGet, TokenAuth: oauth2.ClientSecretPost}, f.settings("test", nil))
	if _, err := login(t, b); err != nil {
		t.Fatal(err)
	}
	if f.lastToken.Method != http.MethodGet || f.lastToken.URL.Query().Get("code") == "" {
		t.Errorf("token request %s %s", f.lastToken.Method, f.lastToken.URL)
	}
}

func TestRedirectState(t *testing.T) {
	f := newFake(t)
	p := oauth2.Provider{DisableStateParameter: true, RedirectState: true}
	b := mustNew(t, "test", p, f.settings("test", nil))
	stash, params, authURL := authorizeReply(t, b)
	if authURL.Query().Has("state") {
		t.Errorf("state parameter sent: %s", authURL)
	}
	sent, _ := url.Parse(authURL.Query().Get("redirect_uri"))
	if sent.Query().Get("redirect_state") != "state-abc" {
		t.Fatalf("redirect_uri = %s", sent)
	}
	if params.Get("redirect_state") != "state-abc" {
		t.Fatalf("callback params = %v", params)
	}
	forged := url.Values{"code": params["code"], "redirect_state": {"other"}}
	_, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: forged, Stash: stash})
	wantKind(t, err, socialerr.AuthStateForbidden)
	// the real reply works, and the exchange sends the same redirect_uri.
	if _, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: params, Stash: stash}); err != nil {
		t.Fatal(err)
	}
	if f.lastForm.Get("redirect_uri") != sent.String() {
		t.Errorf("exchange redirect_uri = %q, want %q", f.lastForm.Get("redirect_uri"), sent)
	}

	// The settings turn the modes on and off.
	b = mustNew(t, "test", oauth2.Provider{}, f.settings("test", settings.Map{
		"SOCIAL_AUTH_TEST_STATE_PARAMETER": false, "SOCIAL_AUTH_TEST_REDIRECT_STATE": true}))
	_, _, authURL = authorizeReply(t, b)
	if authURL.Query().Has("state") || !strings.Contains(authURL.Query().Get("redirect_uri"), "redirect_state=") {
		t.Errorf("settings ignored: %s", authURL)
	}
}

func TestNoStateIsRefused(t *testing.T) {
	f := newFake(t)
	p := oauth2.Provider{DisableStateParameter: true}
	_, err := oauth2.New(config("test", f.settings("test", nil)), p)
	if err == nil || !strings.Contains(err.Error(), "SOCIAL_AUTH_TEST_UNSAFE_NO_STATE") {
		t.Fatalf("New without any state = %v", err)
	}
	b := mustNew(t, "test", p, f.settings("test", settings.Map{"SOCIAL_AUTH_TEST_UNSAFE_NO_STATE": true}))
	if _, err := login(t, b); err != nil {
		t.Fatalf("login without state when allowed: %v", err)
	}
}

func TestSettingsValidation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		provider oauth2.Provider
		settings settings.Map
		want     []string // substrings of the error; nil means success
	}{
		{"missing everything", oauth2.Provider{}, settings.Map{},
			[]string{"SOCIAL_AUTH_TEST_KEY is not set", "SOCIAL_AUTH_TEST_SECRET is not set",
				"SOCIAL_AUTH_TEST_AUTHORIZATION_URL is not set", "SOCIAL_AUTH_TEST_ACCESS_TOKEN_URL is not set",
				"SOCIAL_AUTH_TEST_USER_DATA_URL is not set"}},
		{"http endpoint", oauth2.Provider{AuthorizationURL: "http://provider.example.com/auth"}, nil,
			[]string{"SOCIAL_AUTH_TEST_AUTHORIZATION_URL", "http"}},
		{"http allowed by unsafe setting", oauth2.Provider{AuthorizationURL: "http://provider.example.com/auth"},
			settings.Map{"SOCIAL_AUTH_TEST_UNSAFE_ALLOW_HTTP_ENDPOINTS": true}, nil},
		{"http on localhost", oauth2.Provider{AuthorizationURL: "http://localhost:8080/auth", AccessTokenURL: "http://[::1]:9/t"}, nil, nil},
		{"other scheme", oauth2.Provider{UserDataURL: "ftp://provider.example.com/me"}, nil, []string{"SOCIAL_AUTH_TEST_USER_DATA_URL", "ftp"}},
		{"relative without API URL", oauth2.Provider{UserDataURL: "me"}, nil, []string{"SOCIAL_AUTH_TEST_USER_DATA_URL", "API_URL"}},
		{"relative with API URL", oauth2.Provider{UserDataURL: "me", APIURL: "https://api.example.com/v2"}, nil, nil},
		{"bad token auth", oauth2.Provider{}, settings.Map{"SOCIAL_AUTH_TEST_TOKEN_AUTH_METHOD": "private_key_jwt"},
			[]string{"SOCIAL_AUTH_TEST_TOKEN_AUTH_METHOD"}},
		{"extra argument replacing state", oauth2.Provider{}, settings.Map{"SOCIAL_AUTH_TEST_AUTH_EXTRA_ARGUMENTS": map[string]string{"state": "x"}},
			[]string{"SOCIAL_AUTH_TEST_AUTH_EXTRA_ARGUMENTS", `"state"`}},
		{"bad extra data", oauth2.Provider{}, settings.Map{"SOCIAL_AUTH_TEST_EXTRA_DATA": []any{[]any{"a", "b", "yes"}, 3}},
			[]string{"SOCIAL_AUTH_TEST_EXTRA_DATA: item 0", "SOCIAL_AUTH_TEST_EXTRA_DATA: item 1"}},
		{"malformed bool", oauth2.Provider{}, settings.Map{"SOCIAL_AUTH_TEST_REDIRECT_STATE": "maybe"},
			[]string{"SOCIAL_AUTH_TEST_REDIRECT_STATE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := settings.Map{"SOCIAL_AUTH_TEST_KEY": "k", "SOCIAL_AUTH_TEST_SECRET": "s"}
			if tc.settings != nil {
				m = tc.settings
				if _, ok := m["SOCIAL_AUTH_TEST_KEY"]; !ok && tc.name != "missing everything" {
					m["SOCIAL_AUTH_TEST_KEY"], m["SOCIAL_AUTH_TEST_SECRET"] = "k", "s"
				}
			}
			p := tc.provider
			p.AuthorizationURL = cmpOr(p.AuthorizationURL, "https://p.example.com/a")
			p.AccessTokenURL = cmpOr(p.AccessTokenURL, "https://p.example.com/t")
			p.UserDataURL = cmpOr(p.UserDataURL, "https://p.example.com/u")
			if tc.name == "missing everything" {
				p = oauth2.Provider{}
			}
			b, err := oauth2.New(config("test", m), p)
			if tc.want == nil {
				if err != nil || b == nil {
					t.Fatalf("New = %v", err)
				}
				return
			}
			if err == nil || b != nil {
				t.Fatalf("New succeeded, want an error with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.name == "missing everything" {
				var se *oauth2.SettingError
				if !errors.Is(err, oauth2.ErrNotSet) || !errors.As(err, &se) || se.Name != "SOCIAL_AUTH_TEST_KEY" {
					t.Errorf("error %v: not an ErrNotSet SettingError for the key first", err)
				}
			}
		})
	}
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func TestGlobalSettingFallback(t *testing.T) {
	f := newFake(t)
	m := f.settings("test", nil)
	delete(m, "SOCIAL_AUTH_TEST_KEY")
	m["SOCIAL_AUTH_KEY"] = f.id
	if _, err := login(t, mustNew(t, "test", oauth2.Provider{}, m)); err != nil {
		t.Fatalf("login with SOCIAL_AUTH_KEY: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	f := newFake(t)
	b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil))
	r, ok := b.(backend.Refresher)
	if !ok {
		t.Fatal("not a Refresher")
	}
	f.token = "tok-2"
	tok, err := r.Refresh(t.Context(), "refresh-1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-2" || tok.RefreshToken != "refresh-1" || f.lastForm.Get("grant_type") != "refresh_token" {
		t.Errorf("token %+v, form %v", tok, f.lastForm)
	}
	_, err = r.Refresh(t.Context(), "revoked")
	wantKind(t, err, socialerr.AuthTokenError)
	_, err = r.Refresh(t.Context(), "")
	wantKind(t, err, socialerr.AuthMissingParameter)

	// REFRESH_TOKEN_URL moves the refresh call, and a reply without a
	// new refresh token keeps the old one.
	var hits int
	f.mux.HandleFunc("POST /refresh", func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"tok-3","expires_in":"120"}`))
	})
	b = mustNew(t, "test", oauth2.Provider{}, f.settings("test", settings.Map{"SOCIAL_AUTH_TEST_REFRESH_TOKEN_URL": f.url("/refresh")}))
	tok, err = b.(backend.Refresher).Refresh(t.Context(), "keep-me")
	if err != nil || hits != 1 || tok.AccessToken != "tok-3" || tok.RefreshToken != "keep-me" || tok.Expiry.IsZero() {
		t.Errorf("refresh via REFRESH_TOKEN_URL: %+v, %v, hits %d", tok, err, hits)
	}
}

func TestRevoke(t *testing.T) {
	f := newFake(t)
	var got url.Values
	status := http.StatusOK
	f.mux.HandleFunc("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got = r.PostForm
		w.WriteHeader(status)
	})
	b := mustNew(t, "test", oauth2.Provider{}, f.settings("test", settings.Map{"SOCIAL_AUTH_TEST_REVOKE_TOKEN_URL": f.url("/revoke")}))
	rv := b.(backend.Revoker)
	if err := rv.Revoke(t.Context(), map[string]any{"access_token": "tok-123"}); err != nil {
		t.Fatal(err)
	}
	if got.Get("token") != "tok-123" || got.Get("token_type_hint") != "access_token" {
		t.Errorf("revocation form = %v", got)
	}
	status = http.StatusBadRequest
	wantKind(t, rv.Revoke(t.Context(), map[string]any{"access_token": "tok-123"}), socialerr.AuthTokenError)
	status = http.StatusServiceUnavailable
	wantKind(t, rv.Revoke(t.Context(), map[string]any{"access_token": "tok-123"}), socialerr.AuthUnknownError)

	// Without a revocation URL there is nothing to call.
	got = nil
	b = mustNew(t, "test", oauth2.Provider{}, f.settings("test", nil))
	if err := b.(backend.Revoker).Revoke(t.Context(), map[string]any{"access_token": "tok-123"}); err != nil || got != nil {
		t.Errorf("Revoke without URL = %v (called: %v)", err, got != nil)
	}
}

func TestHooks(t *testing.T) {
	f := newFake(t)
	f.mux.HandleFunc("GET /api/extra", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			http.Error(w, "{}", http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"plan":"pro","verified":true}`))
	})
	p := oauth2.Provider{
		APIURL: f.url("/api/"),
		Hooks: oauth2.Hooks{
			UserData: func(ctx context.Context, c *oauth2.Caller, tok *backend.Token) (map[string]any, error) {
				resp, err := c.UserData(ctx, tok)
				if err != nil {
					return nil, err
				}
				u, err := c.Resolve("extra")
				if err != nil {
					return nil, err
				}
				var extra map[string]any
				if err := c.GetJSON(ctx, u, tok, &extra); err != nil {
					return nil, err
				}
				resp["plan"], resp["verified"] = extra["plan"], extra["verified"]
				return resp, nil
			},
			MapDetails: func(resp map[string]any, d *backend.Details) {
				d.EmailVerified = resp["verified"] == true
				d.Extra = map[string]any{"plan": resp["plan"]}
			},
			UID: func(resp map[string]any, d backend.Details) (string, error) { return "u:" + d.Username, nil },
		},
	}
	id, err := login(t, mustNew(t, "test", p, f.settings("test", nil)))
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "u:ada" || !id.Details.EmailVerified || id.Details.Extra["plan"] != "pro" || id.Response["plan"] != "pro" {
		t.Errorf("identity = %+v", id)
	}
}

func TestEndpointSettingsAreNeverGlobal(t *testing.T) {
	f := newFake(t)
	m := f.settings("test", settings.Map{
		// Global values must not move a backend's endpoints.
		"SOCIAL_AUTH_USER_DATA_URL": "https://attacker.example.com/steal",
		"USER_DATA_URL":             "https://attacker.example.com/steal",
		"API_URL":                   "https://attacker.example.com/",
		"SOCIAL_AUTH_ID_KEY":        "email",
	})
	b := mustNew(t, "test", oauth2.Provider{}, m)
	id, err := login(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "4242" || f.lastUser == nil {
		t.Errorf("global settings changed the backend: uid %q", id.UID)
	}
	// A relative endpoint with only a global API_URL is an error.
	_, err = oauth2.New(config("test", settings.Map{"SOCIAL_AUTH_TEST_KEY": "k", "SOCIAL_AUTH_TEST_SECRET": "s",
		"API_URL": "https://api.example.com/"}), oauth2.Provider{AuthorizationURL: "https://p.example.com/a",
		AccessTokenURL: "https://p.example.com/t", UserDataURL: "me"})
	if err == nil || !strings.Contains(err.Error(), "SOCIAL_AUTH_TEST_API_URL is not set") {
		t.Errorf("New = %v", err)
	}
}
