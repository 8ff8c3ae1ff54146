package localidp

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"maps"
	"time"
)

// sweepEvery is how often, at most, an unforced sweep of expired grants runs.
const sweepEvery = time.Minute

type grantKind int

const (
	kindCode grantKind = iota + 1
	kindAccess
	kindRefresh
)

// grant is a code, an access token or a refresh token. Every grant redeemed
// from one code shares a family, revoked as a whole on replay.
type grant struct {
	kind     grantKind
	clientID string
	user     User
	scope    string
	expires  time.Time

	// codes only
	redirectURI   string
	redirectGiven bool
	challenge     string
	nonce         string

	// authTime is when the person logged in (OpenID Connect's auth_time).
	authTime time.Time

	// family links a redeemed code and the tokens issued from it; deadline
	// is when the family's refresh tokens stop working.
	family   string
	deadline time.Time
	// spent marks a redeemed code or a rotated refresh token, kept while
	// its family lives so that a replay can be detected (a rotated refresh
	// token's expires is set to its rotation time).
	spent bool
}

var errFull = errors.New("too many grants outstanding")

// randomToken returns 256 random bits, base64url.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func grantKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return string(sum[:])
}

// sweepLocked drops expired grants, then spent ones that are past their own
// expiry and whose family has no live token left (a spent code is thus kept
// at least until it would have expired, so that its replay is recognised
// while its tokens are being issued). It runs at most every sweepEvery
// unless force is set.
func (s *Server) sweepLocked(now time.Time, force bool) {
	if !force && now.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = now
	live := make(map[string]bool)
	for k, g := range s.grants {
		if g.spent {
			continue
		}
		if !now.Before(g.expires) {
			delete(s.grants, k)
			continue
		}
		if g.family != "" {
			live[g.family] = true
		}
	}
	for k, g := range s.grants {
		if g.spent && !live[g.family] && !now.Before(g.expires) {
			delete(s.grants, k)
		}
	}
}

// storeLocked keeps g under a fresh random value and returns that value.
func (s *Server) storeLocked(now time.Time, g *grant) (string, error) {
	s.sweepLocked(now, false)
	if len(s.grants) >= s.cfg.MaxGrants {
		s.sweepLocked(now, true)
		if len(s.grants) >= s.cfg.MaxGrants {
			return "", errFull
		}
	}
	token := randomToken()
	s.grants[grantKey(token)] = g
	return token, nil
}

// revokeFamilyLocked deletes every live token of a family; spent records
// stay until the next sweep, so further replays are still recognised.
func (s *Server) revokeFamilyLocked(family string) int {
	n := 0
	for k, g := range s.grants {
		if g.family == family && !g.spent {
			delete(s.grants, k)
			n++
		}
	}
	return n
}

// TokenInfo describes a live access token.
type TokenInfo struct {
	ClientID string
	Scope    string
	User     User
	Expiry   time.Time
}

// Introspect returns what an access token was issued for, or false when
// the token is unknown, expired or revoked. Handlers added next to the
// server (extra API routes of a test provider) use it to check tokens.
func (s *Server) Introspect(accessToken string) (TokenInfo, bool) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[grantKey(accessToken)]
	if !ok || g.kind != kindAccess || g.spent || !now.Before(g.expires) {
		return TokenInfo{}, false
	}
	return TokenInfo{ClientID: g.clientID, Scope: g.scope, User: cloneUser(g.user), Expiry: g.expires}, true
}

func cloneUser(u User) User {
	u.Claims = maps.Clone(u.Claims)
	return u
}
