package session

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// MaxCookieSize is the largest sealed cookie value a CookieStore writes;
// browsers drop larger cookies, so Save fails instead.
const MaxCookieSize = 3800

// ErrTooLarge is returned by CookieStore.Save when the sealed session does
// not fit in a cookie.
var ErrTooLarge = errors.New("session: sealed session too large for a cookie")

// CookieConfig configures a [CookieStore].
type CookieConfig struct {
	// Name is the cookie name; default "socialauth".
	Name string
	// Secrets are the SOCIAL_AUTH_SECRET_KEY values: the first seals, all
	// open, so a secret can be rotated by putting the new one first. Each
	// must be at least 32 bytes.
	Secrets []string
	// MaxAge is the session lifetime; default 14 days.
	MaxAge time.Duration
	// Path is the cookie path; default "/".
	Path string
	// Domain is the cookie domain; default host-only.
	Domain string
	// InsecureAllowHTTP drops the Secure attribute so that the cookie works
	// over plain HTTP. Only for local development.
	InsecureAllowHTTP bool
	// SameSite defaults to http.SameSiteLaxMode, which the redirect back
	// from a provider needs. Strict would lose the session on that
	// redirect; None would send it on cross-site posts.
	SameSite http.SameSite
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// CookieStore keeps the whole session in one sealed cookie.
type CookieStore struct {
	cfg   CookieConfig
	aeads []cipher.AEAD
}

// MinSecretLength is the shortest secret a CookieStore accepts.
const MinSecretLength = 32

// NewCookieStore returns a CookieStore, or an error when no secret is given
// or one is too short.
func NewCookieStore(cfg CookieConfig) (*CookieStore, error) {
	if len(cfg.Secrets) == 0 {
		return nil, errors.New("session: no secret key (set SOCIAL_AUTH_SECRET_KEY)")
	}
	if cfg.Name == "" {
		cfg.Name = "socialauth"
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 14 * 24 * time.Hour
	}
	if cfg.Path == "" {
		cfg.Path = "/"
	}
	if cfg.SameSite == 0 {
		cfg.SameSite = http.SameSiteLaxMode
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	st := &CookieStore{cfg: cfg}
	for i, secret := range cfg.Secrets {
		if len(secret) < MinSecretLength {
			return nil, fmt.Errorf("session: secret key %d is %d bytes; at least %d are needed", i+1, len(secret), MinSecretLength)
		}
		key, err := hkdf.Key(sha256.New, []byte(secret), nil, "socialauth session v1", 32)
		if err != nil {
			return nil, fmt.Errorf("session: deriving key: %w", err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
		st.aeads = append(st.aeads, aead)
	}
	return st, nil
}

// sealed is the cookie's plaintext.
type sealed struct {
	Values  map[string]string `json:"v"`
	Expires int64             `json:"e"`
}

// Load implements [Store]. An absent, malformed, forged or expired cookie
// gives an empty session.
func (c *CookieStore) Load(_ context.Context, r *http.Request) (*Session, error) {
	ck, err := r.Cookie(c.cfg.Name)
	if err != nil {
		return New(), nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(ck.Value) > MaxCookieSize {
		return New(), nil
	}
	for _, aead := range c.aeads {
		ns := aead.NonceSize()
		if len(raw) < ns+aead.Overhead() {
			break
		}
		plain, err := aead.Open(nil, raw[:ns], raw[ns:], []byte(c.cfg.Name))
		if err != nil {
			continue
		}
		var s sealed
		if json.Unmarshal(plain, &s) != nil || c.cfg.Now().Unix() >= s.Expires {
			return New(), nil
		}
		return FromValues(s.Values), nil
	}
	return New(), nil
}

// Save implements [Store]. It writes the cookie only when the session
// changed; an empty session deletes it.
func (c *CookieStore) Save(_ context.Context, w http.ResponseWriter, _ *http.Request, s *Session) error {
	if !s.Changed() {
		return nil
	}
	ck := &http.Cookie{
		Name:     c.cfg.Name,
		Path:     c.cfg.Path,
		Domain:   c.cfg.Domain,
		Secure:   !c.cfg.InsecureAllowHTTP,
		HttpOnly: true,
		SameSite: c.cfg.SameSite,
	}
	if s.Len() == 0 {
		ck.MaxAge = -1
		http.SetCookie(w, ck)
		return nil
	}
	maxAge := c.cfg.MaxAge
	if s.MaxAge > 0 {
		maxAge = s.MaxAge
	}
	plain, err := json.Marshal(sealed{Values: s.values, Expires: c.cfg.Now().Add(maxAge).Unix()})
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	aead := c.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	out := aead.Seal(nonce, nonce, plain, []byte(c.cfg.Name))
	ck.Value = base64.RawURLEncoding.EncodeToString(out)
	if len(ck.Value) > MaxCookieSize {
		return ErrTooLarge
	}
	ck.MaxAge = int(maxAge / time.Second)
	http.SetCookie(w, ck)
	return nil
}
