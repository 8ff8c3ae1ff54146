package localidp_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/localidp"
)

func TestCodeFlowWithPKCE(t *testing.T) {
	e := newEnv(t)
	verifier, challenge := pkcePair()
	page := e.openLogin(authParams(challenge))
	for _, want := range []string{"Sign in to Example App", "app.example", "<li>profile</li>", `<label for="username">`, `<label for="email">`, `lang="en"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	r := e.submit(page, "approve", alice)
	if r.status != http.StatusSeeOther {
		t.Fatalf("form post: %d %s", r.status, r.body)
	}
	loc := r.location(t)
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "https://app.example/complete/local/" {
		t.Errorf("redirected to %s", got)
	}
	q := loc.Query()
	if q.Get("keep") != "1" || q.Get("state") != "st-123" || q.Get("iss") != e.base {
		t.Errorf("callback query = %v: want keep=1, state echoed, iss", q)
	}

	tr := e.exchange(q.Get("code"), verifier)
	if tr.status != http.StatusOK {
		t.Fatalf("token: %d %s", tr.status, tr.body)
	}
	if tr.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(tr.header.Get("Content-Type"), "application/json") {
		t.Errorf("token reply headers: %v", tr.header)
	}
	tok := tr.json(t)
	if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(3600) || tok["scope"] != "profile email" ||
		tok["access_token"] == "" || tok["refresh_token"] == "" {
		t.Errorf("token reply = %v", tok)
	}

	ur := e.userinfo(tok["access_token"].(string))
	if ur.status != http.StatusOK {
		t.Fatalf("userinfo: %d %s", ur.status, ur.body)
	}
	u := ur.json(t)
	want := map[string]any{"username": "alice", "name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell",
		"email": "alice@example.com", "email_verified": true}
	for k, v := range want {
		if u[k] != v {
			t.Errorf("userinfo[%s] = %v, want %v", k, u[k], v)
		}
	}
	if u["id"] == "" || u["id"] != u["sub"] {
		t.Errorf("id = %v, sub = %v", u["id"], u["sub"])
	}

	// The same username is the same account.
	tok2 := e.tokens()
	u2 := e.userinfo(tok2["access_token"].(string)).json(t)
	if u2["id"] != u["id"] {
		t.Errorf("second login id %v differs from %v", u2["id"], u["id"])
	}
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name   string
		pkce   bool
		form   func(code, verifier string) url.Values
		header []string
		status int
		error  string
	}{
		{"wrong verifier", true, func(c, v string) url.Values {
			other, _ := pkcePair()
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {other}}
		}, nil, 400, "invalid_grant"},
		{"missing verifier", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}}
		}, nil, 400, "invalid_grant"},
		{"malformed verifier", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {"short"}}
		}, nil, 400, "invalid_grant"},
		{"verifier without challenge", false, func(c, v string) url.Values {
			other, _ := pkcePair()
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {other}}
		}, nil, 400, "invalid_grant"},
		{"wrong redirect_uri", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {"https://app.example/second"}, "code_verifier": {v}}
		}, nil, 400, "invalid_grant"},
		{"missing redirect_uri", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "code_verifier": {v}}
		}, nil, 400, "invalid_grant"},
		{"unknown code", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c + "x"}, "redirect_uri": {callback}, "code_verifier": {v}}
		}, nil, 400, "invalid_grant"},
		{"missing code", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "redirect_uri": {callback}, "code_verifier": {v}}
		}, nil, 400, "invalid_request"},
		{"wrong client secret", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {v}}
		}, []string{"Authorization", basic(clientID, "nope")}, 401, "invalid_client"},
		{"unknown client", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {v}}
		}, []string{"Authorization", basic("ghost", clientSecret)}, 401, "invalid_client"},
		{"no client authentication", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {v}}
		}, []string{"Authorization", ""}, 401, "invalid_client"},
		{"two client authentication methods", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "client_secret": {clientSecret}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {v}}
		}, nil, 400, "invalid_request"},
		{"code of another client", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {callback}, "code_verifier": {v}}
		}, []string{"Authorization", basic(otherID, otherSecret)}, 400, "invalid_grant"},
		{"unsupported grant type", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}
		}, nil, 400, "unsupported_grant_type"},
		{"missing grant type", true, func(c, v string) url.Values {
			return url.Values{"code": {c}}
		}, nil, 400, "invalid_request"},
		{"repeated parameter", true, func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c, c}, "redirect_uri": {callback}, "code_verifier": {v}}
		}, nil, 400, "invalid_request"},
		{"json body", true, func(c, v string) url.Values { return nil }, []string{"Content-Type", "application/json"}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			verifier, challenge := "", ""
			if tt.pkce {
				verifier, challenge = pkcePair()
			}
			code := e.code(authParams(challenge))
			header := append([]string{"Authorization", basic(clientID, clientSecret)}, tt.header...)
			var r reply
			if form := tt.form(code, verifier); form != nil {
				r = e.post(e.base+"/token", form, header...)
			} else {
				req, _ := http.NewRequest(http.MethodPost, e.base+"/token", strings.NewReader(`{"grant_type":"authorization_code","code":"`+code+`"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", basic(clientID, clientSecret))
				r = e.do(req)
			}
			wantTokenError(t, r, tt.status, tt.error)
			if tt.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without WWW-Authenticate: Basic: %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestFailedRedemptionSpendsCode(t *testing.T) {
	e := newEnv(t)
	verifier, challenge := pkcePair()
	code := e.code(authParams(challenge))
	other, _ := pkcePair()
	wantTokenError(t, e.exchange(code, other), 400, "invalid_grant")
	// The right verifier now comes too late: a code is tried once.
	wantTokenError(t, e.exchange(code, verifier), 400, "invalid_grant")
}

func TestReplayedCodeRevokesItsTokens(t *testing.T) {
	e := newEnv(t)
	verifier, challenge := pkcePair()
	code := e.code(authParams(challenge))
	first := e.exchange(code, verifier)
	if first.status != http.StatusOK {
		t.Fatalf("first exchange: %d %s", first.status, first.body)
	}
	tok := first.json(t)
	access := tok["access_token"].(string)
	if r := e.userinfo(access); r.status != http.StatusOK {
		t.Fatalf("userinfo before replay: %d", r.status)
	}
	// An unrelated login keeps working after the replay.
	bystander := e.tokens()["access_token"].(string)

	wantTokenError(t, e.exchange(code, verifier), 400, "invalid_grant")

	if r := e.userinfo(access); r.status != http.StatusUnauthorized {
		t.Errorf("access token from replayed code: userinfo %d, want 401", r.status)
	}
	r := e.post(e.base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}},
		"Authorization", basic(clientID, clientSecret))
	wantTokenError(t, r, 400, "invalid_grant")
	if r := e.userinfo(bystander); r.status != http.StatusOK {
		t.Errorf("unrelated token revoked too: %d", r.status)
	}
}

func TestExpiredCode(t *testing.T) {
	e := newEnv(t)
	verifier, challenge := pkcePair()
	code := e.code(authParams(challenge))
	e.clock.Advance(localidp.DefaultCodeTTL + time.Second)
	wantTokenError(t, e.exchange(code, verifier), 400, "invalid_grant")
}

func TestClientAuthentication(t *testing.T) {
	tests := []struct {
		name   string
		method localidp.AuthMethod
		post   bool // client_secret_post instead of client_secret_basic
		status int
	}{
		{"any accepts basic", localidp.AuthMethodAny, false, 200},
		{"any accepts post", localidp.AuthMethodAny, true, 200},
		{"basic only accepts basic", localidp.ClientSecretBasic, false, 200},
		{"basic only refuses post", localidp.ClientSecretBasic, true, 401},
		{"post only accepts post", localidp.ClientSecretPost, true, 200},
		{"post only refuses basic", localidp.ClientSecretPost, false, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *localidp.Config) {
				app := c.Clients[clientID]
				app.AuthMethod = tt.method
				c.Clients[clientID] = app
			})
			verifier, challenge := pkcePair()
			form := url.Values{"grant_type": {"authorization_code"}, "code": {e.code(authParams(challenge))},
				"redirect_uri": {callback}, "code_verifier": {verifier}}
			var header []string
			if tt.post {
				form.Set("client_id", clientID)
				form.Set("client_secret", clientSecret)
			} else {
				header = []string{"Authorization", basic(clientID, clientSecret)}
			}
			r := e.post(e.base+"/token", form, header...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status == 401 {
				wantTokenError(t, r, 401, "invalid_client")
			}
		})
	}
}

func TestRefreshGrant(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens()
	refresh := func(rt string, extra ...string) reply {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		for i := 0; i+1 < len(extra); i += 2 {
			form.Set(extra[i], extra[i+1])
		}
		return e.post(e.base+"/token", form, "Authorization", basic(clientID, clientSecret))
	}
	wantTokenError(t, refresh(tok["refresh_token"].(string), "scope", "profile admin"), 400, "invalid_scope")

	r := refresh(tok["refresh_token"].(string), "scope", "profile")
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	next := r.json(t)
	if next["scope"] != "profile" || next["access_token"] == tok["access_token"] || next["refresh_token"] == tok["refresh_token"] {
		t.Errorf("refresh reply = %v", next)
	}
	if u := e.userinfo(next["access_token"].(string)); u.status != 200 || u.json(t)["username"] != "alice" {
		t.Errorf("userinfo with refreshed token: %d %s", u.status, u.body)
	}
	// Another client cannot use it.
	r = e.post(e.base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next["refresh_token"].(string)}},
		"Authorization", basic(otherID, otherSecret))
	wantTokenError(t, r, 400, "invalid_grant")

	// The rotated refresh token replayed revokes the grant.
	wantTokenError(t, refresh(tok["refresh_token"].(string)), 400, "invalid_grant")
	if u := e.userinfo(next["access_token"].(string)); u.status != http.StatusUnauthorized {
		t.Errorf("after refresh token replay, userinfo = %d, want 401", u.status)
	}
	wantTokenError(t, refresh(next["refresh_token"].(string)), 400, "invalid_grant")
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	auth := []string{"Authorization", basic(clientID, clientSecret)}

	tok := e.tokens()
	r := e.post(e.base+"/revoke", url.Values{"token": {tok["access_token"].(string)}, "token_type_hint": {"access_token"}}, auth...)
	if r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if u := e.userinfo(tok["access_token"].(string)); u.status != http.StatusUnauthorized {
		t.Errorf("revoked access token: userinfo %d", u.status)
	}

	tok = e.tokens()
	if r := e.post(e.base+"/revoke", url.Values{"token": {tok["refresh_token"].(string)}}, auth...); r.status != http.StatusOK {
		t.Fatalf("revoke refresh: %d", r.status)
	}
	if u := e.userinfo(tok["access_token"].(string)); u.status != http.StatusUnauthorized {
		t.Errorf("revoking the refresh token left its access token alive: %d", u.status)
	}
	wantTokenError(t, e.post(e.base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}}, auth...), 400, "invalid_grant")

	if r := e.post(e.base+"/revoke", url.Values{"token": {"never-issued"}}, auth...); r.status != http.StatusOK {
		t.Errorf("unknown token: %d, want 200 (RFC 7009 §2.2)", r.status)
	}
	tok = e.tokens()
	wantTokenError(t, e.post(e.base+"/revoke", url.Values{"token": {tok["access_token"].(string)}}), 401, "invalid_client")
	wantTokenError(t, e.post(e.base+"/revoke", url.Values{"token": {tok["access_token"].(string)}}, "Authorization", basic(otherID, otherSecret)), 400, "unauthorized_client")
	wantTokenError(t, e.post(e.base+"/revoke", url.Values{}, auth...), 400, "invalid_request")
	if u := e.userinfo(tok["access_token"].(string)); u.status != http.StatusOK {
		t.Errorf("refused revocations revoked the token: %d", u.status)
	}
}

func TestUserinfo(t *testing.T) {
	e := newEnv(t)
	access := e.tokens()["access_token"].(string)
	tests := []struct {
		name      string
		url       string
		header    []string
		status    int
		challenge string // expected WWW-Authenticate prefix
	}{
		{"bearer header", "/userinfo", []string{"Authorization", "Bearer " + access}, 200, ""},
		{"github token scheme", "/userinfo", []string{"Authorization", "token " + access}, 200, ""},
		{"query parameter", "/userinfo?access_token=" + url.QueryEscape(access), nil, 200, ""},
		{"no token", "/userinfo", nil, 401, `Bearer realm="localidp"`},
		{"unknown scheme", "/userinfo", []string{"Authorization", "Digest " + access}, 401, `Bearer realm="localidp"`},
		{"bad token", "/userinfo", []string{"Authorization", "Bearer forged"}, 401, `Bearer realm="localidp", error="invalid_token"`},
		{"two ways", "/userinfo?access_token=" + url.QueryEscape(access), []string{"Authorization", "Bearer " + access}, 400, `Bearer realm="localidp", error="invalid_request"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(e.base+tt.url, tt.header...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.challenge != "" && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), tt.challenge) {
				t.Errorf("WWW-Authenticate = %q, want prefix %q", r.header.Get("WWW-Authenticate"), tt.challenge)
			}
			if tt.status == 200 && r.json(t)["username"] != "alice" {
				t.Errorf("profile = %s", r.body)
			}
		})
	}
	t.Run("form body", func(t *testing.T) {
		r := e.post(e.base+"/userinfo", url.Values{"access_token": {access}})
		if r.status != 200 {
			t.Errorf("status %d: %s", r.status, r.body)
		}
	})
	t.Run("expired", func(t *testing.T) {
		e.clock.Advance(localidp.DefaultTokenTTL)
		r := e.userinfo(access)
		if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("expired token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
		}
	})
}

func TestOversizeBodies(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("a", localidp.DefaultMaxBodyBytes+1)
	for _, path := range []string{"/token", "/revoke", "/authorize"} {
		t.Run(path, func(t *testing.T) {
			r := e.post(e.base+path, url.Values{"grant_type": {"authorization_code"}, "code": {big}, "token": {big}, "request": {big}},
				"Authorization", basic(clientID, clientSecret))
			if r.status != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", r.status)
			}
			if r.header.Get("Location") != "" {
				t.Errorf("redirected to %q", r.header.Get("Location"))
			}
		})
	}
}

func TestAuthorizeRefusesWithoutRedirect(t *testing.T) {
	tests := []struct {
		name   string
		params func(url.Values)
	}{
		{"unregistered redirect_uri", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }},
		{"redirect_uri prefix of a registered one", func(v url.Values) { v.Set("redirect_uri", "https://app.example/complete/local/") }},
		{"redirect_uri with extra path", func(v url.Values) { v.Set("redirect_uri", callback+"&next=https://evil.example") }},
		{"another client's redirect_uri", func(v url.Values) { v.Set("redirect_uri", otherURI) }},
		{"unknown client", func(v url.Values) { v.Set("client_id", "ghost") }},
		{"missing client", func(v url.Values) { v.Del("client_id") }},
		{"repeated redirect_uri", func(v url.Values) { v["redirect_uri"] = []string{callback, "https://evil.example/cb"} }},
		{"missing redirect_uri with two registered", func(v url.Values) { v.Del("redirect_uri") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			v := authParams("")
			tt.params(v)
			r := e.get(e.base + "/authorize?" + v.Encode())
			if r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
				t.Fatalf("status %d Location %q: want 400 and no redirect", r.status, r.header.Get("Location"))
			}
			if !strings.Contains(r.body, "This sign-in cannot continue") || strings.Contains(r.body, "<form") {
				t.Errorf("error page body: %.300s", r.body)
			}
		})
	}
}

func TestAuthorizeErrorsRedirectBack(t *testing.T) {
	_, challenge := pkcePair()
	tests := []struct {
		name   string
		cfg    func(*localidp.Config)
		params func(url.Values)
		error  string
	}{
		{"token response type", nil, func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		{"missing response type", nil, func(v url.Values) { v.Del("response_type") }, "invalid_request"},
		{"plain PKCE", nil, func(v url.Values) {
			v.Set("code_challenge", challenge)
			v.Set("code_challenge_method", "plain")
		}, "invalid_request"},
		{"challenge without method", nil, func(v url.Values) { v.Set("code_challenge", challenge) }, "invalid_request"},
		{"method without challenge", nil, func(v url.Values) { v.Set("code_challenge_method", "S256") }, "invalid_request"},
		{"malformed challenge", nil, func(v url.Values) {
			v.Set("code_challenge", "not-a-digest")
			v.Set("code_challenge_method", "S256")
		}, "invalid_request"},
		{"PKCE required", func(c *localidp.Config) { c.RequirePKCE = true }, func(url.Values) {}, "invalid_request"},
		{"unknown scope", func(c *localidp.Config) { c.Scopes = []string{"profile", "email"} }, func(v url.Values) { v.Set("scope", "profile admin") }, "invalid_scope"},
		{"repeated state", nil, func(v url.Values) { v["state"] = []string{"a", "b"} }, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfgs []func(*localidp.Config)
			if tt.cfg != nil {
				cfgs = append(cfgs, tt.cfg)
			}
			e := newEnv(t, cfgs...)
			v := authParams("")
			tt.params(v)
			r := e.get(e.base + "/authorize?" + v.Encode())
			if r.status != http.StatusFound {
				t.Fatalf("status %d, want 302: %.200s", r.status, r.body)
			}
			loc := r.location(t)
			if !strings.HasPrefix(loc.String(), "https://app.example/complete/local/") {
				t.Errorf("redirected to %s", loc)
			}
			q := loc.Query()
			if q.Get("error") != tt.error || q.Get("code") != "" {
				t.Errorf("query = %v, want error=%s and no code", q, tt.error)
			}
			if tt.name != "repeated state" && q.Get("state") != "st-123" {
				t.Errorf("state not echoed: %v", q)
			}
		})
	}
}

func TestLoginFormCancel(t *testing.T) {
	e := newEnv(t)
	r := e.submit(e.openLogin(authParams("")), "cancel", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("status %d", r.status)
	}
	q := r.location(t).Query()
	if q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("code") != "" {
		t.Errorf("cancel query = %v", q)
	}
}

func TestLoginFormTampering(t *testing.T) {
	tests := []struct {
		name   string
		modify func(e *env, p *loginPage)
	}{
		{"redirect swapped", func(e *env, p *loginPage) {
			// A request for another registered URI, with the MAC of this one.
			v := authParams("")
			v.Set("redirect_uri", "https://app.example/second")
			p.hidden.Set("request", e.openLogin(v).hidden.Get("request"))
		}},
		{"payload edited", func(e *env, p *loginPage) { p.hidden.Set("request", p.hidden.Get("request")+"AA") }},
		{"mac missing", func(e *env, p *loginPage) { p.hidden.Del("mac") }},
		{"mac from another server", func(e *env, p *loginPage) {
			other := newEnv(e.t)
			p.hidden.Set("mac", other.openLogin(authParams("")).hidden.Get("mac"))
		}},
		{"form expired", func(e *env, p *loginPage) { e.clock.Advance(localidp.DefaultFormTTL) }},
		{"client unregistered meanwhile", func(e *env, p *loginPage) {
			if err := e.idp.RegisterClient(clientID, localidp.Client{Secret: "s", RedirectURIs: []string{"https://app.example/new"}}); err != nil {
				e.t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.openLogin(authParams(""))
			tt.modify(e, &p)
			r := e.submit(p, "approve", alice)
			if r.status != http.StatusBadRequest || r.header.Get("Location") != "" {
				t.Fatalf("status %d Location %q: want 400 and no redirect", r.status, r.header.Get("Location"))
			}
		})
	}
}

func TestLoginFormValidation(t *testing.T) {
	e := newEnv(t)
	p := e.openLogin(authParams(""))
	r := e.submit(p, "approve", url.Values{"username": {""}, "email": {"not an email"}})
	if r.status != http.StatusBadRequest {
		t.Fatalf("status %d", r.status)
	}
	for _, want := range []string{`role="alert"`, "Enter a username.", `aria-invalid="true"`, `value="not an email"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("re-rendered form lacks %q", want)
		}
	}
	// The re-rendered form still works; an unticked box leaves the email unverified.
	p = e.parseLogin(p.action, r.body)
	r = e.submit(p, "approve", url.Values{"username": {"bob"}, "email": {"bob@example.com"}})
	code := r.location(t).Query().Get("code")
	tr := e.exchange(code, "")
	if tr.status != 200 {
		t.Fatalf("token: %d %s", tr.status, tr.body)
	}
	u := e.userinfo(tr.json(t)["access_token"].(string)).json(t)
	if u["email"] != "bob@example.com" || u["email_verified"] != false || u["name"] != "bob" {
		t.Errorf("profile = %v", u)
	}
	// No action chosen.
	if r := e.submit(p, "", alice); r.status != 400 || r.header.Get("Location") != "" {
		t.Errorf("form without action: %d %q", r.status, r.header.Get("Location"))
	}
}

func TestLoginPageHeadersAndHint(t *testing.T) {
	e := newEnv(t)
	v := authParams("")
	v.Set("login_hint", `<b>carol</b>`)
	r := e.get(e.base + "/authorize?" + v.Encode())
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers = %v", r.header)
	}
	if strings.Contains(r.body, "<b>carol") || !strings.Contains(r.body, "&lt;b&gt;carol") {
		t.Errorf("login_hint not escaped into the username field")
	}
	if strings.Contains(r.body, "<script") {
		t.Error("the page uses JavaScript")
	}
}

func TestApprover(t *testing.T) {
	decision := localidp.Decision{Outcome: localidp.Approve, User: localidp.User{ID: "42", Username: "robot", Claims: map[string]any{"login": "robot", "id": 42}}}
	e := newEnv(t, func(c *localidp.Config) {
		c.Approve = func(r *http.Request, req localidp.AuthorizationRequest) localidp.Decision {
			if req.State != "st-123" || req.ClientID != clientID {
				t.Errorf("approver got %+v", req)
			}
			return decision
		}
	})
	verifier, challenge := pkcePair()
	r := e.get(e.base + "/authorize?" + authParams(challenge).Encode())
	if r.status != http.StatusFound {
		t.Fatalf("status %d", r.status)
	}
	tok := e.exchange(r.location(t).Query().Get("code"), verifier).json(t)
	u := e.userinfo(tok["access_token"].(string)).json(t)
	if u["login"] != "robot" || u["id"] != float64(42) || u["username"] != nil {
		t.Errorf("claims not served as they are: %v", u)
	}
	info, ok := e.idp.Introspect(tok["access_token"].(string))
	if !ok || info.User.ID != "42" || info.ClientID != clientID {
		t.Errorf("Introspect = %+v, %v", info, ok)
	}

	req, _ := http.NewRequest(http.MethodHead, e.base+"/authorize?"+authParams(challenge).Encode(), nil)
	if h := e.do(req); h.status != http.StatusOK || h.header.Get("Location") != "" {
		t.Errorf("HEAD /authorize: %d %q, want the form and no code", h.status, h.header.Get("Location"))
	}

	decision = localidp.Decision{Outcome: localidp.Deny}
	q := e.get(e.base + "/authorize?" + authParams("").Encode()).location(t).Query()
	if q.Get("error") != "access_denied" || q.Get("state") != "st-123" {
		t.Errorf("deny query = %v", q)
	}
}

func TestCapacity(t *testing.T) {
	e := newEnv(t, func(c *localidp.Config) { c.MaxGrants = 2 })
	e.code(authParams(""))
	e.code(authParams(""))
	r := e.submit(e.openLogin(authParams("")), "approve", alice)
	if q := r.location(t).Query(); q.Get("error") != "temporarily_unavailable" || q.Get("code") != "" {
		t.Errorf("over capacity: %v", q)
	}
	// Expired codes are swept to make room.
	e.clock.Advance(localidp.DefaultCodeTTL)
	e.code(authParams(""))
}

func TestMetadata(t *testing.T) {
	e := newEnv(t)
	m := e.get(e.base + "/.well-known/oauth-authorization-server").json(t)
	if m["issuer"] != e.base || m["token_endpoint"] != e.base+"/token" || m["authorization_endpoint"] != e.base+"/authorize" {
		t.Errorf("metadata = %v", m)
	}
	e2 := newEnv(t, func(c *localidp.Config) { c.Issuer = "" })
	if r := e2.get(e2.base + "/.well-known/oauth-authorization-server"); r.status != http.StatusNotFound {
		t.Errorf("metadata without issuer: %d", r.status)
	}
	if r := e.get(e.base + "/token"); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /token: %d", r.status)
	}
}

func TestNewValidatesClients(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		client  localidp.Client
		wantErr bool
	}{
		{"valid", "a", localidp.Client{Secret: "s", RedirectURIs: []string{"https://a.example/cb"}}, false},
		{"no secret", "a", localidp.Client{RedirectURIs: []string{"https://a.example/cb"}}, true},
		{"no redirect", "a", localidp.Client{Secret: "s"}, true},
		{"relative redirect", "a", localidp.Client{Secret: "s", RedirectURIs: []string{"/cb"}}, true},
		{"fragment", "a", localidp.Client{Secret: "s", RedirectURIs: []string{"https://a.example/cb#x"}}, true},
		{"empty id", "", localidp.Client{Secret: "s", RedirectURIs: []string{"https://a.example/cb"}}, true},
		{"unknown method", "a", localidp.Client{Secret: "s", RedirectURIs: []string{"https://a.example/cb"}, AuthMethod: "private_key_jwt"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := localidp.New(localidp.Config{Clients: map[string]localidp.Client{tt.id: tt.client}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, localidp.ErrInvalidClient) {
				t.Errorf("err %v is not ErrInvalidClient", err)
			}
		})
	}
	if _, err := localidp.New(localidp.Config{Issuer: "not a url"}); err == nil {
		t.Error("relative issuer accepted")
	}
}
