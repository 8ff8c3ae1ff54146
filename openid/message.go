package openid

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strings"
)

// Namespaces and type URIs of OpenID Authentication 2.0 and its extensions.
const (
	// NSOpenID2 is the openid.ns value of OpenID 2.0 messages.
	NSOpenID2 = "http://specs.openid.net/auth/2.0"
	// TypeServer is the XRDS service type of an OP identifier.
	TypeServer = "http://specs.openid.net/auth/2.0/server"
	// TypeSignon is the XRDS service type of a claimed identifier.
	TypeSignon = "http://specs.openid.net/auth/2.0/signon"
	// IdentifierSelect is the claimed_id and identity sent when the person
	// chooses the identifier at the OP.
	IdentifierSelect = "http://specs.openid.net/auth/2.0/identifier_select"
	// NSSREG is the Simple Registration 1.1 namespace.
	NSSREG = "http://openid.net/extensions/sreg/1.1"
	// NSAX is the Attribute Exchange 1.0 namespace.
	NSAX = "http://openid.net/srv/ax/1.0"
	// NSPAPE is the Provider Authentication Policy Extension 1.0 namespace.
	NSPAPE = "http://specs.openid.net/extensions/pape/1.0"
)

// Association and session types.
const (
	HMACSHA1     = "HMAC-SHA1"
	HMACSHA256   = "HMAC-SHA256"
	DHSHA1       = "DH-SHA1"
	DHSHA256     = "DH-SHA256"
	NoEncryption = "no-encryption"
)

// errKeyValue is the cause of a malformed key-value form reply.
var errKeyValue = errors.New("openid: malformed key-value form")

// parseKeyValue reads a key-value form body ("key:value\n" lines).
func parseKeyValue(body []byte) (map[string]string, error) {
	out := map[string]string{}
	for line := range strings.SplitSeq(string(body), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: line %q", errKeyValue, truncate(line, 80))
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%w: key %q repeated", errKeyValue, k)
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty", errKeyValue)
	}
	return out, nil
}

// signingPayload builds the key-value form of the signed fields of a
// message, in the order openid.signed lists them. It fails when a listed
// field is absent or a key or value cannot be encoded.
func signingPayload(msg url.Values, signed []string) ([]byte, error) {
	var b bytes.Buffer
	for _, k := range signed {
		vs, ok := msg["openid."+k]
		if !ok || len(vs) != 1 {
			return nil, fmt.Errorf("signed field %q is missing or repeated", k)
		}
		v := vs[0]
		if strings.ContainsAny(k, ":\n") || strings.Contains(v, "\n") {
			return nil, fmt.Errorf("signed field %q cannot be encoded", k)
		}
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// macHash returns the hash of an association type.
func macHash(assocType string) (func() hash.Hash, int, error) {
	switch assocType {
	case HMACSHA1:
		return sha1.New, sha1.Size, nil
	case HMACSHA256:
		return sha256.New, sha256.Size, nil
	}
	return nil, 0, fmt.Errorf("unknown association type %q", assocType)
}

// sign computes the signature of payload with an association's secret.
func sign(assocType string, secret, payload []byte) ([]byte, error) {
	h, _, err := macHash(assocType)
	if err != nil {
		return nil, err
	}
	m := hmac.New(h, secret)
	m.Write(payload)
	return m.Sum(nil), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// single returns the only value of a parameter, or "" when it is absent
// or repeated.
func single(v url.Values, key string) string {
	if vs := v[key]; len(vs) == 1 {
		return vs[0]
	}
	return ""
}
