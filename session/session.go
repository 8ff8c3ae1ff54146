// Package session keeps socialauth's per-browser data: the state of logins
// in progress, partial-pipeline tokens, the FIELDS_STORED_IN_SESSION values
// and, with the default login function, the logged-in user's id.
//
// Storage sits behind [Store]. The default, [CookieStore], seals the whole
// session into one cookie with AES-256-GCM under keys derived from
// SOCIAL_AUTH_SECRET_KEY; the cookie is HttpOnly, Secure and SameSite=Lax
// unless configured otherwise by a name that says it is for development.
// Tokens are never put in the session: they live in the association's
// extra data in storage.
package session

import (
	"context"
	"maps"
	"net/http"
	"time"
)

// Session is one browser's data. It is not safe for concurrent use; the
// engine loads one per request.
type Session struct {
	values  map[string]string
	changed bool
	renew   bool
	// MaxAge, when non-zero, is the lifetime to give the session on save
	// (SESSION_EXPIRATION sets it from the token's expiry).
	MaxAge time.Duration
}

// New returns an empty session.
func New() *Session { return &Session{values: map[string]string{}} }

// FromValues returns a session holding a copy of values, as a Store
// loads it.
func FromValues(values map[string]string) *Session {
	s := New()
	maps.Copy(s.values, values)
	return s
}

// Get returns a value.
func (s *Session) Get(key string) (string, bool) {
	v, ok := s.values[key]
	return v, ok
}

// Set stores a value.
func (s *Session) Set(key, value string) {
	if old, ok := s.values[key]; ok && old == value {
		return
	}
	s.values[key] = value
	s.changed = true
}

// Delete removes a value.
func (s *Session) Delete(key string) {
	if _, ok := s.values[key]; ok {
		delete(s.values, key)
		s.changed = true
	}
}

// Pop removes a value and returns it.
func (s *Session) Pop(key string) (string, bool) {
	v, ok := s.values[key]
	s.Delete(key)
	return v, ok
}

// Clear removes every value (logout).
func (s *Session) Clear() {
	if len(s.values) > 0 {
		clear(s.values)
		s.changed = true
	}
}

// Renew asks the store to give the session a new identity on save, as is
// done on login to defeat session fixation. Cookie sessions are sealed anew
// on every save, so for them it only forces a save.
func (s *Session) Renew() {
	s.renew = true
	s.changed = true
}

// Renewed reports whether Renew was called.
func (s *Session) Renewed() bool { return s.renew }

// Changed reports whether the session must be saved.
func (s *Session) Changed() bool { return s.changed }

// Values returns a copy of the session's values, for stores.
func (s *Session) Values() map[string]string { return maps.Clone(s.values) }

// Len is the number of values.
func (s *Session) Len() int { return len(s.values) }

// Store loads and saves sessions.
type Store interface {
	// Load returns the request's session: an empty one when it has none or
	// when what it has is invalid (forged, expired, sealed with an unknown
	// key).
	Load(ctx context.Context, r *http.Request) (*Session, error)
	// Save writes the session to the response (headers not yet sent).
	// Saving an empty session deletes it.
	Save(ctx context.Context, w http.ResponseWriter, r *http.Request, s *Session) error
}
