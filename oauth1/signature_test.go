package oauth1_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/socialauth/socialauth/oauth1"
)

func TestEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019-._~", "abcXYZ019-._~"}, // unreserved: kept
		{"r b", "r%20b"},                   // space is %20, never +
		{"=%3D", "%3D%253D"},               // % itself is encoded
		{"c@", "c%40"},
		{"a+b&c/d:e", "a%2Bb%26c%2Fd%3Ae"},
		{"é", "%C3%A9"},        // UTF-8 bytes, upper-case hex
		{"\x00\xff", "%00%FF"}, // any byte
	} {
		if got := oauth1.Encode(tc.in); got != tc.want {
			t.Errorf("Encode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestBaseStringURI checks RFC 5849 section 3.4.1.2, with its two
// examples first.
func TestBaseStringURI(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://EXAMPLE.COM:80/r%20v/X?id=123", "http://example.com/r%20v/X"},
		{"https://www.example.net:8080/?q=1", "https://www.example.net:8080/"},
		{"HTTPS://Api.Example.com:443/1.1/x.json#frag", "https://api.example.com/1.1/x.json"},
		{"http://example.com:443/", "http://example.com:443/"}, // 443 is not http's default
		{"https://example.com:80", "https://example.com:80/"},
		{"http://example.com", "http://example.com/"},
		{"http://[::1]:8080/p", "http://[::1]:8080/p"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := oauth1.BaseStringURI(u)
		if err != nil || got != tc.want {
			t.Errorf("BaseStringURI(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ftp://example.com/", "/relative"} {
		u, _ := url.Parse(bad)
		if _, err := oauth1.BaseStringURI(u); err == nil {
			t.Errorf("BaseStringURI(%q) accepted", bad)
		}
	}
}

// The request of RFC 5849 sections 3.1, 3.4.1.1 and 3.4.1.3.1:
//
//	POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b HTTP/1.1
//	Host: example.com
//	Content-Type: application/x-www-form-urlencoded
//
//	c2&a3=2+q
const rfcRequestURL = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"

func rfcRequestParams(t *testing.T) url.Values {
	t.Helper()
	body, err := url.ParseQuery("c2&a3=2+q") // "+" is a space in a form body
	if err != nil {
		t.Fatal(err)
	}
	params := url.Values{
		"oauth_consumer_key":     {"9djdj82h48djs9d2"},
		"oauth_token":            {"kkk9d7dh3k39sjv7"},
		"oauth_signature_method": {"HMAC-SHA1"},
		"oauth_timestamp":        {"137131201"},
		"oauth_nonce":            {"7d8f3e4a"},
	}
	for k, vs := range body {
		params[k] = append(params[k], vs...)
	}
	return params
}

// TestNormalizedParametersRFC5849 is the example at the end of section
// 3.4.1.3.2: duplicate names (a3 twice, from the query and the body), an
// encoded "%" (b5), empty values (c@, c2), "+" decoded as a space.
func TestNormalizedParametersRFC5849(t *testing.T) {
	u, _ := url.Parse(rfcRequestURL)
	all := u.Query()
	for k, vs := range rfcRequestParams(t) {
		all[k] = append(all[k], vs...)
	}
	all.Set("oauth_signature", "excluded") // never part of the normalized string
	want := "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9dj" +
		"dj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1" +
		"&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7"
	if got := oauth1.NormalizeParameters(all); got != want {
		t.Errorf("normalized parameters\n got %s\nwant %s", got, want)
	}
}

// TestSignatureBaseStringRFC5849 is the example of section 3.4.1.1 and
// the signature of section 3.1 for the same request (client secret
// "j49sk3j29djd", token secret "dh893hdasih9").
//
// The base string below is the one the RFC prints in section 3.4.1.1; it
// is what the request's parameters give under sections 3.4.1.2 and
// 3.4.1.3, and it agrees with the normalized string of section 3.4.1.3.2.
// The oauth_signature the RFC prints for this request,
// "bYT5CMsGcbgUdFHObYMEfcx6bsw=", does not match that base string and
// those secrets; RFC 5849's verified erratum (EID 2550) corrects the
// example's signature to "r6/TJjbCOr97/+UU0NsvSne7s5g=", which is also the
// HMAC-SHA1 of the printed base string under the key
// "j49sk3j29djd&dh893hdasih9" computed independently.
func TestSignatureBaseStringRFC5849(t *testing.T) {
	got, err := oauth1.SignatureBaseString("post", rfcRequestURL, rfcRequestParams(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q" +
		"%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_" +
		"key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m" +
		"ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk" +
		"9d7dh3k39sjv7"
	if got != want {
		t.Fatalf("base string\n got %s\nwant %s", got, want)
	}
	s := &oauth1.Signer{ConsumerKey: "9djdj82h48djs9d2", ConsumerSecret: "j49sk3j29djd"}
	sig, err := s.Sign(got, "dh893hdasih9")
	if err != nil || sig != "r6/TJjbCOr97/+UU0NsvSne7s5g=" {
		t.Errorf("signature = %q, %v", sig, err)
	}
}

// TestPhotosExampleRFC5849 checks the three signed requests of the
// section 1.2 example (client credentials dpf43f3p2l4k3l03 /
// kd94hf93k423kf44): the temporary-credential request and the token
// request over https, and the photo request over http. Each signature is
// the one the RFC prints.
func TestPhotosExampleRFC5849(t *testing.T) {
	s := &oauth1.Signer{ConsumerKey: "dpf43f3p2l4k3l03", ConsumerSecret: "kd94hf93k423kf44"}
	for _, tc := range []struct {
		name, method, url, tokenSecret, want string
		params                               url.Values
	}{
		{"initiate", "POST", "https://photos.example.net/initiate", "", "74KNZJeDHnMBp0EMJ9ZHt/XKycU=", url.Values{
			"oauth_consumer_key": {"dpf43f3p2l4k3l03"}, "oauth_signature_method": {"HMAC-SHA1"},
			"oauth_timestamp": {"137131200"}, "oauth_nonce": {"wIjqoS"},
			"oauth_callback": {"http://printer.example.com/ready"},
		}},
		{"token", "POST", "https://photos.example.net/token", "hdhd0244k9j7ao03", "gKgrFCywp7rO0OXSjdot/IHF7IU=", url.Values{
			"oauth_consumer_key": {"dpf43f3p2l4k3l03"}, "oauth_token": {"hh5s93j4hdidpola"},
			"oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"137131201"},
			"oauth_nonce": {"walatlh"}, "oauth_verifier": {"hfdp7dh39dks9884"},
		}},
		{"photos", "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original", "pfkkdhi9sl3r4s00", "MdpQcU8iPSUjWoN/UDMsK2sui9I=", url.Values{
			"oauth_consumer_key": {"dpf43f3p2l4k3l03"}, "oauth_token": {"nnch734d00sl2jdk"},
			"oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"137131202"},
			"oauth_nonce": {"chapoH"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, err := oauth1.SignatureBaseString(tc.method, tc.url, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Sign(base, tc.tokenSecret)
			if err != nil || sig != tc.want {
				t.Errorf("signature = %q, %v; want %q (base %s)", sig, err, tc.want, base)
			}
		})
	}
}

// TestPlaintextRFC5849 is the PLAINTEXT example of section 2.1: client
// secret "ja893SD9" and no token secret give "ja893SD9&".
func TestPlaintextRFC5849(t *testing.T) {
	s := &oauth1.Signer{Method: oauth1.Plaintext, ConsumerKey: "jd83jd92dhsh93js", ConsumerSecret: "ja893SD9"}
	if sig, err := s.Sign("ignored", ""); err != nil || sig != "ja893SD9&" {
		t.Errorf("PLAINTEXT = %q, %v", sig, err)
	}
	// Both secrets are encoded.
	s.ConsumerSecret = "a&b c"
	if sig, _ := s.Sign("", "t=1"); sig != "a%26b%20c&t%3D1" {
		t.Errorf("PLAINTEXT = %q", sig)
	}
}

func TestRSASHA1(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &oauth1.Signer{Method: oauth1.RSASHA1, ConsumerKey: "k", PrivateKey: key}
	base, _ := oauth1.SignatureBaseString("GET", "https://example.com/x?a=1", url.Values{"oauth_nonce": {"n"}})
	sig, err := s.Sign(base, "ignored")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(sig)
	sum := sha1.Sum([]byte(base))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA1, sum[:], raw); err != nil {
		t.Errorf("RSA-SHA1 signature does not verify: %v", err)
	}
	sum2 := sha1.Sum([]byte(base + "x"))
	if rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA1, sum2[:], raw) == nil {
		t.Error("signature verifies for another base string")
	}
	if _, err := (&oauth1.Signer{Method: oauth1.RSASHA1}).Sign(base, ""); err == nil {
		t.Error("RSA-SHA1 without a key signed")
	}
	if _, err := oauth1.ParsePrivateKey([]byte("not pem")); err == nil {
		t.Error("ParsePrivateKey accepted garbage")
	}
}

func TestAuthorizationHeader(t *testing.T) {
	s := &oauth1.Signer{ConsumerKey: "ck y", ConsumerSecret: "cs"}
	h1, err := s.Authorization("POST", "https://example.com/r?q=1", url.Values{"b": {"2"}}, "tok", "ts",
		url.Values{"oauth_callback": {"https://app.example.com/complete/x/?a=b"}}, timeNow())
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := s.Authorization("POST", "https://example.com/r?q=1", nil, "tok", "ts", nil, timeNow())
	for _, want := range []string{`OAuth `, `oauth_consumer_key="ck%20y"`, `oauth_token="tok"`, `oauth_signature_method="HMAC-SHA1"`,
		`oauth_version="1.0"`, `oauth_callback="https%3A%2F%2Fapp.example.com%2Fcomplete%2Fx%2F%3Fa%3Db"`, `oauth_signature="`, `oauth_nonce="`} {
		if !strings.Contains(h1, want) {
			t.Errorf("header %s lacks %s", h1, want)
		}
	}
	if strings.Contains(h1, "q=") || strings.Contains(h1, `b="`) {
		t.Errorf("non-oauth parameters in the header: %s", h1)
	}
	if nonceOf(h1) == nonceOf(h2) || nonceOf(h1) == "" {
		t.Error("nonces repeat")
	}
}

func nonceOf(h string) string {
	_, rest, _ := strings.Cut(h, `oauth_nonce="`)
	v, _, _ := strings.Cut(rest, `"`)
	return v
}
