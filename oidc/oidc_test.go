package oidc_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/localidp"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/oidc"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
)

func TestLogin(t *testing.T) {
	for _, alg := range []string{"RS256", "PS256", "ES256", "ES384"} {
		t.Run(alg, func(t *testing.T) {
			e := newEnv(t, socialtest.WithSigningAlgorithm(alg))
			b := e.build()
			id, authURL, err := e.login(b)
			if err != nil {
				t.Fatal(err)
			}
			q := authURL.Query()
			if q.Get("nonce") == "" || q.Get("code_challenge") == "" || q.Get("state") == "" ||
				q.Get("scope") != "openid profile email" || q.Get("response_type") != "code" {
				t.Errorf("authorization URL %s", authURL)
			}
			if id.UID != "u-42" {
				t.Errorf("uid %q", id.UID)
			}
			want := backend.Details{Username: "ada", Email: "ada@example.com", EmailVerified: true,
				FullName: "Ada Lovelace", FirstName: "Ada", LastName: "Lovelace"}
			if id.Details.Username != want.Username || id.Details.Email != want.Email || !id.Details.EmailVerified ||
				id.Details.FullName != want.FullName || id.Details.FirstName != want.FirstName || id.Details.LastName != want.LastName {
				t.Errorf("details %+v", id.Details)
			}
			for _, k := range []string{"id_token", "access_token", "refresh_token", "expires", "auth_time", "token_type"} {
				if id.ExtraData[k] == nil || id.ExtraData[k] == "" {
					t.Errorf("extra data has no %s: %v", k, id.ExtraData)
				}
			}
			if id.Response["nonce"] != q.Get("nonce") || id.Response["iss"] != e.p.Issuer() {
				t.Errorf("response %v", id.Response)
			}
			tok := e.p.RequestsTo(socialtest.TokenPath)
			if len(tok) != 1 || tok[0].Form.Get("code_verifier") == "" {
				t.Fatalf("token requests %+v", tok)
			}
			if user, _, ok := tok[0].BasicAuth(); !ok || user != e.p.ClientID {
				t.Error("client_secret_basic not used by default")
			}
			if n := len(e.p.RequestsTo(socialtest.UserPath)); n != 1 {
				t.Errorf("%d userinfo requests", n)
			}
		})
	}
}

func TestHostileIDTokens(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(p *socialtest.OIDCProvider) socialtest.Tamper
		cause  error
	}{
		{"wrong issuer", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.WrongIssuer() }, oidc.ErrIssuer},
		{"wrong audience", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.WrongAudience() }, oidc.ErrAudience},
		{"extra audience without azp", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.ExtraAudienceWithoutAZP() }, oidc.ErrAuthorizedParty},
		{"wrong azp", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.WrongAZP() }, oidc.ErrAuthorizedParty},
		{"alg none", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.AlgNone() }, oidc.ErrAlgorithm},
		{"HS256 with the public key", func(p *socialtest.OIDCProvider) socialtest.Tamper { return socialtest.HS256WithKey(p.PublicKeyPEM()) }, oidc.ErrAlgorithm},
		{"HS256 with the client secret, not enabled", func(p *socialtest.OIDCProvider) socialtest.Tamper {
			return socialtest.HS256WithKey([]byte(p.ClientSecret))
		}, oidc.ErrAlgorithm},
		{"expired", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.Expired() }, oidc.ErrExpired},
		{"issued in the future", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.IssuedAt(time.Hour) }, oidc.ErrIssuedAt},
		{"issued too long ago", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.IssuedAt(-15 * time.Minute) }, oidc.ErrIssuedAt},
		{"no iat", func(*socialtest.OIDCProvider) socialtest.Tamper {
			return socialtest.WithClaims(map[string]any{"iat": nil})
		}, oidc.ErrIssuedAt},
		{"no exp", func(*socialtest.OIDCProvider) socialtest.Tamper {
			return socialtest.WithClaims(map[string]any{"exp": nil})
		}, oidc.ErrExpired},
		{"not valid yet", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.NotBefore(time.Hour) }, oidc.ErrNotYetValid},
		{"unknown kid", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.UnknownKeyID() }, oidc.ErrUnknownKey},
		{"forged signature", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.ForgedSignature() }, oidc.ErrSignature},
		{"missing nonce", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.MissingNonce() }, oidc.ErrNonce},
		{"wrong nonce", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.WrongNonce() }, oidc.ErrNonce},
		{"wrong at_hash", func(*socialtest.OIDCProvider) socialtest.Tamper { return socialtest.WrongAtHash() }, oidc.ErrAccessTokenHash},
		{"wrong c_hash", func(*socialtest.OIDCProvider) socialtest.Tamper {
			return socialtest.WithClaims(map[string]any{"c_hash": localidp.HalfHash("RS256", "another code")})
		}, oidc.ErrCodeHash},
		{"no sub", func(*socialtest.OIDCProvider) socialtest.Tamper {
			return socialtest.WithClaims(map[string]any{"sub": nil})
		}, oidc.ErrSubject},
		{"aud not a string", func(*socialtest.OIDCProvider) socialtest.Tamper {
			return socialtest.WithClaims(map[string]any{"aud": 7})
		}, oidc.ErrAudience},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.build()
			e.p.NextIDToken(tt.tamper(e.p))
			id, _, err := e.login(b)
			if id != nil {
				t.Errorf("identity %+v", id)
			}
			wantErr(t, err, socialerr.AuthTokenError, tt.cause)
			if n := len(e.p.RequestsTo(socialtest.UserPath)); n != 0 {
				t.Errorf("userinfo called %d times for a rejected token", n)
			}
		})
	}
}

func TestNoIDToken(t *testing.T) {
	e := newEnv(t)
	e.set("IGNORE_DEFAULT_SCOPE", true).set("SCOPE", []string{"profile"})
	if _, err := oidc.New(e.config(), oidc.Provider{}); err == nil || !strings.Contains(err.Error(), "openid") {
		t.Fatalf("a scope without openid: %v", err)
	}
	e = newEnv(t)
	b := e.build()
	e.p.SetTokenReply(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"at","token_type":"Bearer"}`))
	})
	_, _, err := e.login(b)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrNoIDToken)
}

func TestLeeway(t *testing.T) {
	e := newEnv(t)
	b := e.build()
	e.p.NextIDToken(socialtest.IssuedAt(30 * time.Second))
	if _, _, err := e.login(b); err != nil {
		t.Fatalf("30 s of clock skew within the default leeway: %v", err)
	}
	e.set("ID_TOKEN_LEEWAY", 0)
	b = e.build()
	e.p.NextIDToken(socialtest.IssuedAt(30 * time.Second))
	_, _, err := e.login(b)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrIssuedAt)

	e.set("ID_TOKEN_LEEWAY", 0).set("ID_TOKEN_MAX_AGE", 3600)
	b = e.build()
	e.p.NextIDToken(socialtest.IssuedAt(-30 * time.Minute))
	if _, _, err := e.login(b); err != nil {
		t.Fatalf("ID_TOKEN_MAX_AGE 3600 and a 30-minute-old token: %v", err)
	}
}

func TestHMACOnlyWhenEnabled(t *testing.T) {
	e := newEnv(t)
	e.set("ID_TOKEN_ALGORITHMS", []string{"HS256"})
	e.p.EditDiscovery(func(doc map[string]any) { doc["id_token_signing_alg_values_supported"] = []string{"RS256", "HS256"} })
	b := e.build()
	e.p.NextIDToken(socialtest.HS256WithKey([]byte(testSecret)))
	if _, _, err := e.login(b); err != nil {
		t.Fatalf("HS256 with the client secret, enabled: %v", err)
	}
	// Enabled, an HS256 token keyed with the public key still fails, and
	// an RS256 token is now refused.
	e.p.NextIDToken(socialtest.HS256WithKey(e.p.PublicKeyPEM()))
	_, _, err := e.login(b)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrSignature)
	_, _, err = e.login(b)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrAlgorithm)

	// The algorithm must also be one the provider supports.
	e.p.EditDiscovery(nil)
	b = e.build()
	e.p.NextIDToken(socialtest.HS256WithKey([]byte(testSecret)))
	_, _, err = e.login(b)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrAlgorithm)
}

func TestAlgorithmSetting(t *testing.T) {
	e := newEnv(t, socialtest.WithSigningAlgorithm("ES256"))
	e.set("ID_TOKEN_ALGORITHMS", "RS256")
	_, _, err := e.login(e.build())
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrAlgorithm)
	e.set("ID_TOKEN_ALGORITHMS", "ES256,RS256")
	if _, _, err := e.login(e.build()); err != nil {
		t.Fatal(err)
	}
}

func TestUserinfoSubjectMismatch(t *testing.T) {
	e := newEnv(t)
	b := e.build()
	e.p.SetUserinfoSub("someone-else")
	id, _, err := e.login(b)
	if id != nil {
		t.Error("identity returned")
	}
	wantErr(t, err, socialerr.AuthFailed, oidc.ErrSubject)
}

func TestUserinfoMerged(t *testing.T) {
	e := newEnv(t)
	b := e.build()
	e.p.NextIDToken(socialtest.WithClaims(map[string]any{"email": nil, "preferred_username": nil, "nickname": "adal"}))
	e.p.SetUser(map[string]any{"sub": "u-42", "email": "ada@userinfo.example", "iss": "https://evil.example"})
	id, _, err := e.login(b)
	if err != nil {
		t.Fatal(err)
	}
	if id.Details.Email != "ada@userinfo.example" || id.Response["iss"] != e.p.Issuer() || id.Details.Username != "adal" {
		t.Errorf("details %+v, response %v", id.Details, id.Response)
	}
}

func TestDiscovery(t *testing.T) {
	t.Run("issuer mismatch", func(t *testing.T) {
		e := newEnv(t)
		e.p.EditDiscovery(func(doc map[string]any) { doc["issuer"] = "https://other.example" })
		b := e.build()
		_, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
		wantErr(t, err, socialerr.AuthUnknownError, oidc.ErrDiscoveryIssuer)
	})
	t.Run("trailing slash", func(t *testing.T) {
		e := newEnv(t)
		e.set("OIDC_ENDPOINT", e.p.Issuer()+"/")
		if _, _, err := e.login(e.build()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("http endpoint refused", func(t *testing.T) {
		e := newEnv(t)
		e.p.EditDiscovery(func(doc map[string]any) { doc["token_endpoint"] = "http://token.example.com/token" })
		_, err := e.build().Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
		wantErr(t, err, socialerr.AuthUnknownError, oidc.ErrDiscovery)
	})
	t.Run("missing jwks_uri", func(t *testing.T) {
		e := newEnv(t)
		e.p.EditDiscovery(func(doc map[string]any) { delete(doc, "jwks_uri") })
		_, err := e.build().Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
		wantErr(t, err, socialerr.AuthUnknownError, oidc.ErrDiscovery)
	})
	t.Run("provider down", func(t *testing.T) {
		e := newEnv(t)
		e.p.FailNext(socialtest.DiscoveryPath, http.StatusInternalServerError, "oops")
		_, err := e.build().Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
		wantErr(t, err, socialerr.AuthUnknownError, nil)
	})
	t.Run("cached until max-age", func(t *testing.T) {
		tests := []struct {
			cacheControl string
			stillCached  time.Duration
			expired      time.Duration
		}{
			{"", 59 * time.Minute, 2 * time.Minute},                     // default: one hour
			{"public, max-age=120", 119 * time.Second, 2 * time.Second}, // honoured
			{"max-age=5", 50 * time.Second, 11 * time.Second},           // at least a minute
			{"no-store", 50 * time.Second, 11 * time.Second},            // at least a minute
			{"max-age=999999", 23 * time.Hour, 2 * time.Hour},           // at most a day
		}
		for _, tt := range tests {
			t.Run(tt.cacheControl, func(t *testing.T) {
				e := newEnv(t)
				e.p.SetCacheControl(tt.cacheControl)
				b := e.build()
				count := func() int { return len(e.p.RequestsTo(socialtest.DiscoveryPath)) }
				for range 2 {
					if _, _, err := e.login(b); err != nil {
						t.Fatal(err)
					}
				}
				if count() != 1 {
					t.Fatalf("%d discovery fetches for two logins", count())
				}
				e.clk.Advance(tt.stillCached)
				if _, err := b.Metadata(t.Context()); err != nil || count() != 1 {
					t.Fatalf("refetched before expiry (%d, %v)", count(), err)
				}
				e.clk.Advance(tt.expired)
				if _, err := b.Metadata(t.Context()); err != nil || count() != 2 {
					t.Fatalf("not refetched after expiry (%d, %v)", count(), err)
				}
			})
		}
	})
}

func TestKeyRotationAndRefetchInterval(t *testing.T) {
	e := newEnv(t)
	b := e.build()
	jwks := func() int { return len(e.p.RequestsTo(socialtest.JWKSPath)) }
	if _, _, err := e.login(b); err != nil {
		t.Fatal(err)
	}
	if jwks() != 1 {
		t.Fatalf("%d key set fetches", jwks())
	}
	// A rotated key is fetched at once (the last fetch was long enough
	// ago).
	e.clk.Advance(2 * time.Minute)
	e.p.RotateKeys(true)
	if _, _, err := e.login(b); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if jwks() != 2 {
		t.Fatalf("%d key set fetches after rotation", jwks())
	}
	// Unknown kids refetch at most once per interval.
	for range 3 {
		e.p.NextIDToken(socialtest.UnknownKeyID())
		_, _, err := e.login(b)
		wantErr(t, err, socialerr.AuthTokenError, oidc.ErrUnknownKey)
	}
	if jwks() != 2 {
		t.Fatalf("%d key set fetches: unknown kids within a minute of the last fetch refetched", jwks())
	}
	e.clk.Advance(oidc.DefaultKeyRefetchInterval)
	for range 3 {
		e.p.NextIDToken(socialtest.UnknownKeyID())
		_, _, err := e.login(b)
		wantErr(t, err, socialerr.AuthTokenError, oidc.ErrUnknownKey)
	}
	if jwks() != 3 {
		t.Fatalf("%d key set fetches, want one more after the interval", jwks())
	}
	// A key rotated within the interval waits for it.
	e.p.RotateKeys(true)
	_, _, err := e.login(b)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrUnknownKey)
	e.clk.Advance(oidc.DefaultKeyRefetchInterval)
	if _, _, err := e.login(b); err != nil {
		t.Fatalf("rotated key after the interval: %v", err)
	}
	// The whole set expires with its max-age too.
	before := jwks()
	e.clk.Advance(oidc.DefaultCacheTTL + time.Second)
	if _, _, err := e.login(b); err != nil || jwks() != before+1 {
		t.Fatalf("expired key set: %d fetches, %v", jwks()-before, err)
	}
}

func TestIssuerParameter(t *testing.T) {
	wrong, none := "https://attacker.example", ""
	for _, tt := range []struct {
		name string
		iss  *string
	}{{"missing", &none}, {"different", &wrong}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.build()
			e.p.SetCallbackIssuer(tt.iss)
			_, _, err := e.login(b)
			wantErr(t, err, socialerr.AuthStateForbidden, oidc.ErrResponseIssuer)
			if n := len(e.p.RequestsTo(socialtest.TokenPath)); n != 0 {
				t.Errorf("code exchanged (%d token requests) despite a wrong iss", n)
			}
		})
	}
	t.Run("not announced and absent", func(t *testing.T) {
		e := newEnv(t)
		e.p.EditDiscovery(func(doc map[string]any) { delete(doc, "authorization_response_iss_parameter_supported") })
		e.p.SetCallbackIssuer(&none)
		if _, _, err := e.login(e.build()); err != nil {
			t.Fatal(err)
		}
	})
}

func pemOf(t *testing.T, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestPrivateKeyJWT(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		key      crypto.Signer
		explicit bool
		alg      string
	}{{"RSA chosen from metadata", rsaKey, false, "RS256"}, {"EC by setting", ecKey, true, "ES256"}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.p.RequirePrivateKeyJWT(tt.key.Public()); err != nil {
				t.Fatal(err)
			}
			delete(e.m, "SOCIAL_AUTH_OIDC_SECRET")
			e.set("PRIVATE_KEY", strings.ReplaceAll(pemOf(t, tt.key), "\n", `\n`)).set("KEY_ID", "k1")
			if tt.explicit {
				e.set("TOKEN_AUTH_METHOD", "private_key_jwt")
			}
			b := e.build()
			id, _, err := e.login(b)
			if err != nil {
				t.Fatal(err)
			}
			req := e.p.RequestsTo(socialtest.TokenPath)[0]
			if req.Header.Get("Authorization") != "" || req.Form.Get("client_secret") != "" ||
				req.Form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
				t.Errorf("token request %v", req.Form)
			}
			jws, err := jose.ParseSignedCompact(req.Form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tt.alg)})
			if err != nil || jws.Signatures[0].Header.KeyID != "k1" {
				t.Fatalf("assertion: %v", err)
			}
			// Refresh and revocation authenticate the same way.
			refresher := b.(backend.Refresher)
			if _, err := refresher.Refresh(t.Context(), id.Token.RefreshToken); err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if err := b.Revoke(t.Context(), id.ExtraData); err != nil {
				t.Fatalf("revoke: %v", err)
			}
		})
	}
	t.Run("a wrong key is refused by the provider", func(t *testing.T) {
		e := newEnv(t)
		if err := e.p.RequirePrivateKeyJWT(ecKey.Public()); err != nil {
			t.Fatal(err)
		}
		e.set("PRIVATE_KEY", pemOf(t, rsaKey)).set("TOKEN_AUTH_METHOD", "private_key_jwt")
		_, _, err := e.login(e.build())
		wantErr(t, err, socialerr.AuthTokenError, nil)
	})
}

func TestClientSecretPost(t *testing.T) {
	e := newEnv(t)
	e.p.RequireClientSecretPost()
	e.set("TOKEN_AUTH_METHOD", "client_secret_post")
	if _, _, err := e.login(e.build()); err != nil {
		t.Fatal(err)
	}
	// Chosen from the metadata when it lists only client_secret_post.
	delete(e.m, "SOCIAL_AUTH_OIDC_TOKEN_AUTH_METHOD")
	e.p.EditDiscovery(func(doc map[string]any) {
		doc["token_endpoint_auth_methods_supported"] = []string{"client_secret_post"}
	})
	if _, _, err := e.login(e.build()); err != nil {
		t.Fatal(err)
	}
}

func TestRequestSettings(t *testing.T) {
	e := newEnv(t)
	e.set("PROMPT", "login consent").set("MAX_AGE", 300).set("ACR_VALUES", "urn:mace:incommon:iap:silver").
		set("LOGIN_HINT", "ada@example.com").set("DISPLAY", "popup").set("UI_LOCALES", "fr-CA fr").set("ID_TOKEN_HINT", "hint")
	b := e.build()
	_, authURL, err := e.login(b)
	if err != nil {
		t.Fatal(err)
	}
	q := authURL.Query()
	for k, v := range map[string]string{"prompt": "login consent", "max_age": "300", "acr_values": "urn:mace:incommon:iap:silver",
		"login_hint": "ada@example.com", "display": "popup", "ui_locales": "fr-CA fr", "id_token_hint": "hint"} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	// With MAX_AGE, auth_time must be there and recent.
	e.p.NextIDToken(socialtest.WithClaims(map[string]any{"auth_time": nil}))
	_, _, err = e.login(b)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrAuthTime)
	e.p.NextIDToken(socialtest.WithClaims(map[string]any{"auth_time": e.clk.Now().Add(-10 * time.Minute).Unix()}))
	_, _, err = e.login(b)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrAuthTime)
}

func TestNonceIsPerLoginAndBound(t *testing.T) {
	e := newEnv(t)
	b := e.build()
	p1, s1, a1 := e.begin(b)
	_, s2, a2 := e.begin(b)
	if a1.Query().Get("nonce") == a2.Query().Get("nonce") || s1["nonce"] == "" {
		t.Fatal("nonce not random per login")
	}
	// Login 1's reply with login 2's stash (another browser): state and
	// nonce both differ.
	s2["state"] = s1["state"]
	s2["verifier"] = s1["verifier"]
	_, err := b.Complete(t.Context(), &backend.CompleteRequest{RedirectURI: redirectURI, Params: p1, Stash: s2})
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrNonce)
}

func TestRefreshAndRevoke(t *testing.T) {
	e := newEnv(t)
	b := e.build()
	id, _, err := e.login(b)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := b.Refresh(t.Context(), id.Token.RefreshToken)
	if err != nil || tok.AccessToken == "" || tok.AccessToken == id.Token.AccessToken {
		t.Fatalf("refresh: %+v, %v", tok, err)
	}
	// A refreshed ID token is checked too.
	e.p.NextIDToken(socialtest.WrongAudience())
	_, err = b.Refresh(t.Context(), tok.RefreshToken)
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrAudience)

	if err := b.Revoke(t.Context(), map[string]any{"access_token": tok.AccessToken}); err != nil {
		t.Fatal(err)
	}
	revs := e.p.RequestsTo(socialtest.RevokePath)
	if len(revs) != 1 || revs[0].Form.Get("token") != tok.AccessToken {
		t.Fatalf("revocation requests %+v", revs)
	}
	if _, ok := e.p.IDP.Introspect(tok.AccessToken); ok {
		t.Error("token still valid after revocation")
	}
	// Without a discovered revocation endpoint there is nothing to call.
	e2 := newEnv(t)
	e2.p.EditDiscovery(func(doc map[string]any) { delete(doc, "revocation_endpoint") })
	if err := e2.build().Revoke(t.Context(), map[string]any{"access_token": "x"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e2.p.RequestsTo(socialtest.RevokePath)); n != 0 {
		t.Errorf("%d revocation calls without an endpoint", n)
	}
}

func TestAuthenticateToken(t *testing.T) {
	e := newEnv(t)
	b := e.build()
	mint := func(claims map[string]any, tampers ...socialtest.Tamper) string {
		t.Helper()
		raw, err := e.p.MintIDToken(e.clk.Now(), claims, tampers...)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	id, err := b.AuthenticateToken(t.Context(), url.Values{"id_token": {mint(nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "u-42" || id.Details.Email != "ada@example.com" || id.ExtraData["id_token"] == nil {
		t.Errorf("identity %+v", id)
	}
	// A nonce given must match.
	raw := mint(map[string]any{"nonce": "n-1"})
	if _, err := b.AuthenticateToken(t.Context(), url.Values{"id_token": {raw}, "nonce": {"n-1"}}); err != nil {
		t.Fatal(err)
	}
	_, err = b.AuthenticateToken(t.Context(), url.Values{"id_token": {raw}, "nonce": {"n-2"}})
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrNonce)

	for name, tc := range map[string]struct {
		tamper socialtest.Tamper
		cause  error
	}{
		"wrong audience": {socialtest.WrongAudience(), oidc.ErrAudience},
		"alg none":       {socialtest.AlgNone(), oidc.ErrAlgorithm},
		"expired":        {socialtest.Expired(), oidc.ErrExpired},
		"forged":         {socialtest.ForgedSignature(), oidc.ErrSignature},
		"HS256 pub key":  {socialtest.HS256WithKey(e.p.PublicKeyPEM()), oidc.ErrAlgorithm},
	} {
		_, err := b.AuthenticateToken(t.Context(), url.Values{"id_token": {mint(nil, tc.tamper)}})
		if !errors.Is(err, socialerr.AuthTokenError) || !errors.Is(err, tc.cause) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// With the access token of a real login: at_hash and userinfo.
	login, _, err := e.login(b)
	if err != nil {
		t.Fatal(err)
	}
	access := login.Token.AccessToken
	idTok := login.ExtraData["id_token"].(string)
	id, err = b.AuthenticateToken(t.Context(), url.Values{"id_token": {idTok}, "access_token": {access}})
	if err != nil || id.Token.AccessToken != access {
		t.Fatalf("id token with its access token: %+v, %v", id, err)
	}
	_, err = b.AuthenticateToken(t.Context(), url.Values{"id_token": {idTok}, "access_token": {"another"}})
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrAccessTokenHash)

	// An access token alone proves nothing about its audience.
	_, err = b.AuthenticateToken(t.Context(), url.Values{"access_token": {access}})
	wantErr(t, err, socialerr.AuthTokenError, oidc.ErrAccessTokenOnly)
	_, err = b.AuthenticateToken(t.Context(), url.Values{})
	wantErr(t, err, socialerr.AuthMissingParameter, nil)
	e.set("UNSAFE_ACCESS_TOKEN_LOGIN", true)
	id, err = e.build().AuthenticateToken(t.Context(), url.Values{"access_token": {access}})
	if err != nil || id.UID != "u-42" {
		t.Fatalf("access token login when allowed: %+v, %v", id, err)
	}
}

func TestBuildErrors(t *testing.T) {
	_, err := oidc.New(backend.Config{Name: "oidc", Settings: settings.New(settings.Map{}).For("oidc")}, oidc.Provider{})
	for _, name := range []string{"SOCIAL_AUTH_OIDC_OIDC_ENDPOINT", "SOCIAL_AUTH_OIDC_KEY", "SOCIAL_AUTH_OIDC_SECRET"} {
		if err == nil || !strings.Contains(err.Error(), name+" is not set") {
			t.Errorf("no %s: %v", name, err)
		}
	}
	base := func(extra map[string]any) backend.Config {
		m := settings.Map{"SOCIAL_AUTH_OIDC_KEY": "k", "SOCIAL_AUTH_OIDC_SECRET": "s", "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT": "https://id.example.com"}
		for k, v := range extra {
			m["SOCIAL_AUTH_OIDC_"+k] = v
		}
		return backend.Config{Name: "oidc", Settings: settings.New(m).For("oidc")}
	}
	if _, err := oidc.New(base(nil), oidc.Provider{}); err != nil {
		t.Fatal(err)
	}
	for name, extra := range map[string]map[string]any{
		"none algorithm":         {"ID_TOKEN_ALGORITHMS": []string{"none"}},
		"short HMAC secret":      {"ID_TOKEN_ALGORITHMS": []string{"HS256"}},
		"unknown algorithm":      {"ID_TOKEN_ALGORITHMS": "XX1"},
		"http endpoint":          {"OIDC_ENDPOINT": "http://id.example.com"},
		"endpoint with query":    {"OIDC_ENDPOINT": "https://id.example.com/?x=1"},
		"bad private key":        {"PRIVATE_KEY": "not a key"},
		"private_key_jwt no key": {"TOKEN_AUTH_METHOD": "private_key_jwt"},
		"unknown auth method":    {"TOKEN_AUTH_METHOD": "tls_client_auth"},
		"huge leeway":            {"ID_TOKEN_LEEWAY": 3600},
		"bad max age":            {"MAX_AGE": "soon"},
	} {
		if _, err := oidc.New(base(extra), oidc.Provider{}); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	// A global OIDC_ENDPOINT is not taken.
	_, err = oidc.New(backend.Config{Name: "oidc", Settings: settings.New(settings.Map{
		"SOCIAL_AUTH_OIDC_KEY": "k", "SOCIAL_AUTH_OIDC_SECRET": "s", "SOCIAL_AUTH_OIDC_ENDPOINT": "https://id.example.com",
	}).For("oidc")}, oidc.Provider{})
	var se *oauth2.SettingError
	if !errors.As(err, &se) || se.Name != "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT" {
		t.Errorf("global endpoint: %v", err)
	}
	// A private key makes SECRET optional.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	m := settings.Map{"SOCIAL_AUTH_OIDC_KEY": "k", "SOCIAL_AUTH_OIDC_OIDC_ENDPOINT": "https://id.example.com", "SOCIAL_AUTH_OIDC_PRIVATE_KEY": pemOf(t, key)}
	if _, err := oidc.New(backend.Config{Name: "oidc", Settings: settings.New(m).For("oidc")}, oidc.Provider{}); err != nil {
		t.Errorf("private key without secret: %v", err)
	}
	if !slices.Contains(oidc.Settings(), "OIDC_ENDPOINT") || !slices.Contains(oidc.Settings(), "PROMPT") {
		t.Errorf("Settings() = %v", oidc.Settings())
	}
}

func TestOversizedAndMalformedTokens(t *testing.T) {
	e := newEnv(t)
	b := e.build()
	for name, raw := range map[string]string{
		"huge":       strings.Repeat("a", oidc.MaxIDTokenSize+1),
		"two parts":  "a.b",
		"bad header": "!!.e30.",
		"crit":       "eyJhbGciOiJSUzI1NiIsImNyaXQiOlsieCJdfQ.e30.c2ln",
	} {
		_, err := b.AuthenticateToken(t.Context(), url.Values{"id_token": {raw}})
		if !errors.Is(err, socialerr.AuthTokenError) || !errors.Is(err, oidc.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	e.p.FailNext(socialtest.JWKSPath, http.StatusOK, `{"keys":"nope"}`)
	raw, err := e.p.MintIDToken(e.clk.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.AuthenticateToken(t.Context(), url.Values{"id_token": {raw}})
	wantErr(t, err, socialerr.AuthUnknownError, nil)
}
