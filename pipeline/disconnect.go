package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// PasswordChecker is a user store that knows whether a user can log in with
// a password. [AllowedToDisconnect] lets a user with a usable password
// disconnect their last social account.
type PasswordChecker interface {
	HasUsablePassword(ctx context.Context, u *store.User) (bool, error)
}

// AllowedToDisconnect fails with [socialerr.NotAllowedToDisconnect] when
// the disconnection would leave the user no way to log in: the user store
// does not report a usable password (see [PasswordChecker]) and the user
// has no association left once those being disconnected (every
// association of the backend, or only the one named by s.AssociationID)
// are removed. It is python-social-auth's
// social_core.pipeline.disconnect.allowed_to_disconnect.
func AllowedToDisconnect(ctx context.Context, s *State) (Result, error) {
	name := backendName(s)
	if s.User == nil {
		return Continue, socialerr.New(socialerr.NotAllowedToDisconnect, name, "no user is logged in")
	}
	if checker, ok := s.Users.(PasswordChecker); ok {
		usable, err := checker.HasUsablePassword(ctx, s.User)
		if err != nil {
			return Continue, fmt.Errorf("allowed_to_disconnect: %w", err)
		}
		if usable {
			return Continue, nil
		}
	}
	all, err := s.Associations.AssociationsForUser(ctx, s.User.ID, "")
	if err != nil {
		return Continue, fmt.Errorf("allowed_to_disconnect: %w", err)
	}
	for _, a := range all {
		if !beingDisconnected(s, name, a) {
			return Continue, nil
		}
	}
	return Continue, socialerr.New(socialerr.NotAllowedToDisconnect, name, "")
}

// beingDisconnected reports whether the disconnection removes a.
func beingDisconnected(s *State, name string, a *store.Association) bool {
	if a.Provider != name {
		return false
	}
	return s.AssociationID == "" || a.ID == s.AssociationID
}

// GetEntries sets s.Entries to the associations to disconnect: every
// association of the user with the backend or, when s.AssociationID is
// set, that one association, which must belong to the user and the
// backend. Finding none fails with [socialerr.AuthFailed] wrapping
// [store.ErrNotFound]. It is python-social-auth's
// social_core.pipeline.disconnect.get_entries.
func GetEntries(ctx context.Context, s *State) (Result, error) {
	name := backendName(s)
	if s.User == nil {
		return Continue, socialerr.New(socialerr.NotAllowedToDisconnect, name, "no user is logged in")
	}
	notFound := func() error {
		return socialerr.Wrap(socialerr.AuthFailed, name, store.ErrNotFound, "no such social account to disconnect")
	}
	if s.AssociationID != "" {
		a, err := s.Associations.GetAssociationByID(ctx, s.AssociationID)
		if errors.Is(err, store.ErrNotFound) {
			return Continue, notFound()
		}
		if err != nil {
			return Continue, fmt.Errorf("get_entries: %w", err)
		}
		if a.UserID != s.User.ID || a.Provider != name {
			return Continue, notFound()
		}
		s.Entries = []*store.Association{a}
		return Continue, nil
	}
	entries, err := s.Associations.AssociationsForUser(ctx, s.User.ID, name)
	if err != nil {
		return Continue, fmt.Errorf("get_entries: %w", err)
	}
	if len(entries) == 0 {
		return Continue, notFound()
	}
	s.Entries = entries
	return Continue, nil
}

// RevokeTokens, when the REVOKE_TOKENS_ON_DISCONNECT setting is true and
// the backend is a [backend.Revoker], revokes the token of every entry at
// the provider. A failed revocation is logged and does not stop the
// disconnection. It is python-social-auth's
// social_core.pipeline.disconnect.revoke_tokens.
func RevokeTokens(ctx context.Context, s *State) (Result, error) {
	if !s.Settings.Bool("REVOKE_TOKENS_ON_DISCONNECT", false) || s.Backend == nil {
		return Continue, nil
	}
	revoker, ok := s.Backend.(backend.Revoker)
	if !ok {
		return Continue, nil
	}
	for _, entry := range s.Entries {
		if err := revoker.Revoke(ctx, cloneMap(entry.ExtraData)); err != nil {
			logger(s).WarnContext(ctx, "socialauth: revoking a token on disconnect failed",
				"backend", backendName(s), "association", entry.ID, "error", err)
		}
	}
	return Continue, nil
}

// Disconnect deletes every entry of s.Entries. An entry already gone is
// not an error. It is python-social-auth's
// social_core.pipeline.disconnect.disconnect.
func Disconnect(ctx context.Context, s *State) (Result, error) {
	for _, entry := range s.Entries {
		err := s.Associations.DeleteAssociation(ctx, entry.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Continue, fmt.Errorf("disconnect: %w", err)
		}
	}
	return Continue, nil
}
