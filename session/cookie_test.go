package session_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/session"
)

const (
	secretA = "0123456789abcdef0123456789abcdef-A"
	secretB = "0123456789abcdef0123456789abcdef-B"
)

func newStore(t *testing.T, cfg session.CookieConfig) *session.CookieStore {
	t.Helper()
	if cfg.Secrets == nil {
		cfg.Secrets = []string{secretA}
	}
	st, err := session.NewCookieStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// roundTrip saves s with from and returns the cookie it set.
func save(t *testing.T, st session.Store, s *session.Session) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := st.Save(context.Background(), rec, httptest.NewRequest("GET", "/", nil), s); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Save set %d cookies", len(cookies))
	}
	return cookies[0]
}

func load(t *testing.T, st session.Store, c *http.Cookie) *session.Session {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	s, err := st.Load(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCookieRoundTripAndAttributes(t *testing.T) {
	st := newStore(t, session.CookieConfig{})
	s := session.New()
	s.Set("k", "v")
	c := save(t, st, s)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
		t.Errorf("cookie attributes not secure by default: %+v", c)
	}
	if strings.Contains(c.Value, "v") && strings.Contains(c.Value, "k") && len(c.Value) < 10 {
		t.Error("value not sealed")
	}
	if v, ok := load(t, st, c).Get("k"); !ok || v != "v" {
		t.Errorf("loaded %q, %v", v, ok)
	}
}

func TestCookieRefusesTamperingAndUnknownKeys(t *testing.T) {
	st := newStore(t, session.CookieConfig{})
	s := session.New()
	s.Set("user", "1")
	c := save(t, st, s)

	flipped := *c
	b := []byte(flipped.Value)
	b[len(b)/2] ^= 1
	if b[len(b)/2] == '-' || b[len(b)/2] == '_' {
		b[len(b)/2] = 'A'
	}
	flipped.Value = string(b)
	if load(t, st, &flipped).Len() != 0 {
		t.Error("tampered cookie accepted")
	}
	for _, v := range []string{"", "!!!", "AAAA", strings.Repeat("A", 5000)} {
		if load(t, st, &http.Cookie{Name: c.Name, Value: v}).Len() != 0 {
			t.Errorf("garbage cookie %q accepted", v[:min(len(v), 8)])
		}
	}
	other := newStore(t, session.CookieConfig{Secrets: []string{secretB}})
	if load(t, other, c).Len() != 0 {
		t.Error("cookie opened with another key")
	}
	// A cookie sealed under another cookie name is refused (the name is authenticated).
	renamed := newStore(t, session.CookieConfig{Name: "other"})
	if load(t, renamed, &http.Cookie{Name: "other", Value: c.Value}).Len() != 0 {
		t.Error("cookie accepted under another name")
	}
}

func TestCookieKeyRotation(t *testing.T) {
	old := newStore(t, session.CookieConfig{Secrets: []string{secretA}})
	s := session.New()
	s.Set("user", "42")
	c := save(t, old, s)
	rotated := newStore(t, session.CookieConfig{Secrets: []string{secretB, secretA}})
	if v, _ := load(t, rotated, c).Get("user"); v != "42" {
		t.Fatal("rotated store cannot open a cookie sealed with the old key")
	}
	resealed := load(t, rotated, c)
	resealed.Set("user", "43")
	c2 := save(t, rotated, resealed)
	onlyNew := newStore(t, session.CookieConfig{Secrets: []string{secretB}})
	if v, _ := load(t, onlyNew, c2).Get("user"); v != "43" {
		t.Error("new cookies are not sealed with the first key")
	}
}

func TestCookieExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	st := newStore(t, session.CookieConfig{MaxAge: time.Hour, Now: func() time.Time { return now }})
	s := session.New()
	s.Set("a", "b")
	c := save(t, st, s)
	now = now.Add(59 * time.Minute)
	if load(t, st, c).Len() != 1 {
		t.Fatal("session expired early")
	}
	now = now.Add(2 * time.Minute)
	if load(t, st, c).Len() != 0 {
		t.Error("expired session accepted (the cookie's own expiry is not trusted)")
	}
	// A session-specific lifetime (SESSION_EXPIRATION) is honoured.
	s2 := session.New()
	s2.Set("a", "b")
	s2.MaxAge = 10 * time.Minute
	if c := save(t, st, s2); c.MaxAge != 600 {
		t.Errorf("MaxAge = %d, want 600", c.MaxAge)
	}
}

func TestCookieDeleteUnchangedAndLimits(t *testing.T) {
	st := newStore(t, session.CookieConfig{InsecureAllowHTTP: true})
	s := session.New()
	s.Set("a", "b")
	if c := save(t, st, s); c.Secure {
		t.Error("InsecureAllowHTTP should drop Secure")
	}
	s.Clear()
	if c := save(t, st, s); c.MaxAge >= 0 {
		t.Errorf("empty session should delete the cookie, MaxAge=%d", c.MaxAge)
	}
	rec := httptest.NewRecorder()
	unchanged := session.FromValues(map[string]string{"a": "b"})
	if err := st.Save(context.Background(), rec, httptest.NewRequest("GET", "/", nil), unchanged); err != nil || len(rec.Result().Cookies()) != 0 {
		t.Error("unchanged session was written")
	}
	big := session.New()
	big.Set("blob", strings.Repeat("x", 5000))
	err := st.Save(context.Background(), httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), big)
	if !errors.Is(err, session.ErrTooLarge) {
		t.Errorf("oversized session: %v", err)
	}
}

func TestNewCookieStoreValidation(t *testing.T) {
	if _, err := session.NewCookieStore(session.CookieConfig{}); err == nil {
		t.Error("no secret accepted")
	}
	if _, err := session.NewCookieStore(session.CookieConfig{Secrets: []string{"short"}}); err == nil {
		t.Error("short secret accepted")
	}
}

func TestSessionValues(t *testing.T) {
	s := session.New()
	if s.Changed() {
		t.Error("new session changed")
	}
	s.Set("a", "1")
	if v, ok := s.Pop("a"); !ok || v != "1" || s.Len() != 0 {
		t.Error("Pop")
	}
	s2 := session.FromValues(map[string]string{"x": "y"})
	s2.Set("x", "y")
	if s2.Changed() {
		t.Error("setting the same value marked the session changed")
	}
	s2.Renew()
	if !s2.Changed() || !s2.Renewed() {
		t.Error("Renew should force a save")
	}
}
