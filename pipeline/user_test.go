package pipeline_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

func TestGetUsername(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	tests := []struct {
		name    string
		cfg     settings.Map
		opts    *pipeline.UsernameOptions
		maxLen  int // memstore's UsernameMaxLength, 0 for its default
		details backend.Details
		want    string         // exact username, or
		wantRe  *regexp.Regexp // a pattern
	}{
		{name: "provider username", details: backend.Details{Username: "octo", Email: "o@example.com"}, want: "octo"},
		{name: "full email", cfg: settings.Map{"SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL": true},
			details: backend.Details{Username: "octo", Email: "Octo.Cat+x@example.com"}, want: "Octo.Cat+x@example.com"},
		{name: "full email without email", cfg: settings.Map{"SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL": true},
			details: backend.Details{Username: "octo"}, want: "octo"},
		{name: "email local part", details: backend.Details{Email: "jane.doe@example.com"}, want: "jane.doe"},
		{name: "email local part before the last at", details: backend.Details{Email: `"a@b"@example.com`}, want: "a@b"},
		{name: "first and last names", details: backend.Details{FirstName: "Jane", LastName: "Doe"}, want: "JaneDoe"},
		{name: "full name", details: backend.Details{FullName: "Jane Q. Doe"}, want: "JaneQ.Doe"},
		{name: "nothing to go on", wantRe: hex32},
		{name: "clean keeps letters of any script", details: backend.Details{Username: "Jörg Müller-Łoś_1"}, want: "JörgMüller-Łoś_1"},
		{name: "clean drops markup", details: backend.Details{Username: "a b<script>alert(1)</script>"}, want: "abscriptalert1script"},
		{name: "nothing left after cleaning", details: backend.Details{Username: "!!! ???"}, wantRe: hex32},
		{name: "clean off keeps spaces", cfg: settings.Map{"SOCIAL_AUTH_CLEAN_USERNAMES": false},
			details: backend.Details{Username: "Eve Character"}, want: "Eve Character"},
		{name: "invisible characters always dropped", cfg: settings.Map{"SOCIAL_AUTH_CLEAN_USERNAMES": false},
			details: backend.Details{Username: " ali\u200bce\x00\u202e "}, want: "alice"},
		{name: "slugify after clean", cfg: settings.Map{"SOCIAL_AUTH_SLUGIFY_USERNAMES": true},
			details: backend.Details{Username: "Hello World.Name"}, want: "helloworldname"},
		{name: "slugify without clean", cfg: settings.Map{"SOCIAL_AUTH_SLUGIFY_USERNAMES": true, "SOCIAL_AUTH_CLEAN_USERNAMES": false},
			details: backend.Details{Username: "  Hello  World--Ünï x- "}, want: "hello-world-n-x"},
		{name: "custom clean", opts: &pipeline.UsernameOptions{Clean: strings.ToUpper},
			details: backend.Details{Username: "octo cat"}, want: "OCTO CAT"},
		{name: "custom clean unused when cleaning is off", opts: &pipeline.UsernameOptions{Clean: strings.ToUpper},
			cfg: settings.Map{"SOCIAL_AUTH_CLEAN_USERNAMES": "off"}, details: backend.Details{Username: "octo"}, want: "octo"},
		{name: "custom slugify", opts: &pipeline.UsernameOptions{Slugify: func(v string) string { return "s-" + v }},
			cfg: settings.Map{"SOCIAL_AUTH_SLUGIFY_USERNAMES": true}, details: backend.Details{Username: "octo"}, want: "s-octo"},
		{name: "store limit", maxLen: 5, details: backend.Details{Username: "abcdefgh"}, want: "abcde"},
		{name: "setting limit smaller", cfg: settings.Map{"SOCIAL_AUTH_USERNAME_MAX_LENGTH": 4},
			details: backend.Details{Username: "abcdefgh"}, want: "abcd"},
		{name: "setting limit larger than the store's", maxLen: 5, cfg: settings.Map{"SOCIAL_AUTH_USERNAME_MAX_LENGTH": 7},
			details: backend.Details{Username: "abcdefgh"}, want: "abcde"},
		{name: "limit counts characters", maxLen: 3, details: backend.Details{Username: "éééééé"}, want: "ééé"},
		{name: "random name fits the limit", maxLen: 8, wantRe: regexp.MustCompile(`^[0-9a-f]{8}$`)},
		{name: "per backend setting", cfg: settings.Map{"SOCIAL_AUTH_GITHUB_SLUGIFY_USERNAMES": true},
			details: backend.Details{Username: "OCTO"}, want: "octo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.Options{UsernameMaxLength: tt.maxLen})
			s := e.state("github", tt.cfg)
			s.Details = tt.details
			step := pipeline.GetUsername
			if tt.opts != nil {
				step = pipeline.GetUsernameWith(*tt.opts)
			}
			if err := run(t, step, s); err != nil {
				t.Fatal(err)
			}
			if tt.wantRe != nil {
				if !tt.wantRe.MatchString(s.Username) {
					t.Errorf("Username = %q, want %v", s.Username, tt.wantRe)
				}
				return
			}
			if s.Username != tt.want {
				t.Errorf("Username = %q, want %q", s.Username, tt.want)
			}
		})
	}
}

func TestGetUsernameOfKnownUser(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	s := e.state("github", nil)
	s.User = e.user("alice", "")
	s.Details.Username = "octo"
	if err := run(t, pipeline.GetUsername, s); err != nil {
		t.Fatal(err)
	}
	if s.Username != "alice" {
		t.Errorf("Username = %q, want alice", s.Username)
	}
}

func TestGetUsernameSkippedWithoutUsernameField(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	s := e.state("github", settings.Map{"SOCIAL_AUTH_USER_FIELDS": []string{"email"}})
	s.Details.Username = "octo"
	if err := run(t, pipeline.GetUsername, s); err != nil {
		t.Fatal(err)
	}
	if s.Username != "" {
		t.Errorf("Username = %q, want none", s.Username)
	}
}

func TestGetUsernameCollision(t *testing.T) {
	tests := []struct {
		name   string
		cfg    settings.Map
		maxLen int
		taken  []string
		input  string
		want   *regexp.Regexp
	}{
		{name: "default suffix", taken: []string{"alice"}, input: "alice",
			want: regexp.MustCompile(`^alice[0-9a-f]{16}$`)},
		{name: "UUID_LENGTH", cfg: settings.Map{"SOCIAL_AUTH_UUID_LENGTH": 4}, taken: []string{"alice"}, input: "alice",
			want: regexp.MustCompile(`^alice[0-9a-f]{4}$`)},
		{name: "odd UUID_LENGTH", cfg: settings.Map{"SOCIAL_AUTH_UUID_LENGTH": 5}, taken: []string{"alice"}, input: "alice",
			want: regexp.MustCompile(`^alice[0-9a-f]{5}$`)},
		{name: "invalid UUID_LENGTH uses the default", cfg: settings.Map{"SOCIAL_AUTH_UUID_LENGTH": 0}, taken: []string{"alice"},
			input: "alice", want: regexp.MustCompile(`^alice[0-9a-f]{16}$`)},
		{name: "base cut so the suffix fits", maxLen: 10, cfg: settings.Map{"SOCIAL_AUTH_UUID_LENGTH": 4},
			taken: []string{"abcdefghij"}, input: "abcdefghijkl", want: regexp.MustCompile(`^abcdef[0-9a-f]{4}$`)},
		{name: "suffix longer than the limit", maxLen: 4, taken: []string{"abcd"}, input: "abcdef",
			want: regexp.MustCompile(`^[0-9a-f]{4}$`)},
		{name: "slugified names collide in lower case", cfg: settings.Map{"SOCIAL_AUTH_SLUGIFY_USERNAMES": true},
			taken: []string{"alice"}, input: "ALICE", want: regexp.MustCompile(`^alice[0-9a-f]{16}$`)},
		{name: "no collision with a longer name", taken: []string{"alice2"}, input: "alice", want: regexp.MustCompile(`^alice$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.Options{UsernameMaxLength: tt.maxLen})
			for _, name := range tt.taken {
				e.user(name, "")
			}
			s := e.state("github", tt.cfg)
			s.Details.Username = tt.input
			if err := run(t, pipeline.GetUsername, s); err != nil {
				t.Fatal(err)
			}
			if !tt.want.MatchString(s.Username) {
				t.Errorf("Username = %q, want %v", s.Username, tt.want)
			}
			limit := e.store.UsernameMaxLength()
			if n := utf8.RuneCountInString(s.Username); n > limit {
				t.Errorf("Username %q has %d characters, limit %d", s.Username, n, limit)
			}
			// The chosen name is free: creating the user works.
			if err := run(t, pipeline.CreateUser, s); err != nil {
				t.Fatalf("CreateUser with %q: %v", s.Username, err)
			}
		})
	}
}

func TestGetUsernameGivesUp(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	s := e.state("github", nil)
	s.Users = crowdedUsers{e.store}
	s.Details.Username = "alice"
	wantKind(t, run(t, pipeline.GetUsername, s), socialerr.AuthUnknownError)
	if s.Username != "" {
		t.Errorf("Username = %q after giving up", s.Username)
	}
}

func TestCreateUser(t *testing.T) {
	ctx := context.Background()
	details := backend.Details{Email: " alice@example.com ", FirstName: "Alice", LastName: "Liddell", FullName: "Alice Liddell"}

	t.Run("default fields", func(t *testing.T) {
		e := newEnv(t, memstore.Options{})
		s := e.state("github", nil)
		s.Username, s.Details = "alice", details
		if err := run(t, pipeline.CreateUser, s); err != nil {
			t.Fatal(err)
		}
		if s.User == nil || !s.IsNew {
			t.Fatalf("User = %v, IsNew = %v", s.User, s.IsNew)
		}
		got, err := e.store.GetUser(ctx, s.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != "alice" || got.Email != "alice@example.com" || !got.IsActive {
			t.Errorf("stored user = %+v", got)
		}
		if got.FirstName != "" || got.LastName != "" || len(got.Extra) != 0 {
			t.Errorf("fields outside USER_FIELDS were set at creation: %+v", got)
		}
	})
	t.Run("USER_FIELDS with names", func(t *testing.T) {
		e := newEnv(t, memstore.Options{})
		s := e.state("github", settings.Map{"SOCIAL_AUTH_USER_FIELDS": []string{"username", "email", "first_name", "last_name", "fullname"}})
		s.Username, s.Details = "alice", details
		if err := run(t, pipeline.CreateUser, s); err != nil {
			t.Fatal(err)
		}
		got, _ := e.store.GetUser(ctx, s.User.ID)
		if got.FirstName != "Alice" || got.LastName != "Liddell" || got.Extra["fullname"] != "Alice Liddell" {
			t.Errorf("stored user = %+v", got)
		}
	})
	t.Run("no username", func(t *testing.T) {
		e := newEnv(t, memstore.Options{})
		s := e.state("github", nil)
		s.Details = details
		if err := run(t, pipeline.CreateUser, s); err != nil {
			t.Fatal(err)
		}
		if s.User != nil || s.IsNew {
			t.Errorf("User = %v, IsNew = %v, want none", s.User, s.IsNew)
		}
		if users, _ := e.store.UsersByEmail(ctx, "alice@example.com"); len(users) != 0 {
			t.Errorf("a user was stored: %v", users)
		}
	})
	t.Run("known user", func(t *testing.T) {
		e := newEnv(t, memstore.Options{})
		s := e.state("github", nil)
		s.User = e.user("bob", "")
		s.Username = "alice"
		if err := run(t, pipeline.CreateUser, s); err != nil {
			t.Fatal(err)
		}
		if s.User.Username != "bob" || s.IsNew {
			t.Errorf("User = %v, IsNew = %v", s.User, s.IsNew)
		}
		if taken, _ := e.store.UserExists(ctx, "alice"); taken {
			t.Error("a user was created while one was known")
		}
	})
	t.Run("username taken meanwhile", func(t *testing.T) {
		e := newEnv(t, memstore.Options{})
		e.user("alice", "")
		s := e.state("github", nil)
		s.Username, s.Details = "alice", details
		err := run(t, pipeline.CreateUser, s)
		wantKind(t, err, socialerr.AuthFailed)
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("error %v does not wrap store.ErrConflict", err)
		}
		if s.User != nil || s.IsNew {
			t.Errorf("User = %v, IsNew = %v after the failure", s.User, s.IsNew)
		}
	})
}

func TestUserDetails(t *testing.T) {
	ctx := context.Background()
	newUser := func(e *env) *store.User {
		u := &store.User{Username: "alice", Email: "alice@example.com", FirstName: "", LastName: "Old",
			IsActive: true, Extra: map[string]any{"fullname": "Old Name"}}
		if err := e.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	details := backend.Details{
		Username: "new-name", Email: "new@example.com", FirstName: "Alice", LastName: "Liddell",
		FullName: "Alice Liddell", Extra: map[string]any{"avatar": "a.png", "password": "x", "is_staff": true},
	}
	tests := []struct {
		name  string
		cfg   settings.Map
		check func(t *testing.T, u *store.User)
	}{
		{"defaults", nil, func(t *testing.T, u *store.User) {
			if u.Username != "alice" || u.Email != "alice@example.com" {
				t.Errorf("protected fields changed: %+v", u)
			}
			if u.FirstName != "Alice" || u.LastName != "Liddell" || u.Extra["fullname"] != "Alice Liddell" || u.Extra["avatar"] != "a.png" {
				t.Errorf("details not copied: %+v", u)
			}
			if _, ok := u.Extra["password"]; ok {
				t.Error("protected extra key password stored")
			}
			if _, ok := u.Extra["is_staff"]; ok {
				t.Error("protected extra key is_staff stored")
			}
		}},
		{"PROTECTED_USER_FIELDS", settings.Map{"SOCIAL_AUTH_PROTECTED_USER_FIELDS": []string{"last_name", "avatar"}},
			func(t *testing.T, u *store.User) {
				if u.LastName != "Old" || u.Extra["avatar"] != nil {
					t.Errorf("protected fields changed: %+v", u)
				}
				if u.FirstName != "Alice" {
					t.Errorf("FirstName = %q", u.FirstName)
				}
			}},
		{"IMMUTABLE_USER_FIELDS", settings.Map{"SOCIAL_AUTH_IMMUTABLE_USER_FIELDS": []string{"first_name", "last_name", "fullname", "avatar"}},
			func(t *testing.T, u *store.User) {
				if u.FirstName != "Alice" || u.Extra["avatar"] != "a.png" {
					t.Errorf("empty immutable fields not set: %+v", u)
				}
				if u.LastName != "Old" || u.Extra["fullname"] != "Old Name" {
					t.Errorf("immutable fields changed: %+v", u)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.Options{})
			u := newUser(e)
			counting := &countingUsers{Store: e.store}
			s := e.state("github", tt.cfg)
			s.Users = counting
			s.User, s.Details = u, details
			if err := run(t, pipeline.UserDetails, s); err != nil {
				t.Fatal(err)
			}
			got, err := e.store.GetUser(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
			tt.check(t, s.User)
			if counting.updates != 1 {
				t.Errorf("UpdateUser called %d times, want 1", counting.updates)
			}
			// A second run with the same details changes nothing.
			s.User = got
			if err := run(t, pipeline.UserDetails, s); err != nil {
				t.Fatal(err)
			}
			if counting.updates != 1 {
				t.Errorf("UpdateUser called again for unchanged details (%d calls)", counting.updates)
			}
		})
	}
}

func TestUserDetailsEmptyValuesKeepOld(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	counting := &countingUsers{Store: e.store}
	u := &store.User{Username: "alice", FirstName: "Alice", LastName: "Liddell", IsActive: true}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	s := e.state("github", nil)
	s.Users = counting
	s.User = u
	s.Details = backend.Details{FirstName: " ", Extra: map[string]any{"avatar": ""}}
	if err := run(t, pipeline.UserDetails, s); err != nil {
		t.Fatal(err)
	}
	if counting.updates != 0 || s.User.FirstName != "Alice" {
		t.Errorf("empty details changed the user: %+v (%d updates)", s.User, counting.updates)
	}

	// Without a user there is nothing to update.
	s = e.state("github", nil)
	s.Users = counting
	s.Details.FirstName = "X"
	if err := run(t, pipeline.UserDetails, s); err != nil {
		t.Fatal(err)
	}
	if counting.updates != 0 {
		t.Error("UpdateUser called without a user")
	}
}
