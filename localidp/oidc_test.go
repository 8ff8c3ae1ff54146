package localidp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/socialauth/socialauth/localidp"
)

func TestOIDCDiscoveryAndKeys(t *testing.T) {
	if _, err := localidp.New(localidp.Config{OIDC: &localidp.OIDCConfig{}}); err == nil {
		t.Error("OIDC without an issuer accepted")
	}
	if _, err := localidp.New(localidp.Config{Issuer: "https://idp.example", OIDC: &localidp.OIDCConfig{Algorithm: "HS256"}}); err == nil {
		t.Error("HS256 signing accepted")
	}
	s, err := localidp.New(localidp.Config{Issuer: "https://idp.example", OIDC: &localidp.OIDCConfig{Algorithm: "ES256"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, localidp.DiscoveryPath, nil))
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["issuer"] != "https://idp.example" ||
		doc["jwks_uri"] != "https://idp.example/jwks" || !strings.Contains(rec.Header().Get("Cache-Control"), "max-age=3600") {
		t.Fatalf("discovery %d %v %v", rec.Code, doc, err)
	}
	kid1, alg, _, _ := s.SigningKey()
	kid2, err := s.RotateSigningKey(false)
	if err != nil || kid2 == kid1 || alg != "ES256" {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, localidp.JWKSPath, nil))
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Key(kid1)) != 1 || len(set.Key(kid2)) != 1 || !set.Keys[0].IsPublic() {
		t.Fatalf("key set %s %v", rec.Body, err)
	}
	if _, err := s.RotateSigningKey(true); err != nil {
		t.Fatal(err)
	}
	if set, _ := s.KeySet(); len(set.Keys) != 1 {
		t.Errorf("%d keys after retiring the old ones", len(set.Keys))
	}
	plain, _ := localidp.New(localidp.Config{})
	if _, err := plain.RotateSigningKey(false); err == nil {
		t.Error("rotation on a plain OAuth 2.0 server")
	}
}

// clientAssertion signs an RFC 7523 assertion.
func clientAssertion(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func TestPrivateKeyJWTAssertions(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	s, err := localidp.New(localidp.Config{Issuer: "https://idp.example", OIDC: &localidp.OIDCConfig{}, Now: func() time.Time { return now },
		Clients: map[string]localidp.Client{"c": {AuthMethod: localidp.PrivateKeyJWT, PublicKey: key.Public(), RedirectURIs: []string{"https://app.example/cb"}}}})
	if err != nil {
		t.Fatal(err)
	}
	good := func() map[string]any {
		return map[string]any{"iss": "c", "sub": "c", "aud": "https://idp.example/token", "jti": rand.Text(), "exp": now.Add(time.Minute).Unix()}
	}
	post := func(assertion string) *httptest.ResponseRecorder {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"unknown"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		return rec
	}
	// Authenticated: the grant itself is refused, not the client.
	valid := clientAssertion(t, key, good())
	if rec := post(valid); !strings.Contains(rec.Body.String(), "invalid_grant") {
		t.Fatalf("valid assertion: %d %s", rec.Code, rec.Body)
	}
	if rec := post(valid); rec.Code != http.StatusUnauthorized {
		t.Errorf("replayed assertion: %d %s", rec.Code, rec.Body)
	}
	for name, tamper := range map[string]func(map[string]any){
		"wrong audience": func(c map[string]any) { c["aud"] = "https://other.example/token" },
		"expired":        func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() },
		"too long":       func(c map[string]any) { c["exp"] = now.Add(time.Hour).Unix() },
		"sub differs":    func(c map[string]any) { c["sub"] = "d" },
		"no jti":         func(c map[string]any) { delete(c, "jti") },
	} {
		c := good()
		tamper(c)
		if rec := post(clientAssertion(t, key, c)); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
	if rec := post(clientAssertion(t, other, good())); rec.Code != http.StatusUnauthorized {
		t.Errorf("signed by another key: %d", rec.Code)
	}
}
