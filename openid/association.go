package openid

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/socialauth/socialauth/store"
)

// The default Diffie-Hellman group of OpenID 2.0 (section 8.1.2).
var (
	dhDefaultModulus   = mustBig("155172898181473697471232257763715539915724801966915404479707795314057629378541917580651227423698188993727816152646631438561595825688188889951272158842675419950341258706556549803580104870537681476726513255747040765857479291291572334510643245094715007229621094194349783925984760375594985848253359305585439638443")
	dhDefaultGenerator = big.NewInt(2)
)

func mustBig(decimal string) *big.Int {
	n, ok := new(big.Int).SetString(decimal, 10)
	if !ok {
		panic("openid: bad constant")
	}
	return n
}

// maxAssociationLifetime bounds the lifetime an OP may give an
// association.
const maxAssociationLifetime = 14 * 24 * time.Hour

// errAssociation is the cause of a failed association; the login goes on
// in stateless mode.
var errAssociation = errors.New("openid: association failed")

// btwoc is the big-endian two's complement encoding of a non-negative
// integer (OpenID 2.0 section 4.2).
func btwoc(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// sessionHash returns the hash of a Diffie-Hellman session type.
func sessionHash(sessionType string) (func() hash.Hash, bool) {
	switch sessionType {
	case DHSHA1:
		return sha1.New, true
	case DHSHA256:
		return sha256.New, true
	}
	return nil, false
}

// compatible reports whether a session type can carry an association
// type's key.
func compatible(assocType, sessionType string, https bool) bool {
	switch sessionType {
	case NoEncryption:
		return https && (assocType == HMACSHA1 || assocType == HMACSHA256)
	case DHSHA1:
		return assocType == HMACSHA1
	case DHSHA256:
		return assocType == HMACSHA256
	}
	return false
}

// validHandle checks an association handle: 1 to 255 printable ASCII
// characters.
func validHandle(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if h[i] < 33 || h[i] > 126 {
			return false
		}
	}
	return true
}

// association returns a live association with an OP endpoint, making one
// when none is stored. It returns nil (stateless mode) when the OP cannot
// associate. Expired associations are removed on the way.
func (b *openidBackend) association(ctx context.Context, endpoint string) (*store.OpenIDAssociation, error) {
	list, err := b.assocs.OpenIDAssociations(ctx, endpoint, "")
	if err != nil {
		return nil, fmt.Errorf("openid: reading associations: %w", err)
	}
	now := b.now()
	var best *store.OpenIDAssociation
	var expired []string
	for _, a := range list {
		// An association about to expire is not used: the OP may forget it
		// before the person comes back.
		if a.Expired(now.Add(time.Minute)) {
			if a.Expired(now) {
				expired = append(expired, a.ID)
			}
			continue
		}
		if best == nil || a.IssuedAt.Add(a.Lifetime).After(best.IssuedAt.Add(best.Lifetime)) {
			best = a
		}
	}
	if len(expired) > 0 {
		if err := b.assocs.RemoveOpenIDAssociations(ctx, expired); err != nil {
			return nil, fmt.Errorf("openid: removing expired associations: %w", err)
		}
	}
	if best != nil {
		return best, nil
	}
	a, err := b.associate(ctx, endpoint)
	if err != nil {
		b.logger.WarnContext(ctx, "openid: association failed, using stateless mode", "endpoint", endpoint, "error", err)
		return nil, nil
	}
	if err := b.assocs.StoreOpenIDAssociation(ctx, a); err != nil {
		return nil, fmt.Errorf("openid: storing an association: %w", err)
	}
	return a, nil
}

// associate asks the OP for a new association: HMAC-SHA256 first, and
// once the type the OP suggests in an unsupported-type reply.
func (b *openidBackend) associate(ctx context.Context, endpoint string) (*store.OpenIDAssociation, error) {
	https := strings.HasPrefix(endpoint, "https://")
	assocType, sessionType := HMACSHA256, DHSHA256
	for attempt := 0; ; attempt++ {
		a, suggested, err := b.associateOnce(ctx, endpoint, assocType, sessionType)
		if err == nil {
			return a, nil
		}
		if suggested == nil || attempt > 0 {
			return nil, err
		}
		at, st := suggested.Get("assoc_type"), suggested.Get("session_type")
		if (at == assocType && st == sessionType) || !compatible(at, st, https) {
			return nil, fmt.Errorf("%w: the OP suggested %q over %q", err, at, st)
		}
		assocType, sessionType = at, st
	}
}

// associateOnce sends one associate request. On an unsupported-type error
// reply it returns the OP's suggestion.
func (b *openidBackend) associateOnce(ctx context.Context, endpoint, assocType, sessionType string) (*store.OpenIDAssociation, url.Values, error) {
	form := url.Values{
		"openid.ns":           {NSOpenID2},
		"openid.mode":         {"associate"},
		"openid.assoc_type":   {assocType},
		"openid.session_type": {sessionType},
	}
	var private *big.Int
	h, dh := sessionHash(sessionType)
	if dh {
		var err error
		private, err = rand.Int(rand.Reader, new(big.Int).Sub(dhDefaultModulus, big.NewInt(2)))
		if err != nil {
			return nil, nil, err
		}
		private.Add(private, big.NewInt(1))
		public := new(big.Int).Exp(dhDefaultGenerator, private, dhDefaultModulus)
		form.Set("openid.dh_consumer_public", base64.StdEncoding.EncodeToString(btwoc(public)))
	}
	r, err := b.http.post(ctx, endpoint, form)
	if err != nil {
		return nil, nil, err
	}
	kv, kvErr := parseKeyValue(r.body)
	if r.status == http.StatusBadRequest && kvErr == nil && kv["error_code"] == "unsupported-type" {
		suggested := url.Values{"assoc_type": {kv["assoc_type"]}, "session_type": {kv["session_type"]}}
		return nil, suggested, fmt.Errorf("%w: unsupported-type", errAssociation)
	}
	if r.status != http.StatusOK || kvErr != nil {
		return nil, nil, fmt.Errorf("%w: status %d: %v", errAssociation, r.status, kvErr)
	}
	if kv["ns"] != NSOpenID2 || kv["assoc_type"] != assocType || kv["session_type"] != sessionType {
		return nil, nil, fmt.Errorf("%w: the OP answered ns %q, type %q, session %q", errAssociation, kv["ns"], kv["assoc_type"], kv["session_type"])
	}
	handle := kv["assoc_handle"]
	if !validHandle(handle) {
		return nil, nil, fmt.Errorf("%w: invalid handle", errAssociation)
	}
	seconds, err := strconv.ParseInt(kv["expires_in"], 10, 64)
	if err != nil || seconds <= 0 {
		return nil, nil, fmt.Errorf("%w: invalid expires_in %q", errAssociation, kv["expires_in"])
	}
	lifetime := min(time.Duration(min(seconds, int64(maxAssociationLifetime/time.Second)))*time.Second, maxAssociationLifetime)
	_, size, _ := macHash(assocType)
	var secret []byte
	if dh {
		secret, err = dhSecret(h, private, kv["dh_server_public"], kv["enc_mac_key"])
	} else {
		secret, err = base64.StdEncoding.DecodeString(kv["mac_key"])
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errAssociation, err)
	}
	if len(secret) != size {
		return nil, nil, fmt.Errorf("%w: MAC key of %d bytes for %s", errAssociation, len(secret), assocType)
	}
	return &store.OpenIDAssociation{ServerURL: endpoint, Handle: handle, Secret: secret,
		IssuedAt: b.now(), Lifetime: lifetime, AssocType: assocType}, nil, nil
}

// dhSecret recovers the MAC key of a Diffie-Hellman session:
// enc_mac_key XOR H(btwoc(server_public ^ private mod p)).
func dhSecret(h func() hash.Hash, private *big.Int, serverPublic, encMacKey string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(serverPublic)
	if err != nil || len(raw) == 0 {
		return nil, errors.New("invalid dh_server_public")
	}
	y := new(big.Int).SetBytes(raw)
	pMinus1 := new(big.Int).Sub(dhDefaultModulus, big.NewInt(1))
	if raw[0]&0x80 != 0 || y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(pMinus1) >= 0 {
		return nil, errors.New("dh_server_public out of range")
	}
	enc, err := base64.StdEncoding.DecodeString(encMacKey)
	if err != nil {
		return nil, errors.New("invalid enc_mac_key")
	}
	shared := new(big.Int).Exp(y, private, dhDefaultModulus)
	hh := h()
	hh.Write(btwoc(shared))
	mask := hh.Sum(nil)
	if len(enc) != len(mask) {
		return nil, fmt.Errorf("enc_mac_key of %d bytes, want %d", len(enc), len(mask))
	}
	secret := make([]byte, len(enc))
	subtle.XORBytes(secret, enc, mask)
	return secret, nil
}
