package pipeline_test

import (
	"context"
	"errors"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

var errBroken = errors.New("database is down")

// brokenStore is a memstore whose every call fails, as a store does when
// its database is unreachable.
type brokenStore struct{ *memstore.Store }

func (brokenStore) GetUser(context.Context, string) (*store.User, error) { return nil, errBroken }
func (brokenStore) UserExists(context.Context, string) (bool, error)     { return false, errBroken }
func (brokenStore) UsersByEmail(context.Context, string) ([]*store.User, error) {
	return nil, errBroken
}
func (brokenStore) CreateUser(context.Context, *store.User) error { return errBroken }
func (brokenStore) UpdateUser(context.Context, *store.User) error { return errBroken }
func (brokenStore) GetAssociation(context.Context, string, string) (*store.Association, error) {
	return nil, errBroken
}
func (brokenStore) GetAssociationByID(context.Context, string) (*store.Association, error) {
	return nil, errBroken
}
func (brokenStore) AssociationsForUser(context.Context, string, string) ([]*store.Association, error) {
	return nil, errBroken
}
func (brokenStore) CreateAssociation(context.Context, *store.Association) error { return errBroken }
func (brokenStore) UpdateAssociation(context.Context, *store.Association) error { return errBroken }
func (brokenStore) DeleteAssociation(context.Context, string) error             { return errBroken }
func (brokenStore) HasUsablePassword(context.Context, *store.User) (bool, error) {
	return false, errBroken
}

func TestStoreFailuresAbortSteps(t *testing.T) {
	user := &store.User{ID: "1", Username: "alice"}
	social := &store.Association{ID: "1", UserID: "1", Provider: "github", UID: "1"}
	tests := []struct {
		name  string
		step  pipeline.Step
		setup func(s *pipeline.State)
	}{
		{"SocialUser", pipeline.SocialUser, func(s *pipeline.State) { s.UID = "1" }},
		{"GetUsername", pipeline.GetUsername, func(s *pipeline.State) { s.Details.Username = "alice" }},
		{"AssociateByEmail", pipeline.AssociateByEmail, func(s *pipeline.State) {
			s.Details = backend.Details{Email: "a@example.com", EmailVerified: true}
		}},
		{"CreateUser", pipeline.CreateUser, func(s *pipeline.State) { s.Username = "alice" }},
		{"AssociateUser", pipeline.AssociateUser, func(s *pipeline.State) { s.User, s.UID = user, "1" }},
		{"LoadExtraData", pipeline.LoadExtraData, func(s *pipeline.State) {
			s.Social = social
			s.Identity = &backend.Identity{ExtraData: map[string]any{"access_token": "t"}}
		}},
		{"UserDetails", pipeline.UserDetails, func(s *pipeline.State) {
			s.User = user
			s.Details.FirstName = "Alice"
		}},
		{"AllowedToDisconnect", pipeline.AllowedToDisconnect, func(s *pipeline.State) { s.User = user }},
		{"AllowedToDisconnect without password check", pipeline.AllowedToDisconnect, func(s *pipeline.State) {
			s.User = user
			s.Users = memstore.New(memstore.Options{})
		}},
		{"GetEntries", pipeline.GetEntries, func(s *pipeline.State) { s.User = user }},
		{"GetEntries by id", pipeline.GetEntries, func(s *pipeline.State) { s.User, s.AssociationID = user, "1" }},
		{"Disconnect", pipeline.Disconnect, func(s *pipeline.State) { s.Entries = []*store.Association{social} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := brokenStore{memstore.New(memstore.Options{})}
			s := &pipeline.State{
				Backend:      testBackend{name: "github"},
				Settings:     settings.New(settings.Map{}).For("github"),
				Users:        broken,
				Associations: broken,
			}
			tt.setup(s)
			err := run(t, tt.step, s)
			if !errors.Is(err, errBroken) {
				t.Fatalf("error = %v, want the store's error", err)
			}
			if socialerr.KindOf(err) != "" {
				t.Errorf("a store failure reported as an authentication failure: %v", err)
			}
		})
	}
}

func TestAssociateUserConflictLookupFails(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	alice := e.user("alice", "")
	e.associate(alice, "github", "1", nil)
	s := e.state("github", nil)
	s.User, s.UID = alice, "1"
	// Creating conflicts with the stored association; looking it up fails.
	s.Associations = conflictThenBroken{e.store}
	err := run(t, pipeline.AssociateUser, s)
	if !errors.Is(err, errBroken) || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("error = %v, want both the conflict and the lookup failure", err)
	}
}

type conflictThenBroken struct{ *memstore.Store }

func (conflictThenBroken) GetAssociation(context.Context, string, string) (*store.Association, error) {
	return nil, errBroken
}

func TestStepsOutsideTheEngine(t *testing.T) {
	// No backend: errors name the settings view's backend.
	s := &pipeline.State{Settings: settings.New(settings.Map{}).For("gitlab")}
	err := run(t, pipeline.SocialUID, s)
	var se *socialerr.Error
	if !errors.As(err, &se) || se.Backend != "gitlab" {
		t.Errorf("error = %v, want it to name gitlab", err)
	}

	// A nil pointer backend does not crash the steps either.
	var nilBackend *revokingBackend
	s = &pipeline.State{Backend: nilBackend, Settings: settings.New(settings.Map{}).For("gitlab")}
	err = run(t, pipeline.SocialUID, s)
	if !errors.As(err, &se) || se.Backend != "gitlab" {
		t.Errorf("error = %v, want it to name gitlab", err)
	}

	// No logger: RevokeTokens still logs its failures somewhere.
	e := newEnv(t, memstore.Options{})
	be := &revokingBackend{testBackend: testBackend{name: "github"}, fail: errBroken}
	s = e.state("github", settings.Map{"SOCIAL_AUTH_REVOKE_TOKENS_ON_DISCONNECT": true})
	s.Backend, s.Logger = be, nil
	s.Entries = []*store.Association{{ID: "1"}}
	if err := run(t, pipeline.RevokeTokens, s); err != nil {
		t.Fatal(err)
	}
	if len(be.calls) != 1 {
		t.Errorf("Revoke called %d times, want 1", len(be.calls))
	}
}
