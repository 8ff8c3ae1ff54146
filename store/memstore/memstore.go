// Package memstore is the in-memory reference implementation of
// [store.Store]. It is meant for tests, examples and single-process
// development servers: everything is lost when the process exits.
//
// A [Store] is safe for concurrent use. It never hands out its own state:
// every value passed in is copied before it is kept and every value returned
// is a fresh copy. User.Extra and Association.ExtraData are kept as JSON, as
// a database would keep them, so they come back the way encoding/json
// decodes into an any: numbers as float64, objects as map[string]any, arrays
// as []any. A value that cannot be encoded as JSON is refused.
package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/socialauth/socialauth/store"
)

// DefaultUsernameMaxLength is the longest username accepted when
// Options.UsernameMaxLength is not set (Django's default of 150).
const DefaultUsernameMaxLength = 150

// ErrUsernameTooLong is matched by the error of CreateUser or UpdateUser
// when the username has more characters than the store accepts.
var ErrUsernameTooLong = errors.New("memstore: username too long")

// Options configure a Store. The zero value is usable.
type Options struct {
	// Now returns the current time; time.Now when nil. Tests inject a fixed
	// or stepping clock here.
	Now func() time.Time
	// UsernameMaxLength is the longest username, in characters, the store
	// accepts; DefaultUsernameMaxLength when zero or negative.
	UsernameMaxLength int
}

// Store keeps every socialauth record in memory. Create one with New.
type Store struct {
	now         func() time.Time
	usernameMax int

	mu                 sync.Mutex
	lastID             int64
	users              map[string]userRecord
	associations       map[string]associationRecord
	nonces             map[store.Nonce]struct{}
	openIDAssociations map[string]store.OpenIDAssociation
	codes              map[string]store.Code
	partials           map[string]store.Partial
}

// userRecord is a user as kept, with Extra encoded as JSON.
type userRecord struct {
	user  store.User
	extra []byte
}

// associationRecord is an association as kept, with ExtraData encoded as
// JSON.
type associationRecord struct {
	association store.Association
	extraData   []byte
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store.
func New(opts Options) *Store {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxLen := opts.UsernameMaxLength
	if maxLen <= 0 {
		maxLen = DefaultUsernameMaxLength
	}
	return &Store{
		now:                now,
		usernameMax:        maxLen,
		users:              make(map[string]userRecord),
		associations:       make(map[string]associationRecord),
		nonces:             make(map[store.Nonce]struct{}),
		openIDAssociations: make(map[string]store.OpenIDAssociation),
		codes:              make(map[string]store.Code),
		partials:           make(map[string]store.Partial),
	}
}

// timestamp returns the current time without its monotonic reading, so that
// stored times compare equal with == as well as Equal.
func (s *Store) timestamp() time.Time {
	return s.now().Round(0)
}

// nextID returns a new identifier; s.mu must be held.
func (s *Store) nextID() string {
	s.lastID++
	return strconv.FormatInt(s.lastID, 10)
}

// idLess orders decimal identifiers numerically.
func idLess(a, b string) int {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// encodeMap encodes a map as JSON; nil encodes as an empty object.
func encodeMap(what string, m map[string]any) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("memstore: encoding %s: %w", what, err)
	}
	return b, nil
}

// decodeMap decodes what encodeMap produced into a new, never nil, map.
func decodeMap(b []byte) map[string]any {
	m := make(map[string]any)
	// b was produced by json.Marshal of a map, so it always decodes.
	_ = json.Unmarshal(b, &m)
	return m
}

// checkUsername refuses usernames longer than the store accepts.
func (s *Store) checkUsername(username string) error {
	if n := utf8.RuneCountInString(username); n > s.usernameMax {
		return fmt.Errorf("%w: %d characters, at most %d", ErrUsernameTooLong, n, s.usernameMax)
	}
	return nil
}

// usernameTaken reports whether a user other than exceptID has username;
// s.mu must be held.
func (s *Store) usernameTaken(username, exceptID string) bool {
	for id, r := range s.users {
		if id != exceptID && r.user.Username == username {
			return true
		}
	}
	return false
}

func (r userRecord) copy() *store.User {
	u := r.user
	u.Extra = decodeMap(r.extra)
	return &u
}

func (r associationRecord) copy() *store.Association {
	a := r.association
	a.ExtraData = decodeMap(r.extraData)
	return &a
}

// GetUser returns the user with an id, or an error matching
// store.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (*store.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return nil, fmt.Errorf("memstore: user %q: %w", id, store.ErrNotFound)
	}
	return r.copy(), nil
}

// UserExists reports whether a user has exactly that username.
func (s *Store) UserExists(ctx context.Context, username string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usernameTaken(username, ""), nil
}

// UsersByEmail returns the users whose email equals email without regard to
// case, oldest first. An empty email matches nobody.
func (s *Store) UsersByEmail(ctx context.Context, email string) ([]*store.User, error) {
	if email == "" {
		return nil, nil
	}
	want := strings.ToLower(email)
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*store.User
	for _, r := range s.users {
		if strings.ToLower(r.user.Email) == want {
			found = append(found, r.copy())
		}
	}
	slices.SortFunc(found, func(a, b *store.User) int { return idLess(a.ID, b.ID) })
	return found, nil
}

// CreateUser stores a new user and sets its ID and CreatedAt. A taken
// username is an error matching store.ErrConflict; a username longer than
// UsernameMaxLength one matching ErrUsernameTooLong.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	if err := s.checkUsername(u.Username); err != nil {
		return err
	}
	extra, err := encodeMap("user extra", u.Extra)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usernameTaken(u.Username, "") {
		return fmt.Errorf("memstore: username %q: %w", u.Username, store.ErrConflict)
	}
	kept := *u
	kept.ID = s.nextID()
	kept.CreatedAt = s.timestamp()
	kept.Extra = nil
	s.users[kept.ID] = userRecord{user: kept, extra: extra}
	u.ID, u.CreatedAt = kept.ID, kept.CreatedAt
	return nil
}

// UpdateUser saves the fields of an existing user; CreatedAt is kept as
// stored. An unknown ID is an error matching store.ErrNotFound, a username
// taken by another user one matching store.ErrConflict.
func (s *Store) UpdateUser(ctx context.Context, u *store.User) error {
	if err := s.checkUsername(u.Username); err != nil {
		return err
	}
	extra, err := encodeMap("user extra", u.Extra)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[u.ID]
	if !ok {
		return fmt.Errorf("memstore: user %q: %w", u.ID, store.ErrNotFound)
	}
	if s.usernameTaken(u.Username, u.ID) {
		return fmt.Errorf("memstore: username %q: %w", u.Username, store.ErrConflict)
	}
	kept := *u
	kept.CreatedAt = old.user.CreatedAt
	kept.Extra = nil
	s.users[kept.ID] = userRecord{user: kept, extra: extra}
	return nil
}

// UsernameMaxLength is the longest username the store accepts.
func (s *Store) UsernameMaxLength() int { return s.usernameMax }

// GetAssociation returns the association of a provider account, or an
// error matching store.ErrNotFound.
func (s *Store) GetAssociation(ctx context.Context, provider, uid string) (*store.Association, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.associations {
		if r.association.Provider == provider && r.association.UID == uid {
			return r.copy(), nil
		}
	}
	return nil, fmt.Errorf("memstore: association %s/%q: %w", provider, uid, store.ErrNotFound)
}

// GetAssociationByID returns an association by its ID, or an error matching
// store.ErrNotFound.
func (s *Store) GetAssociationByID(ctx context.Context, id string) (*store.Association, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.associations[id]
	if !ok {
		return nil, fmt.Errorf("memstore: association %q: %w", id, store.ErrNotFound)
	}
	return r.copy(), nil
}

// AssociationsForUser returns a user's associations, oldest first (ties
// broken by ID); with a non-empty provider, only those of that provider.
func (s *Store) AssociationsForUser(ctx context.Context, userID, provider string) ([]*store.Association, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*store.Association
	for _, r := range s.associations {
		if r.association.UserID != userID {
			continue
		}
		if provider != "" && r.association.Provider != provider {
			continue
		}
		found = append(found, r.copy())
	}
	slices.SortFunc(found, func(a, b *store.Association) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return idLess(a.ID, b.ID)
	})
	return found, nil
}

// CreateAssociation stores a new association and sets its ID, CreatedAt and
// UpdatedAt. An existing (Provider, UID) is an error matching
// store.ErrConflict.
func (s *Store) CreateAssociation(ctx context.Context, a *store.Association) error {
	extra, err := encodeMap("association extra data", a.ExtraData)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.associations {
		if r.association.Provider == a.Provider && r.association.UID == a.UID {
			return fmt.Errorf("memstore: association %s/%q: %w", a.Provider, a.UID, store.ErrConflict)
		}
	}
	kept := *a
	kept.ID = s.nextID()
	kept.CreatedAt = s.timestamp()
	kept.UpdatedAt = kept.CreatedAt
	kept.ExtraData = nil
	s.associations[kept.ID] = associationRecord{association: kept, extraData: extra}
	a.ID, a.CreatedAt, a.UpdatedAt = kept.ID, kept.CreatedAt, kept.UpdatedAt
	return nil
}

// UpdateAssociation saves the ExtraData and UserID of an association and
// sets its UpdatedAt. An unknown ID is an error matching store.ErrNotFound.
func (s *Store) UpdateAssociation(ctx context.Context, a *store.Association) error {
	extra, err := encodeMap("association extra data", a.ExtraData)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.associations[a.ID]
	if !ok {
		return fmt.Errorf("memstore: association %q: %w", a.ID, store.ErrNotFound)
	}
	r.association.UserID = a.UserID
	r.association.UpdatedAt = s.timestamp()
	r.extraData = extra
	s.associations[a.ID] = r
	a.UpdatedAt = r.association.UpdatedAt
	return nil
}

// DeleteAssociation removes an association. An unknown ID is an error
// matching store.ErrNotFound.
func (s *Store) DeleteAssociation(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.associations[id]; !ok {
		return fmt.Errorf("memstore: association %q: %w", id, store.ErrNotFound)
	}
	delete(s.associations, id)
	return nil
}

// UseNonce records a nonce; a nonce already used is an error matching
// store.ErrConflict.
func (s *Store) UseNonce(ctx context.Context, n store.Nonce) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, used := s.nonces[n]; used {
		return fmt.Errorf("memstore: nonce %q at %d from %s: %w", n.Salt, n.Timestamp, n.ServerURL, store.ErrConflict)
	}
	s.nonces[n] = struct{}{}
	return nil
}

// StoreOpenIDAssociation stores the association, replacing one with the
// same (ServerURL, Handle) and keeping that one's ID. It sets a.ID.
func (s *Store) StoreOpenIDAssociation(ctx context.Context, a *store.OpenIDAssociation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := *a
	kept.Secret = slices.Clone(a.Secret)
	kept.IssuedAt = a.IssuedAt.Round(0)
	kept.ID = ""
	for id, old := range s.openIDAssociations {
		if old.ServerURL == a.ServerURL && old.Handle == a.Handle {
			kept.ID = id
			break
		}
	}
	if kept.ID == "" {
		kept.ID = s.nextID()
	}
	s.openIDAssociations[kept.ID] = kept
	a.ID = kept.ID
	return nil
}

// OpenIDAssociations returns the associations of a server, oldest stored
// first; with a non-empty handle, only that one.
func (s *Store) OpenIDAssociations(ctx context.Context, serverURL, handle string) ([]*store.OpenIDAssociation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*store.OpenIDAssociation
	for _, a := range s.openIDAssociations {
		if a.ServerURL != serverURL || (handle != "" && a.Handle != handle) {
			continue
		}
		a.Secret = slices.Clone(a.Secret)
		found = append(found, &a)
	}
	slices.SortFunc(found, func(a, b *store.OpenIDAssociation) int { return idLess(a.ID, b.ID) })
	return found, nil
}

// RemoveOpenIDAssociations removes associations by ID; unknown IDs are
// ignored.
func (s *Store) RemoveOpenIDAssociations(ctx context.Context, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.openIDAssociations, id)
	}
	return nil
}

// CreateCode stores a new code and sets CreatedAt. A code already stored is
// an error matching store.ErrConflict.
func (s *Store) CreateCode(ctx context.Context, c *store.Code) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.codes[c.Code]; ok {
		return fmt.Errorf("memstore: code: %w", store.ErrConflict)
	}
	kept := *c
	kept.CreatedAt = s.timestamp()
	s.codes[kept.Code] = kept
	c.CreatedAt = kept.CreatedAt
	return nil
}

// GetCode returns a code, or an error matching store.ErrNotFound.
func (s *Store) GetCode(ctx context.Context, code string) (*store.Code, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	if !ok {
		return nil, fmt.Errorf("memstore: code: %w", store.ErrNotFound)
	}
	return &c, nil
}

// VerifyCode marks a code verified. A code already verified is an error
// matching store.ErrConflict, an unknown code one matching
// store.ErrNotFound.
func (s *Store) VerifyCode(ctx context.Context, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	if !ok {
		return fmt.Errorf("memstore: code: %w", store.ErrNotFound)
	}
	if c.Verified {
		return fmt.Errorf("memstore: code already verified: %w", store.ErrConflict)
	}
	c.Verified = true
	s.codes[code] = c
	return nil
}

// SavePartial stores a partial, replacing one with the same Token, and sets
// CreatedAt if it is zero.
func (s *Store) SavePartial(ctx context.Context, p *store.Partial) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.timestamp()
	}
	kept := *p
	kept.CreatedAt = p.CreatedAt.Round(0)
	kept.Data = slices.Clone(p.Data)
	s.partials[kept.Token] = kept
	return nil
}

// GetPartial returns a partial, or an error matching store.ErrNotFound.
func (s *Store) GetPartial(ctx context.Context, token string) (*store.Partial, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partials[token]
	if !ok {
		return nil, fmt.Errorf("memstore: partial: %w", store.ErrNotFound)
	}
	p.Data = slices.Clone(p.Data)
	return &p, nil
}

// DeletePartial removes a partial; an unknown token is not an error.
func (s *Store) DeletePartial(ctx context.Context, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.partials, token)
	return nil
}
