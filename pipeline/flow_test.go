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

func octocat(token string) *backend.Identity {
	return &backend.Identity{
		UID: "583231",
		Details: backend.Details{
			Username: "octocat", Email: "octocat@example.com", FullName: "The Octocat",
			FirstName: "The", LastName: "Octocat", EmailVerified: true,
		},
		Response:       map[string]any{"login": "octocat", "id": float64(583231)},
		Token:          &backend.Token{AccessToken: token},
		ExtraData:      map[string]any{"access_token": token, "refresh_token": ""},
		KeepOldIfEmpty: map[string]bool{"refresh_token": true},
	}
}

func TestDefaultPipelineFlow(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, memstore.Options{})
	cfg := settings.Map{}

	// First login: a user is created and associated.
	s := e.state("github", cfg)
	s.Identity = octocat("token-1")
	s.Identity.ExtraData["refresh_token"] = "refresh-1"
	out, err := pipeline.Run(ctx, pipeline.Default(), 0, s)
	if err != nil || out.Result != pipeline.Continue {
		t.Fatalf("first run = %+v, %v", out, err)
	}
	if s.User == nil || !s.IsNew || s.Social == nil || !s.NewAssociation {
		t.Fatalf("first run: User = %v, IsNew = %v, Social = %v, NewAssociation = %v", s.User, s.IsNew, s.Social, s.NewAssociation)
	}
	created, err := e.store.GetUser(ctx, s.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if created.Username != "octocat" || created.Email != "octocat@example.com" ||
		created.FirstName != "The" || created.LastName != "Octocat" || created.Extra["fullname"] != "The Octocat" {
		t.Errorf("created user = %+v", created)
	}
	social, err := e.store.GetAssociation(ctx, "github", "583231")
	if err != nil || social.UserID != created.ID || social.ExtraData["access_token"] != "token-1" {
		t.Fatalf("association = %+v, %v", social, err)
	}

	// Second login with the same account: the same user, the token
	// refreshed, the refresh token kept.
	s = e.state("github", cfg)
	s.Identity = octocat("token-2")
	if _, err := pipeline.Run(ctx, pipeline.Default(), 0, s); err != nil {
		t.Fatal(err)
	}
	if s.User.ID != created.ID || s.IsNew || s.NewAssociation || s.Username != "octocat" {
		t.Errorf("second run: User = %v, IsNew = %v, NewAssociation = %v, Username = %q", s.User, s.IsNew, s.NewAssociation, s.Username)
	}
	social, _ = e.store.GetAssociation(ctx, "github", "583231")
	if social.ExtraData["access_token"] != "token-2" || social.ExtraData["refresh_token"] != "refresh-1" {
		t.Errorf("extra data after the second run = %v", social.ExtraData)
	}

	// A login at another provider while logged in as another user links
	// that account to the logged-in user.
	bob := e.user("bob", "bob@example.com")
	s = e.state("gitlab", cfg)
	s.User = bob
	s.Identity = &backend.Identity{UID: "gl-42", Details: backend.Details{Username: "bobby", FirstName: "Bob"}}
	if _, err := pipeline.Run(ctx, pipeline.Default(), 0, s); err != nil {
		t.Fatal(err)
	}
	if s.User.ID != bob.ID || s.IsNew || !s.NewAssociation || s.Username != "bob" {
		t.Errorf("association run: User = %v, IsNew = %v, NewAssociation = %v, Username = %q", s.User, s.IsNew, s.NewAssociation, s.Username)
	}
	links, _ := e.store.AssociationsForUser(ctx, bob.ID, "")
	if len(links) != 1 || links[0].Provider != "gitlab" || links[0].UID != "gl-42" {
		t.Errorf("bob's associations = %v", links)
	}
	if taken, _ := e.store.UserExists(ctx, "bobby"); taken {
		t.Error("a user was created while associating")
	}
	bobNow, _ := e.store.GetUser(ctx, bob.ID)
	if bobNow.Username != "bob" || bobNow.FirstName != "Bob" {
		t.Errorf("bob after the run = %+v", bobNow)
	}

	// The octocat account, logged in as bob, is refused and stays
	// octocat's.
	s = e.state("github", cfg)
	s.User = bob
	s.Identity = octocat("token-3")
	_, err = pipeline.Run(ctx, pipeline.Default(), 0, s)
	wantKind(t, err, socialerr.AuthAlreadyAssociated)
	social, _ = e.store.GetAssociation(ctx, "github", "583231")
	if social.UserID != created.ID || social.ExtraData["access_token"] != "token-2" {
		t.Errorf("association changed by a refused login: %+v", social)
	}
}

func TestDefaultPipelineWithAssociateByEmail(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, memstore.Options{})
	alice := e.user("alice", "octocat@example.com")
	steps := pipeline.Default()
	// AssociateByEmail goes right after GetUsername.
	steps = append(steps[:5], append([]pipeline.Step{pipeline.AssociateByEmail}, steps[5:]...)...)

	s := e.state("github", nil)
	s.Identity = octocat("t")
	if _, err := pipeline.Run(ctx, steps, 0, s); err != nil {
		t.Fatal(err)
	}
	if s.User.ID != alice.ID || s.IsNew || !s.NewAssociation {
		t.Errorf("User = %v, IsNew = %v, NewAssociation = %v", s.User, s.IsNew, s.NewAssociation)
	}

	// The same email unverified at another provider makes a new user.
	s = e.state("gitlab", nil)
	s.Identity = octocat("t")
	s.Identity.Details.EmailVerified = false
	if _, err := pipeline.Run(ctx, steps, 0, s); err != nil {
		t.Fatal(err)
	}
	if s.User.ID == alice.ID || !s.IsNew {
		t.Errorf("an unverified email logged in as alice: User = %v, IsNew = %v", s.User, s.IsNew)
	}
	users, _ := e.store.UsersByEmail(ctx, "octocat@example.com")
	if len(users) != 2 {
		t.Errorf("users with the email = %d, want 2", len(users))
	}
}

func TestWhitelistStopsBeforeStoring(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, memstore.Options{})
	s := e.state("github", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"corp.example"}})
	s.Identity = octocat("t")
	_, err := pipeline.Run(ctx, pipeline.Default(), 0, s)
	wantKind(t, err, socialerr.AuthForbidden)
	if taken, _ := e.store.UserExists(ctx, "octocat"); taken {
		t.Error("a user was stored for a forbidden login")
	}
	if _, err := e.store.GetAssociation(ctx, "github", "583231"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an association was stored for a forbidden login: %v", err)
	}
}
