package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

func TestAllowedToDisconnect(t *testing.T) {
	type assoc struct{ provider, uid string }
	tests := []struct {
		name     string
		assocs   []assoc
		byID     int   // 1-based index into assocs of the one named, 0 for all of the backend's
		password *bool // nil: the store cannot tell
		allowed  bool
	}{
		{name: "last association", assocs: []assoc{{"github", "1"}}},
		{name: "every association is the backend's", assocs: []assoc{{"github", "1"}, {"github", "2"}}},
		{name: "another backend remains", assocs: []assoc{{"github", "1"}, {"gitlab", "1"}}, allowed: true},
		{name: "one of two of the backend by id", assocs: []assoc{{"github", "1"}, {"github", "2"}}, byID: 2, allowed: true},
		{name: "the only one by id", assocs: []assoc{{"github", "1"}}, byID: 1},
		{name: "usable password", assocs: []assoc{{"github", "1"}}, password: new(true), allowed: true},
		{name: "no usable password, last association", assocs: []assoc{{"github", "1"}}, password: new(false)},
		{name: "no usable password, another remains", assocs: []assoc{{"github", "1"}, {"gitlab", "9"}},
			password: new(false), allowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.Options{})
			alice := e.user("alice", "")
			var ids []string
			for _, a := range tt.assocs {
				ids = append(ids, e.associate(alice, a.provider, a.uid, nil).ID)
			}
			// Another user's associations never count.
			e.associate(e.user("bob", ""), "gitlab", "bob", nil)
			s := e.state("github", nil)
			s.User = alice
			if tt.byID > 0 {
				s.AssociationID = ids[tt.byID-1]
			}
			if tt.password != nil {
				s.Users = passwordUsers{Store: e.store, withPassword: map[string]bool{alice.ID: *tt.password}}
			}
			err := run(t, pipeline.AllowedToDisconnect, s)
			if tt.allowed {
				if err != nil {
					t.Fatalf("error = %v, want nil", err)
				}
				return
			}
			wantKind(t, err, socialerr.NotAllowedToDisconnect)
		})
	}
}

func TestAllowedToDisconnectWithoutUser(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	wantKind(t, run(t, pipeline.AllowedToDisconnect, e.state("github", nil)), socialerr.NotAllowedToDisconnect)
}

func TestGetEntries(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	alice := e.user("alice", "")
	bob := e.user("bob", "")
	gh1 := e.associate(alice, "github", "1", nil)
	gh2 := e.associate(alice, "github", "2", nil)
	gl := e.associate(alice, "gitlab", "1", nil)
	bobs := e.associate(bob, "github", "3", nil)

	s := e.state("github", nil)
	s.User = alice
	if err := run(t, pipeline.GetEntries, s); err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) != 2 || s.Entries[0].ID != gh1.ID || s.Entries[1].ID != gh2.ID {
		t.Errorf("Entries = %v, want %s and %s", s.Entries, gh1.ID, gh2.ID)
	}

	s = e.state("github", nil)
	s.User, s.AssociationID = alice, gh2.ID
	if err := run(t, pipeline.GetEntries, s); err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) != 1 || s.Entries[0].ID != gh2.ID {
		t.Errorf("Entries = %v, want only %s", s.Entries, gh2.ID)
	}

	refused := []struct {
		name, backend, id string
		user              *store.User
	}{
		{"another user's association", "github", bobs.ID, alice},
		{"another backend's association", "github", gl.ID, alice},
		{"unknown id", "github", "no-such-id", alice},
		{"no association with the backend", "twitter", "", alice},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			s := e.state(tt.backend, nil)
			s.User, s.AssociationID = tt.user, tt.id
			err := run(t, pipeline.GetEntries, s)
			wantKind(t, err, socialerr.AuthFailed)
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("error %v does not match store.ErrNotFound", err)
			}
			if len(s.Entries) != 0 {
				t.Errorf("Entries = %v after the refusal", s.Entries)
			}
		})
	}
}

func TestRevokeTokens(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		cfg       settings.Map
		fail      error
		wantCalls int
		wantLog   bool
	}{
		{name: "setting off by default"},
		{name: "setting on", cfg: settings.Map{"SOCIAL_AUTH_REVOKE_TOKENS_ON_DISCONNECT": true}, wantCalls: 2},
		{name: "per backend", cfg: settings.Map{"SOCIAL_AUTH_REVOKER_REVOKE_TOKENS_ON_DISCONNECT": "yes"}, wantCalls: 2},
		{name: "failure logged", cfg: settings.Map{"SOCIAL_AUTH_REVOKE_TOKENS_ON_DISCONNECT": true},
			fail: errors.New("provider said no"), wantCalls: 2, wantLog: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, memstore.Options{})
			alice := e.user("alice", "")
			e.associate(alice, "revoker", "1", map[string]any{"access_token": "t1"})
			e.associate(alice, "revoker", "2", map[string]any{"access_token": "t2"})
			e.associate(alice, "other", "1", nil)
			be := &revokingBackend{testBackend: testBackend{name: "revoker"}, fail: tt.fail}
			s := e.state("revoker", tt.cfg)
			s.Backend = be
			s.User = alice
			if _, err := pipeline.Run(ctx, pipeline.DefaultDisconnect(), 0, s); err != nil {
				t.Fatal(err)
			}
			if len(be.calls) != tt.wantCalls {
				t.Fatalf("Revoke called %d times, want %d", len(be.calls), tt.wantCalls)
			}
			if tt.wantCalls > 0 && (be.calls[0]["access_token"] != "t1" || be.calls[1]["access_token"] != "t2") {
				t.Errorf("Revoke got %v", be.calls)
			}
			if got := strings.Contains(e.logs.String(), "provider said no"); got != tt.wantLog {
				t.Errorf("log has the failure = %v, want %v; log: %s", got, tt.wantLog, e.logs)
			}
			// The disconnection happened anyway.
			left, _ := e.store.AssociationsForUser(ctx, alice.ID, "revoker")
			if len(left) != 0 {
				t.Errorf("associations left: %v", left)
			}
		})
	}
}

func TestRevokeTokensBackendWithoutRevoke(t *testing.T) {
	e := newEnv(t, memstore.Options{})
	s := e.state("github", settings.Map{"SOCIAL_AUTH_REVOKE_TOKENS_ON_DISCONNECT": true})
	s.Entries = []*store.Association{{ID: "1", ExtraData: map[string]any{"access_token": "t"}}}
	if err := run(t, pipeline.RevokeTokens, s); err != nil {
		t.Fatal(err)
	}
}

func TestDisconnectPipeline(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, memstore.Options{})
	alice := e.user("alice", "")
	gh := e.associate(alice, "github", "1", nil)
	gl := e.associate(alice, "gitlab", "1", nil)

	// Disconnecting GitHub leaves GitLab: allowed.
	s := e.state("github", nil)
	s.User = alice
	out, err := pipeline.Run(ctx, pipeline.DefaultDisconnect(), 0, s)
	if err != nil || out.Result != pipeline.Continue {
		t.Fatalf("Run = %v, %v", out, err)
	}
	if _, err := e.store.GetAssociationByID(ctx, gh.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("github association still there: %v", err)
	}

	// GitLab is now the last way in: refused, nothing deleted.
	s = e.state("gitlab", nil)
	s.User = alice
	_, err = pipeline.Run(ctx, pipeline.DefaultDisconnect(), 0, s)
	wantKind(t, err, socialerr.NotAllowedToDisconnect)
	if _, err := e.store.GetAssociationByID(ctx, gl.ID); err != nil {
		t.Errorf("gitlab association deleted despite the refusal: %v", err)
	}

	// Entries already gone are not an error.
	s = e.state("gitlab", nil)
	s.Entries = []*store.Association{{ID: "gone"}}
	if err := run(t, pipeline.Disconnect, s); err != nil {
		t.Errorf("Disconnect of a missing entry: %v", err)
	}
}
