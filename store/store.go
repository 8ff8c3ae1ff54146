// Package store defines what socialauth keeps: users, social associations
// (python-social-auth's UserSocialAuth), OpenID nonces and associations,
// email validation codes and paused pipelines (partials).
//
// Each kind of record has a small interface whose methods take a
// [context.Context] first. Not-found is reported as an error matching
// [ErrNotFound]; a write that breaks a uniqueness rule (the same provider
// and uid twice, a used nonce, a taken username) as an error matching
// [ErrConflict]. [Store] bundles them all; an application that keeps its own
// user model implements [UserStore] itself and hands it to socialauth beside
// a Store.
//
// The in-memory reference implementation is package memstore; a SQL one is
// the sqlstore module. Every implementation must pass the conformance suite
// in package storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is matched (with errors.Is) by the error of a lookup that
// found nothing.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is matched by the error of a write that breaks a uniqueness
// rule: python-social-auth's "integrity error".
var ErrConflict = errors.New("store: conflict")

// User is a person who can log in. When the application keeps its own user
// model, its UserStore maps that model to and from this value.
type User struct {
	ID        string // assigned by the store
	Username  string
	Email     string
	FirstName string
	LastName  string
	// IsActive false keeps the user from logging in (INACTIVE_USER_URL).
	IsActive bool
	// Extra holds details stored on the user that have no field of their
	// own (e.g. "fullname"); user_details writes details here when the store
	// keeps them.
	Extra     map[string]any
	CreatedAt time.Time
}

// Association links a user to an account at a provider: python-social-auth's
// UserSocialAuth. (Provider, UID) is unique.
type Association struct {
	ID       string // assigned by the store
	UserID   string
	Provider string // the backend name
	UID      string // the provider's identifier of the account
	// ExtraData holds access_token, expires, refresh_token, auth_time and the
	// EXTRA_DATA fields of the backend.
	ExtraData map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Nonce is a used OpenID nonce; (ServerURL, Timestamp, Salt) is unique.
type Nonce struct {
	ServerURL string
	Timestamp int64
	Salt      string
}

// OpenIDAssociation is a shared secret with an OpenID 2.0 provider;
// (ServerURL, Handle) is unique.
type OpenIDAssociation struct {
	ID        string // assigned by the store
	ServerURL string
	Handle    string
	Secret    []byte
	IssuedAt  time.Time
	Lifetime  time.Duration
	AssocType string // "HMAC-SHA1" or "HMAC-SHA256"
}

// Expired reports whether the association has outlived its lifetime at now.
func (a *OpenIDAssociation) Expired(now time.Time) bool {
	return !now.Before(a.IssuedAt.Add(a.Lifetime))
}

// Code is an email validation code.
type Code struct {
	Code      string // random, unique
	Email     string
	Verified  bool
	CreatedAt time.Time
}

// Partial is a paused pipeline. Data is opaque to the store.
type Partial struct {
	Token     string // random, unique
	Backend   string
	NextStep  int
	Data      []byte
	CreatedAt time.Time
}

// UserStore keeps users. socialauth's own users table implements it, and so
// can the application's own user model.
type UserStore interface {
	// GetUser returns the user with an id, or ErrNotFound.
	GetUser(ctx context.Context, id string) (*User, error)
	// UserExists reports whether a user has that username (exact match).
	UserExists(ctx context.Context, username string) (bool, error)
	// UsersByEmail returns the users with an email, compared without regard
	// to case; none is not an error.
	UsersByEmail(ctx context.Context, email string) ([]*User, error)
	// CreateUser stores a new user and sets its ID and CreatedAt. A taken
	// username is ErrConflict.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser saves the fields of an existing user (python-social-auth's
	// "changed"). An unknown ID is ErrNotFound.
	UpdateUser(ctx context.Context, u *User) error
	// UsernameMaxLength is the longest username the store accepts.
	UsernameMaxLength() int
}

// AssociationStore keeps social associations.
type AssociationStore interface {
	// GetAssociation returns the association of a provider account, or
	// ErrNotFound.
	GetAssociation(ctx context.Context, provider, uid string) (*Association, error)
	// GetAssociationByID returns an association by its ID, or ErrNotFound.
	GetAssociationByID(ctx context.Context, id string) (*Association, error)
	// AssociationsForUser returns a user's associations, oldest first; with
	// a non-empty provider, only those of that provider.
	AssociationsForUser(ctx context.Context, userID, provider string) ([]*Association, error)
	// CreateAssociation stores a new association and sets its ID and times.
	// An existing (Provider, UID) is ErrConflict.
	CreateAssociation(ctx context.Context, a *Association) error
	// UpdateAssociation saves the ExtraData (and UserID) of an association
	// and sets its UpdatedAt. An unknown ID is ErrNotFound.
	UpdateAssociation(ctx context.Context, a *Association) error
	// DeleteAssociation removes an association. An unknown ID is ErrNotFound.
	DeleteAssociation(ctx context.Context, id string) error
}

// NonceStore records used OpenID nonces.
type NonceStore interface {
	// UseNonce records a nonce; a nonce already used is ErrConflict.
	UseNonce(ctx context.Context, n Nonce) error
}

// OpenIDAssociationStore keeps OpenID 2.0 associations.
type OpenIDAssociationStore interface {
	// StoreOpenIDAssociation stores or replaces the association with the
	// same (ServerURL, Handle).
	StoreOpenIDAssociation(ctx context.Context, a *OpenIDAssociation) error
	// OpenIDAssociations returns the associations of a server; with a
	// non-empty handle, only that one. None is not an error.
	OpenIDAssociations(ctx context.Context, serverURL, handle string) ([]*OpenIDAssociation, error)
	// RemoveOpenIDAssociations removes associations by ID; unknown IDs are
	// ignored.
	RemoveOpenIDAssociations(ctx context.Context, ids []string) error
}

// CodeStore keeps email validation codes.
type CodeStore interface {
	// CreateCode stores a new code and sets CreatedAt. A code already
	// stored is ErrConflict.
	CreateCode(ctx context.Context, c *Code) error
	// GetCode returns a code, or ErrNotFound.
	GetCode(ctx context.Context, code string) (*Code, error)
	// VerifyCode marks a code verified, atomically: of concurrent calls
	// for one code exactly one succeeds. A code already verified is
	// ErrConflict; an unknown code is ErrNotFound.
	VerifyCode(ctx context.Context, code string) error
}

// PartialStore keeps paused pipelines.
type PartialStore interface {
	// SavePartial stores a partial, replacing one with the same Token, and
	// sets CreatedAt if it is zero.
	SavePartial(ctx context.Context, p *Partial) error
	// GetPartial returns a partial, or ErrNotFound.
	GetPartial(ctx context.Context, token string) (*Partial, error)
	// DeletePartial removes a partial; an unknown token is not an error.
	DeletePartial(ctx context.Context, token string) error
}

// Store is everything socialauth keeps, in one value.
type Store interface {
	UserStore
	AssociationStore
	NonceStore
	OpenIDAssociationStore
	CodeStore
	PartialStore
}
