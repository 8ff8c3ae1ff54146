package oauth1

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SignatureMethod is how requests are signed (RFC 5849 section 3.4).
type SignatureMethod string

// The signature methods of RFC 5849.
const (
	// HMACSHA1 signs with HMAC-SHA1 keyed by the consumer and token
	// secrets. It is the default.
	HMACSHA1 SignatureMethod = "HMAC-SHA1"
	// RSASHA1 signs with the consumer's RSA private key (PKCS #1 v1.5,
	// SHA-1); the provider knows the public key.
	RSASHA1 SignatureMethod = "RSA-SHA1"
	// Plaintext sends the secrets themselves. [New] accepts it only when
	// every endpoint is https or on a loopback host.
	Plaintext SignatureMethod = "PLAINTEXT"
)

// Encode percent-encodes s as RFC 5849 section 3.6 (RFC 3986) wants:
// every byte except the unreserved ALPHA, DIGIT, "-", ".", "_" and "~"
// becomes %XY with upper-case hex digits; a space is %20, never "+".
func Encode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// BaseStringURI returns the base string URI of RFC 5849 section 3.4.1.2:
// lower-case scheme and host, the port only when it is not the scheme's
// default (80 for http, 443 for https), the path ("/" when empty), and
// neither query nor fragment.
func BaseStringURI(u *url.URL) (string, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("oauth1: cannot sign a %q URL", u.Scheme)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", errors.New("oauth1: cannot sign a URL without a host")
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	authority := host
	if strings.Contains(host, ":") { // IPv6 literal
		authority = "[" + host + "]"
	}
	if port != "" {
		authority = net.JoinHostPort(host, port)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + authority + path, nil
}

// NormalizeParameters returns the normalized request parameters of RFC
// 5849 section 3.4.1.3.2: each name and value encoded, the pairs sorted by
// name and then by value (byte order), joined as name=value with "&".
// Every value of a repeated name is kept; "oauth_signature" is left out.
func NormalizeParameters(params url.Values) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(params))
	for k, vs := range params {
		if k == "oauth_signature" {
			continue
		}
		ek := Encode(k)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, Encode(v)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// SignatureBaseString returns the signature base string of RFC 5849
// section 3.4.1.1 for a request: the upper-case method, the base string
// URI of rawURL and the normalized parameters, each encoded and joined by
// "&". The parameters are those of rawURL's query (decoded as a form, so
// "+" is a space) plus params: the protocol parameters and, for an
// application/x-www-form-urlencoded body, the body's parameters.
func SignatureBaseString(method, rawURL string, params url.Values) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("oauth1: %w", err)
	}
	uri, err := BaseStringURI(u)
	if err != nil {
		return "", err
	}
	all, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("oauth1: query of %s: %w", uri, err)
	}
	for k, vs := range params {
		all[k] = append(all[k], vs...)
	}
	return Encode(strings.ToUpper(method)) + "&" + Encode(uri) + "&" + Encode(NormalizeParameters(all)), nil
}

// Signer signs requests for one consumer (client). The zero Method is
// [HMACSHA1]. A Signer is safe for concurrent use.
type Signer struct {
	Method         SignatureMethod
	ConsumerKey    string
	ConsumerSecret string
	// PrivateKey signs with RSASHA1.
	PrivateKey *rsa.PrivateKey
}

func (s *Signer) method() SignatureMethod {
	if s.Method == "" {
		return HMACSHA1
	}
	return s.Method
}

// Sign returns the oauth_signature for a signature base string (not
// percent-encoded): base64 of HMAC-SHA1 keyed by
// Encode(consumer secret)&Encode(tokenSecret), base64 of the RSA-SHA1
// signature, or for PLAINTEXT the key itself (base is then unused).
func (s *Signer) Sign(base, tokenSecret string) (string, error) {
	key := Encode(s.ConsumerSecret) + "&" + Encode(tokenSecret)
	switch s.method() {
	case HMACSHA1:
		mac := hmac.New(sha1.New, []byte(key))
		mac.Write([]byte(base))
		return base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
	case RSASHA1:
		if s.PrivateKey == nil {
			return "", errors.New("oauth1: RSA-SHA1 without a private key")
		}
		sum := sha1.Sum([]byte(base))
		sig, err := rsa.SignPKCS1v15(nil, s.PrivateKey, crypto.SHA1, sum[:])
		if err != nil {
			return "", fmt.Errorf("oauth1: RSA-SHA1: %w", err)
		}
		return base64.StdEncoding.EncodeToString(sig), nil
	case Plaintext:
		return key, nil
	}
	return "", fmt.Errorf("oauth1: unknown signature method %q", s.Method)
}

// Authorization returns the value of an "Authorization: OAuth …" header
// (RFC 5849 section 3.5.1) for a request: method on rawURL (whose query
// is signed), with body the parameters of a form-encoded body (or nil),
// token and tokenSecret the token credentials (empty for a request-token
// call) and protocol any further oauth_* parameters (oauth_callback,
// oauth_verifier). A fresh nonce and the timestamp of now are added.
func (s *Signer) Authorization(method, rawURL string, body url.Values, token, tokenSecret string, protocol url.Values, now time.Time) (string, error) {
	oauth := url.Values{}
	for k, vs := range protocol {
		if len(vs) > 0 {
			oauth.Set(k, vs[0])
		}
	}
	oauth.Set("oauth_consumer_key", s.ConsumerKey)
	oauth.Set("oauth_signature_method", string(s.method()))
	oauth.Set("oauth_timestamp", strconv.FormatInt(now.Unix(), 10))
	oauth.Set("oauth_nonce", nonce())
	oauth.Set("oauth_version", "1.0")
	if token != "" {
		oauth.Set("oauth_token", token)
	}
	params := url.Values{}
	for k, vs := range body {
		params[k] = slices.Clone(vs)
	}
	for k, vs := range oauth {
		params[k] = append(params[k], vs...)
	}
	base, err := SignatureBaseString(method, rawURL, params)
	if err != nil {
		return "", err
	}
	sig, err := s.Sign(base, tokenSecret)
	if err != nil {
		return "", err
	}
	oauth.Set("oauth_signature", sig)
	names := make([]string, 0, len(oauth))
	for k := range oauth {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("OAuth ")
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Encode(k))
		b.WriteString(`="`)
		b.WriteString(Encode(oauth.Get(k)))
		b.WriteByte('"')
	}
	return b.String(), nil
}

// nonce returns 16 random bytes as 32 hex digits.
func nonce() string {
	var buf [16]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
	return fmt.Sprintf("%x", buf[:])
}

// ParsePrivateKey reads an RSA private key from PEM, as PKCS #1 ("RSA
// PRIVATE KEY") or PKCS #8 ("PRIVATE KEY").
func ParsePrivateKey(pemData []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the PKCS #8 key is a %T, not an RSA key", k)
		}
		return rk, nil
	}
	return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
}
