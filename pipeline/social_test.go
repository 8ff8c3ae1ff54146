package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

func TestSocialDetailsCopiesIdentity(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	s := e.state("github", nil)
	s.Identity = &backend.Identity{
		UID: "1",
		Details: backend.Details{
			Username: "octo", Email: "octo@example.com", FullName: "Octo Cat",
			FirstName: "Octo", LastName: "Cat", EmailVerified: true,
			Extra: map[string]any{"avatar": "a.png"},
		},
		Response: map[string]any{"login": "octo", "id": 1},
	}
	if err := run(t, pipeline.SocialDetails, s); err != nil {
		t.Fatal(err)
	}
	if s.Details.Username != "octo" || s.Details.Email != "octo@example.com" || s.Details.FullName != "Octo Cat" ||
		s.Details.FirstName != "Octo" || s.Details.LastName != "Cat" || !s.Details.EmailVerified {
		t.Errorf("Details = %+v", s.Details)
	}
	if s.Details.Extra["avatar"] != "a.png" || s.Response["login"] != "octo" {
		t.Errorf("Extra = %v, Response = %v", s.Details.Extra, s.Response)
	}
	// The state must not share maps with the identity.
	s.Response["login"] = "changed"
	s.Details.Extra["avatar"] = "changed"
	if s.Identity.Response["login"] != "octo" || s.Identity.Details.Extra["avatar"] != "a.png" {
		t.Error("SocialDetails shares maps with the identity")
	}
}

func TestSocialDetailsEarlierValuesWin(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	s := e.state("github", nil)
	s.Details = backend.Details{Username: "chosen", Extra: map[string]any{"team": "mine"}}
	s.Response = map[string]any{"login": "mine"}
	s.Identity = &backend.Identity{
		UID:      "1",
		Details:  backend.Details{Username: "octo", Email: "octo@example.com", Extra: map[string]any{"team": "theirs", "avatar": "a"}},
		Response: map[string]any{"login": "octo", "id": "1"},
	}
	if err := run(t, pipeline.SocialDetails, s); err != nil {
		t.Fatal(err)
	}
	if s.Details.Username != "chosen" || s.Details.Email != "octo@example.com" {
		t.Errorf("Details = %+v", s.Details)
	}
	if s.Details.Extra["team"] != "mine" || s.Details.Extra["avatar"] != "a" {
		t.Errorf("Extra = %v", s.Details.Extra)
	}
	if s.Response["login"] != "mine" || s.Response["id"] != "1" {
		t.Errorf("Response = %v", s.Response)
	}
}

func TestSocialDetailsVerifiedOnlyForProviderEmail(t *testing.T) {
	tests := []struct {
		name         string
		earlierEmail string
		want         bool
	}{
		{"provider email", "", true},
		{"same email another case", "OCTO@example.com", true},
		{"email replaced by an earlier step", "other@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.Options{})
			s := e.state("github", nil)
			s.Details.Email = tt.earlierEmail
			s.Identity = &backend.Identity{UID: "1", Details: backend.Details{Email: "octo@example.com", EmailVerified: true}}
			if err := run(t, pipeline.SocialDetails, s); err != nil {
				t.Fatal(err)
			}
			if s.Details.EmailVerified != tt.want {
				t.Errorf("EmailVerified = %v, want %v", s.Details.EmailVerified, tt.want)
			}
		})
	}
}

func TestSocialDetailsWithoutIdentity(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	wantKind(t, run(t, pipeline.SocialDetails, e.state("github", nil)), socialerr.AuthUnknownError)
}

func TestSocialUID(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	s := e.state("github", nil)
	s.Identity = &backend.Identity{UID: "12345"}
	if err := run(t, pipeline.SocialUID, s); err != nil {
		t.Fatal(err)
	}
	if s.UID != "12345" {
		t.Errorf("UID = %q", s.UID)
	}

	s = e.state("github", nil)
	s.Identity = &backend.Identity{}
	err := run(t, pipeline.SocialUID, s)
	wantKind(t, err, socialerr.AuthFailed)
	var se *socialerr.Error
	if !errors.As(err, &se) || se.Backend != "github" {
		t.Errorf("error %v does not name the backend", err)
	}

	s = e.state("github", settings.Map{"SOCIAL_AUTH_UID_LENGTH": 4})
	s.Identity = &backend.Identity{UID: "12345"}
	wantKind(t, run(t, pipeline.SocialUID, s), socialerr.AuthFailed)
}

func TestAuthAllowed(t *testing.T) {
	tests := []struct {
		name  string
		cfg   settings.Map
		email string
		ok    bool
	}{
		{"no whitelist", nil, "", true},
		{"no whitelist any email", nil, "x@evil.test", true},
		{"listed email", settings.Map{"SOCIAL_AUTH_WHITELISTED_EMAILS": []string{"me@foo.com"}}, "me@foo.com", true},
		{"listed email other case", settings.Map{"SOCIAL_AUTH_WHITELISTED_EMAILS": []string{"Me@Foo.com"}}, "mE@fOO.COM", true},
		{"unlisted email", settings.Map{"SOCIAL_AUTH_WHITELISTED_EMAILS": []string{"me@foo.com"}}, "you@foo.com", false},
		{"listed domain", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"foo.com", "bar.com"}}, "you@bar.com", true},
		{"listed domain other case", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"FOO.com"}}, "you@foo.COM", true},
		{"domain after the last at", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"foo.com"}}, `"a@foo.com"@evil.test`, false},
		{"domain after the last at listed", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"foo.com"}}, `"a@evil.test"@foo.com`, true},
		{"subdomain is not the domain", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"foo.com"}}, "a@evil.foo.com", false},
		{"suffix is not the domain", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"foo.com"}}, "a@evilfoo.com", false},
		{"bare domain is no email", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"foo.com"}}, "foo.com", false},
		{"empty local part", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"foo.com"}}, "@foo.com", false},
		{"no email with domains", settings.Map{"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"foo.com"}}, "", false},
		{"no email with emails", settings.Map{"SOCIAL_AUTH_WHITELISTED_EMAILS": []string{"me@foo.com"}}, "", false},
		{"either list", settings.Map{
			"SOCIAL_AUTH_WHITELISTED_EMAILS":  []string{"me@foo.com"},
			"SOCIAL_AUTH_WHITELISTED_DOMAINS": []string{"bar.com"},
		}, "me@foo.com", true},
		{"per backend setting", settings.Map{"SOCIAL_AUTH_GITHUB_WHITELISTED_DOMAINS": "foo.com,bar.com"}, "x@bar.com", true},
		{"other backend's setting ignored", settings.Map{"SOCIAL_AUTH_GITLAB_WHITELISTED_DOMAINS": "foo.com"}, "x@evil.test", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.Options{})
			s := e.state("github", tt.cfg)
			s.Details.Email = tt.email
			err := run(t, pipeline.AuthAllowed, s)
			if tt.ok {
				if err != nil {
					t.Fatalf("error = %v, want nil", err)
				}
				return
			}
			wantKind(t, err, socialerr.AuthForbidden)
		})
	}
}

func TestSocialUser(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	alice := e.user("alice", "alice@example.com")
	bob := e.user("bob", "bob@example.com")
	social := e.associate(alice, "github", "100", nil)

	t.Run("unknown account", func(t *testing.T) {
		s := e.state("github", nil)
		s.UID = "999"
		if err := run(t, pipeline.SocialUser, s); err != nil {
			t.Fatal(err)
		}
		if s.User != nil || s.Social != nil {
			t.Errorf("User = %v, Social = %v, want nil", s.User, s.Social)
		}
	})
	t.Run("same uid at another backend", func(t *testing.T) {
		s := e.state("gitlab", nil)
		s.UID = "100"
		if err := run(t, pipeline.SocialUser, s); err != nil {
			t.Fatal(err)
		}
		if s.User != nil {
			t.Errorf("User = %v, want nil", s.User)
		}
	})
	t.Run("known account", func(t *testing.T) {
		s := e.state("github", nil)
		s.UID = "100"
		s.IsNew = true
		s.NewAssociation = true
		if err := run(t, pipeline.SocialUser, s); err != nil {
			t.Fatal(err)
		}
		if s.User == nil || s.User.ID != alice.ID || s.Social == nil || s.Social.ID != social.ID {
			t.Fatalf("User = %v, Social = %v", s.User, s.Social)
		}
		if s.IsNew || s.NewAssociation {
			t.Errorf("IsNew = %v, NewAssociation = %v, want false", s.IsNew, s.NewAssociation)
		}
	})
	t.Run("known account of the logged-in user", func(t *testing.T) {
		s := e.state("github", nil)
		s.UID = "100"
		s.User = alice
		if err := run(t, pipeline.SocialUser, s); err != nil {
			t.Fatal(err)
		}
		if s.Social == nil || s.Social.ID != social.ID {
			t.Errorf("Social = %v", s.Social)
		}
	})
	t.Run("account of another user", func(t *testing.T) {
		s := e.state("github", nil)
		s.UID = "100"
		s.User = bob
		wantKind(t, run(t, pipeline.SocialUser, s), socialerr.AuthAlreadyAssociated)
		if s.User.ID != bob.ID || s.Social != nil {
			t.Errorf("state changed after the refusal: User = %v, Social = %v", s.User, s.Social)
		}
	})
	t.Run("no uid", func(t *testing.T) {
		wantKind(t, run(t, pipeline.SocialUser, e.state("github", nil)), socialerr.AuthFailed)
	})
}

func TestAssociateByEmail(t *testing.T) {
	tests := []struct {
		name     string
		cfg      settings.Map
		email    string
		verified bool
		users    []string // emails of existing users
		loggedIn bool
		wantUser string // username found, "" for none
		wantErr  socialerr.Kind
	}{
		{name: "verified, one user", email: "alice@example.com", verified: true,
			users: []string{"alice@example.com"}, wantUser: "user0"},
		{name: "verified, other case", email: "ALICE@example.com", verified: true,
			users: []string{"alice@example.com"}, wantUser: "user0"},
		{name: "unverified refused", email: "alice@example.com",
			users: []string{"alice@example.com"}},
		{name: "unverified allowed by the unsafe setting", email: "alice@example.com",
			cfg:   settings.Map{"SOCIAL_AUTH_UNSAFE_ASSOCIATE_BY_UNVERIFIED_EMAIL": true},
			users: []string{"alice@example.com"}, wantUser: "user0"},
		{name: "unsafe setting false", email: "alice@example.com",
			cfg:   settings.Map{"SOCIAL_AUTH_UNSAFE_ASSOCIATE_BY_UNVERIFIED_EMAIL": "false"},
			users: []string{"alice@example.com"}},
		{name: "no such user", email: "carol@example.com", verified: true,
			users: []string{"alice@example.com"}},
		{name: "no email", verified: true, users: []string{""}},
		{name: "several users", email: "alice@example.com", verified: true,
			users: []string{"alice@example.com", "ALICE@example.com"}, wantErr: socialerr.AuthFailed},
		{name: "logged in", email: "alice@example.com", verified: true, loggedIn: true,
			users: []string{"alice@example.com"}, wantUser: "me"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.Options{})
			for i, email := range tt.users {
				e.user("user"+string(rune('0'+i)), email)
			}
			s := e.state("github", tt.cfg)
			if tt.loggedIn {
				s.User = e.user("me", "me@example.com")
			}
			s.IsNew = true
			s.Details.Email = tt.email
			s.Details.EmailVerified = tt.verified
			err := run(t, pipeline.AssociateByEmail, s)
			if tt.wantErr != "" {
				wantKind(t, err, tt.wantErr)
				var se *socialerr.Error
				if !errors.As(err, &se) || !strings.Contains(se.PublicMessage(), "associated with another account") {
					t.Errorf("error = %v", err)
				}
				if s.User != nil {
					t.Errorf("User = %v after the refusal", s.User)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantUser == "" && s.User != nil:
				t.Errorf("User = %v, want none", s.User.Username)
			case tt.wantUser != "" && (s.User == nil || s.User.Username != tt.wantUser):
				t.Errorf("User = %v, want %s", s.User, tt.wantUser)
			case tt.wantUser != "" && !tt.loggedIn && s.IsNew:
				t.Error("IsNew = true for a found user")
			}
		})
	}
}

func TestAssociateUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, memstore.Options{})
	alice := e.user("alice", "")
	bob := e.user("bob", "")

	t.Run("creates the association", func(t *testing.T) {
		s := e.state("github", nil)
		s.User, s.UID = alice, "1"
		if err := run(t, pipeline.AssociateUser, s); err != nil {
			t.Fatal(err)
		}
		if s.Social == nil || !s.NewAssociation {
			t.Fatalf("Social = %v, NewAssociation = %v", s.Social, s.NewAssociation)
		}
		got, err := e.store.GetAssociation(ctx, "github", "1")
		if err != nil || got.UserID != alice.ID || got.ID != s.Social.ID {
			t.Fatalf("stored = %v, %v", got, err)
		}
	})
	t.Run("no user", func(t *testing.T) {
		s := e.state("github", nil)
		s.UID = "2"
		if err := run(t, pipeline.AssociateUser, s); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.GetAssociation(ctx, "github", "2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("association stored without a user: %v", err)
		}
	})
	t.Run("already associated", func(t *testing.T) {
		existing := e.associate(alice, "github", "3", nil)
		s := e.state("github", nil)
		s.User, s.UID, s.Social = alice, "3", existing
		if err := run(t, pipeline.AssociateUser, s); err != nil {
			t.Fatal(err)
		}
		if s.NewAssociation {
			t.Error("NewAssociation = true for an existing association")
		}
	})
	// A concurrent login links the account between SocialUser and
	// AssociateUser; the step between them plays that login.
	race := func(owner *store.User, uid string) pipeline.Step {
		return func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
			e.associate(owner, "github", uid, nil)
			return pipeline.Continue, nil
		}
	}
	t.Run("race won by the same user", func(t *testing.T) {
		s := e.state("github", nil)
		s.User, s.UID = alice, "4"
		steps := []pipeline.Step{pipeline.SocialUser, race(alice, "4"), pipeline.AssociateUser}
		if _, err := pipeline.Run(ctx, steps, 0, s); err != nil {
			t.Fatal(err)
		}
		want, _ := e.store.GetAssociation(ctx, "github", "4")
		if s.Social == nil || s.Social.ID != want.ID || s.User.ID != alice.ID {
			t.Errorf("Social = %v, want %v", s.Social, want)
		}
		if s.NewAssociation {
			t.Error("NewAssociation = true for the other login's association")
		}
	})
	t.Run("race won by another user", func(t *testing.T) {
		s := e.state("github", nil)
		s.User, s.UID = alice, "5"
		steps := []pipeline.Step{pipeline.SocialUser, race(bob, "5"), pipeline.AssociateUser}
		_, err := pipeline.Run(ctx, steps, 0, s)
		wantKind(t, err, socialerr.AuthAlreadyAssociated)
		if s.Social != nil {
			t.Errorf("Social = %v after the refusal", s.Social)
		}
	})
	t.Run("race while logging in", func(t *testing.T) {
		// Nobody is logged in: a new user was created, another login
		// created the association for an older user meanwhile.
		s := e.state("github", nil)
		s.UID = "6"
		steps := []pipeline.Step{pipeline.SocialUser, race(bob, "6"), func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
			s.User = alice
			return pipeline.Continue, nil
		}, pipeline.AssociateUser}
		_, err := pipeline.Run(ctx, steps, 0, s)
		wantKind(t, err, socialerr.AuthAlreadyAssociated)
	})
}

func TestLoadExtraData(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, memstore.Options{Now: func() time.Time { return clock }})
	alice := e.user("alice", "")
	social := e.associate(alice, "github", "1", map[string]any{
		"access_token": "old", "refresh_token": "keep-me", "scope": "read", "avatar": "a.png",
	})
	s := e.state("github", nil)
	s.User, s.Social = alice, social
	s.Identity = &backend.Identity{
		UID: "1",
		ExtraData: map[string]any{
			"access_token":  "new",
			"refresh_token": "", // empty, kept old
			"scope":         "", // empty, not flagged: overwritten
			"expires":       3600,
			"avatar":        nil, // empty, kept old
			"id_token":      "",  // empty and flagged, nothing old: stored as given
		},
		KeepOldIfEmpty: map[string]bool{"refresh_token": true, "avatar": true, "id_token": true},
	}
	clock = clock.Add(time.Hour)
	if err := run(t, pipeline.LoadExtraData, s); err != nil {
		t.Fatal(err)
	}
	stored, err := e.store.GetAssociation(ctx, "github", "1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"access_token": "new", "refresh_token": "keep-me", "scope": "", "expires": float64(3600),
		"avatar": "a.png", "id_token": "",
	}
	for k, v := range want {
		if stored.ExtraData[k] != v {
			t.Errorf("stored %s = %#v, want %#v", k, stored.ExtraData[k], v)
		}
		if s.Social.ExtraData[k] != v && k != "expires" {
			t.Errorf("state %s = %#v, want %#v", k, s.Social.ExtraData[k], v)
		}
	}
	if !stored.UpdatedAt.Equal(clock) {
		t.Errorf("UpdatedAt = %v, want %v", stored.UpdatedAt, clock)
	}

	// The same data again changes nothing and writes nothing.
	s.Social = stored
	clock = clock.Add(time.Hour)
	if err := run(t, pipeline.LoadExtraData, s); err != nil {
		t.Fatal(err)
	}
	again, _ := e.store.GetAssociation(ctx, "github", "1")
	if !again.UpdatedAt.Equal(stored.UpdatedAt) {
		t.Errorf("unchanged extra data was written again (UpdatedAt %v → %v)", stored.UpdatedAt, again.UpdatedAt)
	}

	// No association: nothing to do.
	s = e.state("github", nil)
	s.Identity = &backend.Identity{ExtraData: map[string]any{"access_token": "x"}}
	if err := run(t, pipeline.LoadExtraData, s); err != nil {
		t.Fatal(err)
	}
}
