// Package storetest is the conformance suite for implementations of
// [store.Store]. Every store, in this repository or outside it, runs it from
// its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			return mystore.New(...) // a fresh, empty store
//		})
//	}
//
// The suite checks every method and every rule documented in package
// store: not-found and conflict errors, that values are copied in and out,
// that extra data survives a JSON round trip, ordering and filtering, and
// that concurrent writers cannot create the same association twice.
//
// Stores may keep times with microsecond precision, so the suite compares
// times with Equal and passes in only times truncated to the second.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/store"
)

// Run runs the conformance suite as subtests of t. newStore must return a
// new, empty store each time it is called; it may register cleanups on the
// t it is given.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []namedTest
	}{
		{"Users", userTests()},
		{"Associations", associationTests()},
		{"Nonces", nonceTests()},
		{"OpenIDAssociations", openIDTests()},
		{"Codes", codeTests()},
		{"Partials", partialTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.run(t, newStore(t))
				})
			}
		})
	}
}

// namedTest is one check of the suite.
type namedTest struct {
	name string
	run  func(t *testing.T, s store.Store)
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

func wantErrIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want one matching %v", what, err, target)
	}
}

// jsonEqual reports whether a and b encode to the same JSON value, so that
// an int put in and a float64 read back count as equal.
func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	return reflect.DeepEqual(normalize(t, a), normalize(t, b))
}

func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %#v: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return out
}

// sampleExtra is extra data with every kind of JSON value, nested.
func sampleExtra() map[string]any {
	return map[string]any{
		"access_token":  "tok-123",
		"refresh_token": "",
		"expires":       3600,
		"auth_time":     int64(1700000000),
		"ratio":         0.25,
		"negative":      -7,
		"verified":      true,
		"disabled":      false,
		"nothing":       nil,
		"scopes":        []any{"read:user", "user:email", 3, true},
		"profile": map[string]any{
			"avatar": map[string]any{"url": "https://example.com/a.png", "size": 64},
			"langs":  []any{map[string]any{"code": "fr"}},
			"quote":  "it's \"quoted\" <b>&amp; ünïcode ✓",
		},
	}
}

func newUser(name string) *store.User {
	return &store.User{
		Username:  name,
		Email:     name + "@example.com",
		FirstName: "First " + name,
		LastName:  "Last " + name,
		IsActive:  true,
	}
}

func createUser(t *testing.T, s store.Store, name string) *store.User {
	t.Helper()
	u := newUser(name)
	must(t, s.CreateUser(context.Background(), u), "CreateUser "+name)
	return u
}

func createAssociation(t *testing.T, s store.Store, userID, provider, uid string) *store.Association {
	t.Helper()
	a := &store.Association{UserID: userID, Provider: provider, UID: uid,
		ExtraData: map[string]any{"access_token": "t-" + uid}}
	must(t, s.CreateAssociation(context.Background(), a), "CreateAssociation "+provider+"/"+uid)
	return a
}

func sameUser(t *testing.T, got, want *store.User) {
	t.Helper()
	if got == nil {
		t.Fatal("got nil user")
	}
	if got.ID != want.ID || got.Username != want.Username || got.Email != want.Email ||
		got.FirstName != want.FirstName || got.LastName != want.LastName || got.IsActive != want.IsActive {
		t.Errorf("user = %+v, want %+v", got, want)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("user CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	if got.Extra == nil {
		t.Error("user Extra is nil, want a non-nil map")
	}
	if !jsonEqual(t, got.Extra, want.Extra) && !(len(got.Extra) == 0 && len(want.Extra) == 0) {
		t.Errorf("user Extra = %#v, want %#v", got.Extra, want.Extra)
	}
}

func userTests() []namedTest {
	return []namedTest{
		{"CreateThenGet", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := newUser("alice")
			u.Extra = map[string]any{"fullname": "Alice Liddell"}
			must(t, s.CreateUser(ctx, u), "CreateUser")
			if u.ID == "" {
				t.Fatal("CreateUser left ID empty")
			}
			if u.CreatedAt.IsZero() {
				t.Fatal("CreateUser left CreatedAt zero")
			}
			got, err := s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			sameUser(t, got, u)
		}},
		{"IDsAreDistinct", func(t *testing.T, s store.Store) {
			seen := map[string]bool{}
			for i := range 5 {
				u := createUser(t, s, fmt.Sprintf("user%d", i))
				if seen[u.ID] {
					t.Fatalf("ID %q given twice", u.ID)
				}
				seen[u.ID] = true
			}
		}},
		{"InactiveUserKeepsFlag", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := newUser("sleepy")
			u.IsActive = false
			must(t, s.CreateUser(ctx, u), "CreateUser")
			got, err := s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			if got.IsActive {
				t.Error("IsActive = true, want false")
			}
		}},
		{"GetUnknownIsNotFound", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			createUser(t, s, "alice")
			for _, id := range []string{"999999", "", "not-a-number", "1 OR 1=1"} {
				u, err := s.GetUser(ctx, id)
				wantErrIs(t, err, store.ErrNotFound, fmt.Sprintf("GetUser(%q)", id))
				if u != nil {
					t.Errorf("GetUser(%q) = %+v, want nil", id, u)
				}
			}
		}},
		{"DuplicateUsernameIsConflict", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			createUser(t, s, "alice")
			dup := newUser("alice")
			dup.Email = "other@example.com"
			wantErrIs(t, s.CreateUser(ctx, dup), store.ErrConflict, "second CreateUser")
			users, err := s.UsersByEmail(ctx, "other@example.com")
			must(t, err, "UsersByEmail")
			if len(users) != 0 {
				t.Errorf("the refused user was stored: %+v", users)
			}
		}},
		{"UserExistsIsExact", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			createUser(t, s, "Alice")
			for name, want := range map[string]bool{"Alice": true, "alice": false, "Alic": false, "Alice ": false, "": false, "bob": false} {
				got, err := s.UserExists(ctx, name)
				must(t, err, "UserExists")
				if got != want {
					t.Errorf("UserExists(%q) = %v, want %v", name, got, want)
				}
			}
		}},
		{"UsersByEmailIgnoresCase", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			a := createUser(t, s, "a")
			a.Email = "Shared@Example.COM"
			must(t, s.UpdateUser(ctx, a), "UpdateUser")
			b := newUser("b")
			b.Email = "shared@example.com"
			must(t, s.CreateUser(ctx, b), "CreateUser")
			createUser(t, s, "c")
			for _, query := range []string{"shared@example.com", "SHARED@EXAMPLE.COM", "sHaReD@eXaMpLe.CoM"} {
				users, err := s.UsersByEmail(ctx, query)
				must(t, err, "UsersByEmail")
				ids := map[string]bool{}
				for _, u := range users {
					ids[u.ID] = true
				}
				if len(users) != 2 || !ids[a.ID] || !ids[b.ID] {
					t.Errorf("UsersByEmail(%q) = %d users %v, want users %s and %s", query, len(users), ids, a.ID, b.ID)
				}
			}
			users, err := s.UsersByEmail(ctx, "nobody@example.com")
			must(t, err, "UsersByEmail of an unknown email")
			if len(users) != 0 {
				t.Errorf("UsersByEmail(unknown) = %d users, want none", len(users))
			}
			// An empty email must never match users who have no email: that
			// would let association by email take over their accounts.
			noEmail := newUser("noemail")
			noEmail.Email = ""
			must(t, s.CreateUser(ctx, noEmail), "CreateUser without email")
			users, err = s.UsersByEmail(ctx, "")
			must(t, err, "UsersByEmail(\"\")")
			if len(users) != 0 {
				t.Errorf("UsersByEmail(\"\") = %d users, want none", len(users))
			}
		}},
		{"UpdateUserSavesFields", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			createdAt := u.CreatedAt
			u.Username = "alice2"
			u.Email = "new@example.com"
			u.FirstName = "Al"
			u.LastName = "Ice"
			u.IsActive = false
			u.Extra = map[string]any{"fullname": "Al Ice", "age": 30}
			must(t, s.UpdateUser(ctx, u), "UpdateUser")
			got, err := s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			u.CreatedAt = createdAt
			sameUser(t, got, u)
			if exists, _ := s.UserExists(ctx, "alice"); exists {
				t.Error("old username still exists after rename")
			}
			// Saving again with the same username is not a conflict with itself.
			must(t, s.UpdateUser(ctx, u), "UpdateUser unchanged")
		}},
		{"UpdateUnknownUserIsNotFound", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := newUser("ghost")
			u.ID = "999999"
			wantErrIs(t, s.UpdateUser(ctx, u), store.ErrNotFound, "UpdateUser")
			if exists, _ := s.UserExists(ctx, "ghost"); exists {
				t.Error("UpdateUser of an unknown ID created a user")
			}
			u.ID = "not-a-number"
			wantErrIs(t, s.UpdateUser(ctx, u), store.ErrNotFound, "UpdateUser with a malformed ID")
		}},
		{"UpdateToTakenUsernameIsConflict", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			createUser(t, s, "alice")
			bob := createUser(t, s, "bob")
			bob.Username = "alice"
			bob.Email = "changed@example.com"
			wantErrIs(t, s.UpdateUser(ctx, bob), store.ErrConflict, "UpdateUser")
			got, err := s.GetUser(ctx, bob.ID)
			must(t, err, "GetUser")
			if got.Username != "bob" || got.Email != "bob@example.com" {
				t.Errorf("refused update was saved: %+v", got)
			}
		}},
		{"UsernameMaxLength", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			maxLen := s.UsernameMaxLength()
			if maxLen <= 0 {
				t.Fatalf("UsernameMaxLength() = %d, want > 0", maxLen)
			}
			if maxLen > 1<<16 {
				return // too long to build a test username for
			}
			// Lengths count characters, not bytes.
			longest := strings.Repeat("é", maxLen)
			u := newUser(longest)
			u.Email = "longest@example.com"
			must(t, s.CreateUser(ctx, u), "CreateUser with a username of the maximum length")
			got, err := s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			if got.Username != longest {
				t.Errorf("username came back with %d bytes, want %d", len(got.Username), len(longest))
			}
			tooLong := newUser(strings.Repeat("x", maxLen+1))
			tooLong.Email = "toolong@example.com"
			if err := s.CreateUser(ctx, tooLong); err == nil {
				t.Error("CreateUser accepted a username longer than UsernameMaxLength")
			}
			if users, _ := s.UsersByEmail(ctx, "toolong@example.com"); len(users) != 0 {
				t.Error("the refused user was stored")
			}
		}},
		{"ExtraRoundTrip", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := newUser("alice")
			u.Extra = sampleExtra()
			must(t, s.CreateUser(ctx, u), "CreateUser")
			got, err := s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			if !jsonEqual(t, got.Extra, sampleExtra()) {
				t.Errorf("Extra = %#v, want %#v", got.Extra, sampleExtra())
			}
		}},
		{"NilExtraComesBackEmpty", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := newUser("alice")
			u.Extra = nil
			must(t, s.CreateUser(ctx, u), "CreateUser")
			got, err := s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			if got.Extra == nil || len(got.Extra) != 0 {
				t.Errorf("Extra = %#v, want an empty non-nil map", got.Extra)
			}
			got.Extra["writable"] = true // must not panic
		}},
		{"UsersAreCopies", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := newUser("alice")
			u.Extra = map[string]any{"nested": map[string]any{"k": "v"}, "list": []any{"a"}}
			must(t, s.CreateUser(ctx, u), "CreateUser")
			// Changing the value passed in must not change what is stored.
			u.Email = "mutated@example.com"
			u.Extra["nested"].(map[string]any)["k"] = "mutated"
			u.Extra["added"] = 1
			got, err := s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			want := map[string]any{"nested": map[string]any{"k": "v"}, "list": []any{"a"}}
			if got.Email != "alice@example.com" || !jsonEqual(t, got.Extra, want) {
				t.Fatalf("stored user changed with the caller's value: %+v", got)
			}
			// Changing a value read out must not change what is stored.
			got.Username = "mutated"
			got.Extra["nested"].(map[string]any)["k"] = "mutated"
			got.Extra["list"].([]any)[0] = "mutated"
			again, err := s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			if again.Username != "alice" || !jsonEqual(t, again.Extra, want) {
				t.Errorf("stored user changed with a value read out: %+v", again)
			}
			byEmail, err := s.UsersByEmail(ctx, "alice@example.com")
			must(t, err, "UsersByEmail")
			if len(byEmail) != 1 {
				t.Fatalf("UsersByEmail = %d users, want 1", len(byEmail))
			}
			byEmail[0].Extra["nested"].(map[string]any)["k"] = "mutated"
			again, err = s.GetUser(ctx, u.ID)
			must(t, err, "GetUser")
			if !jsonEqual(t, again.Extra, want) {
				t.Errorf("stored user changed through UsersByEmail: %+v", again.Extra)
			}
		}},
	}
}

func sameAssociation(t *testing.T, got, want *store.Association) {
	t.Helper()
	if got == nil {
		t.Fatal("got nil association")
	}
	if got.ID != want.ID || got.UserID != want.UserID || got.Provider != want.Provider || got.UID != want.UID {
		t.Errorf("association = %+v, want %+v", got, want)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("association times = %v/%v, want %v/%v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	if got.ExtraData == nil {
		t.Error("ExtraData is nil, want a non-nil map")
	}
	if !jsonEqual(t, got.ExtraData, want.ExtraData) && !(len(got.ExtraData) == 0 && len(want.ExtraData) == 0) {
		t.Errorf("ExtraData = %#v, want %#v", got.ExtraData, want.ExtraData)
	}
}

func associationTests() []namedTest {
	return []namedTest{
		{"CreateThenGet", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			a := &store.Association{UserID: u.ID, Provider: "github", UID: "12345", ExtraData: map[string]any{"access_token": "x"}}
			must(t, s.CreateAssociation(ctx, a), "CreateAssociation")
			if a.ID == "" || a.CreatedAt.IsZero() || a.UpdatedAt.IsZero() {
				t.Fatalf("CreateAssociation did not set ID and times: %+v", a)
			}
			if a.UpdatedAt.Before(a.CreatedAt) {
				t.Errorf("UpdatedAt %v before CreatedAt %v", a.UpdatedAt, a.CreatedAt)
			}
			got, err := s.GetAssociation(ctx, "github", "12345")
			must(t, err, "GetAssociation")
			sameAssociation(t, got, a)
			got, err = s.GetAssociationByID(ctx, a.ID)
			must(t, err, "GetAssociationByID")
			sameAssociation(t, got, a)
		}},
		{"GetUnknownIsNotFound", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			createAssociation(t, s, u.ID, "github", "12345")
			for _, key := range [][2]string{{"github", "54321"}, {"google-oauth2", "12345"}, {"GitHub", "12345"}, {"github", ""}, {"", "12345"}} {
				a, err := s.GetAssociation(ctx, key[0], key[1])
				wantErrIs(t, err, store.ErrNotFound, fmt.Sprintf("GetAssociation(%q, %q)", key[0], key[1]))
				if a != nil {
					t.Errorf("GetAssociation(%q, %q) = %+v, want nil", key[0], key[1], a)
				}
			}
			for _, id := range []string{"999999", "", "not-a-number"} {
				a, err := s.GetAssociationByID(ctx, id)
				wantErrIs(t, err, store.ErrNotFound, fmt.Sprintf("GetAssociationByID(%q)", id))
				if a != nil {
					t.Errorf("GetAssociationByID(%q) = %+v, want nil", id, a)
				}
			}
		}},
		{"DuplicateProviderUIDIsConflict", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			alice := createUser(t, s, "alice")
			bob := createUser(t, s, "bob")
			first := createAssociation(t, s, alice.ID, "github", "12345")
			dup := &store.Association{UserID: bob.ID, Provider: "github", UID: "12345"}
			wantErrIs(t, s.CreateAssociation(ctx, dup), store.ErrConflict, "second CreateAssociation")
			got, err := s.GetAssociation(ctx, "github", "12345")
			must(t, err, "GetAssociation")
			if got.ID != first.ID || got.UserID != alice.ID {
				t.Errorf("association after refused duplicate = %+v, want the first one", got)
			}
			if list, _ := s.AssociationsForUser(ctx, bob.ID, ""); len(list) != 0 {
				t.Errorf("the refused association was stored: %+v", list)
			}
			// The same uid at another provider is a different account.
			createAssociation(t, s, bob.ID, "gitlab", "12345")
		}},
		{"ExtraDataRoundTrip", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			a := &store.Association{UserID: u.ID, Provider: "github", UID: "1", ExtraData: sampleExtra()}
			must(t, s.CreateAssociation(ctx, a), "CreateAssociation")
			got, err := s.GetAssociation(ctx, "github", "1")
			must(t, err, "GetAssociation")
			if !jsonEqual(t, got.ExtraData, sampleExtra()) {
				t.Errorf("ExtraData = %#v, want %#v", got.ExtraData, sampleExtra())
			}
			if v, ok := got.ExtraData["verified"].(bool); !ok || !v {
				t.Errorf("ExtraData[verified] = %#v, want the bool true", got.ExtraData["verified"])
			}
			if _, ok := got.ExtraData["profile"].(map[string]any); !ok {
				t.Errorf("ExtraData[profile] = %T, want map[string]any", got.ExtraData["profile"])
			}
			if v, ok := got.ExtraData["nothing"]; !ok || v != nil {
				t.Errorf("ExtraData[nothing] = %#v (present %v), want a present nil", v, ok)
			}
		}},
		{"NilExtraDataComesBackEmpty", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			must(t, s.CreateAssociation(ctx, &store.Association{UserID: u.ID, Provider: "github", UID: "1"}), "CreateAssociation")
			got, err := s.GetAssociation(ctx, "github", "1")
			must(t, err, "GetAssociation")
			if got.ExtraData == nil || len(got.ExtraData) != 0 {
				t.Errorf("ExtraData = %#v, want an empty non-nil map", got.ExtraData)
			}
		}},
		{"UnencodableExtraDataIsRefused", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			a := &store.Association{UserID: u.ID, Provider: "github", UID: "1", ExtraData: map[string]any{"f": func() {}}}
			if err := s.CreateAssociation(ctx, a); err == nil {
				t.Fatal("CreateAssociation accepted ExtraData that is not JSON")
			}
			_, err := s.GetAssociation(ctx, "github", "1")
			wantErrIs(t, err, store.ErrNotFound, "GetAssociation after refused create")
		}},
		{"AssociationsAreCopies", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			a := &store.Association{UserID: u.ID, Provider: "github", UID: "1",
				ExtraData: map[string]any{"nested": map[string]any{"k": "v"}, "list": []any{"a"}}}
			must(t, s.CreateAssociation(ctx, a), "CreateAssociation")
			want := map[string]any{"nested": map[string]any{"k": "v"}, "list": []any{"a"}}
			a.ExtraData["nested"].(map[string]any)["k"] = "mutated"
			a.ExtraData["list"].([]any)[0] = "mutated"
			a.UID = "mutated"
			got, err := s.GetAssociation(ctx, "github", "1")
			must(t, err, "GetAssociation")
			if !jsonEqual(t, got.ExtraData, want) {
				t.Fatalf("stored ExtraData changed with the caller's map: %#v", got.ExtraData)
			}
			got.ExtraData["nested"].(map[string]any)["k"] = "mutated"
			got.ExtraData["added"] = true
			list, err := s.AssociationsForUser(ctx, u.ID, "")
			must(t, err, "AssociationsForUser")
			if len(list) != 1 || !jsonEqual(t, list[0].ExtraData, want) {
				t.Fatalf("stored ExtraData changed with a map read out: %+v", list)
			}
			list[0].ExtraData["nested"].(map[string]any)["k"] = "mutated"
			byID, err := s.GetAssociationByID(ctx, got.ID)
			must(t, err, "GetAssociationByID")
			if !jsonEqual(t, byID.ExtraData, want) {
				t.Errorf("stored ExtraData changed through AssociationsForUser: %#v", byID.ExtraData)
			}
		}},
		{"AssociationsForUserOrderAndFilter", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			alice := createUser(t, s, "alice")
			bob := createUser(t, s, "bob")
			a1 := createAssociation(t, s, alice.ID, "github", "a1")
			createAssociation(t, s, bob.ID, "github", "b1")
			a2 := createAssociation(t, s, alice.ID, "google-oauth2", "a2")
			a3 := createAssociation(t, s, alice.ID, "github", "a3")
			ids := func(list []*store.Association) []string {
				var out []string
				for _, a := range list {
					out = append(out, a.ID)
				}
				return out
			}
			cases := []struct {
				userID, provider string
				want             []string
			}{
				{alice.ID, "", []string{a1.ID, a2.ID, a3.ID}},
				{alice.ID, "github", []string{a1.ID, a3.ID}},
				{alice.ID, "google-oauth2", []string{a2.ID}},
				{alice.ID, "facebook", nil},
				{"999999", "", nil},
			}
			for _, tc := range cases {
				list, err := s.AssociationsForUser(ctx, tc.userID, tc.provider)
				must(t, err, "AssociationsForUser")
				if got := ids(list); !reflect.DeepEqual(got, tc.want) {
					t.Errorf("AssociationsForUser(%q, %q) = %v, want %v", tc.userID, tc.provider, got, tc.want)
				}
				for _, a := range list {
					if a.UserID != tc.userID {
						t.Errorf("AssociationsForUser(%q) returned one of user %q", tc.userID, a.UserID)
					}
				}
			}
			list, err := s.AssociationsForUser(ctx, alice.ID, "")
			must(t, err, "AssociationsForUser")
			sameAssociation(t, list[0], a1)
		}},
		{"UpdateAssociation", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			alice := createUser(t, s, "alice")
			bob := createUser(t, s, "bob")
			a := createAssociation(t, s, alice.ID, "github", "1")
			createdAt := a.CreatedAt
			a.ExtraData = map[string]any{"access_token": "new", "expires": 7200, "nested": map[string]any{"ok": true}}
			a.UserID = bob.ID
			a.UpdatedAt = time.Time{}
			must(t, s.UpdateAssociation(ctx, a), "UpdateAssociation")
			if a.UpdatedAt.IsZero() || a.UpdatedAt.Before(createdAt) {
				t.Errorf("UpdatedAt = %v after update, want at or after CreatedAt %v", a.UpdatedAt, createdAt)
			}
			got, err := s.GetAssociationByID(ctx, a.ID)
			must(t, err, "GetAssociationByID")
			a.CreatedAt = createdAt
			sameAssociation(t, got, a)
			if list, _ := s.AssociationsForUser(ctx, alice.ID, ""); len(list) != 0 {
				t.Errorf("the moved association is still listed for its old user")
			}
			if list, _ := s.AssociationsForUser(ctx, bob.ID, ""); len(list) != 1 {
				t.Errorf("the moved association is not listed for its new user")
			}
		}},
		{"UpdateAssociationKeepsProviderAndUID", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			a := createAssociation(t, s, u.ID, "github", "1")
			a.Provider, a.UID = "gitlab", "2"
			must(t, s.UpdateAssociation(ctx, a), "UpdateAssociation")
			if _, err := s.GetAssociation(ctx, "github", "1"); err != nil {
				t.Errorf("association no longer found under its provider and uid: %v", err)
			}
			_, err := s.GetAssociation(ctx, "gitlab", "2")
			wantErrIs(t, err, store.ErrNotFound, "GetAssociation of the ignored new key")
		}},
		{"UpdateUnknownAssociationIsNotFound", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			for _, id := range []string{"999999", "not-a-number"} {
				a := &store.Association{ID: id, UserID: u.ID, Provider: "github", UID: "1"}
				wantErrIs(t, s.UpdateAssociation(ctx, a), store.ErrNotFound, fmt.Sprintf("UpdateAssociation(%q)", id))
			}
			if list, _ := s.AssociationsForUser(ctx, u.ID, ""); len(list) != 0 {
				t.Errorf("UpdateAssociation of an unknown ID stored %d associations", len(list))
			}
		}},
		{"DeleteAssociation", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			a := createAssociation(t, s, u.ID, "github", "1")
			keep := createAssociation(t, s, u.ID, "github", "2")
			must(t, s.DeleteAssociation(ctx, a.ID), "DeleteAssociation")
			_, err := s.GetAssociationByID(ctx, a.ID)
			wantErrIs(t, err, store.ErrNotFound, "GetAssociationByID after delete")
			_, err = s.GetAssociation(ctx, "github", "1")
			wantErrIs(t, err, store.ErrNotFound, "GetAssociation after delete")
			wantErrIs(t, s.DeleteAssociation(ctx, a.ID), store.ErrNotFound, "second DeleteAssociation")
			wantErrIs(t, s.DeleteAssociation(ctx, "not-a-number"), store.ErrNotFound, "DeleteAssociation of a malformed ID")
			if _, err := s.GetAssociationByID(ctx, keep.ID); err != nil {
				t.Errorf("the other association was removed too: %v", err)
			}
			// The account can be connected again once disconnected.
			again := createAssociation(t, s, u.ID, "github", "1")
			if again.ID == keep.ID {
				t.Errorf("new association reuses the ID of a live one")
			}
		}},
		{"ConcurrentCreateOfSameAccount", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			const writers = 8
			users := make([]*store.User, writers)
			for i := range users {
				users[i] = createUser(t, s, fmt.Sprintf("racer%d", i))
			}
			errs := make([]error, writers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range writers {
				wg.Go(func() {
					<-start
					errs[i] = s.CreateAssociation(ctx, &store.Association{UserID: users[i].ID, Provider: "github", UID: "contested"})
				})
			}
			close(start)
			wg.Wait()
			winners := 0
			winner := ""
			for i, err := range errs {
				switch {
				case err == nil:
					winners++
					winner = users[i].ID
				case errors.Is(err, store.ErrConflict):
				default:
					t.Errorf("writer %d: error %v, want nil or one matching ErrConflict", i, err)
				}
			}
			if winners != 1 {
				t.Fatalf("%d writers succeeded, want exactly 1", winners)
			}
			got, err := s.GetAssociation(ctx, "github", "contested")
			must(t, err, "GetAssociation")
			if got.UserID != winner {
				t.Errorf("association belongs to %q, want the winner %q", got.UserID, winner)
			}
		}},
		{"ConcurrentCreateOfDistinctAccounts", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			u := createUser(t, s, "alice")
			const writers = 8
			errs := make([]error, writers)
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					errs[i] = s.CreateAssociation(ctx, &store.Association{UserID: u.ID, Provider: "github", UID: fmt.Sprint("uid-", i)})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("writer %d: %v", i, err)
				}
			}
			list, err := s.AssociationsForUser(ctx, u.ID, "github")
			must(t, err, "AssociationsForUser")
			if len(list) != writers {
				t.Errorf("%d associations stored, want %d", len(list), writers)
			}
		}},
	}
}

func nonceTests() []namedTest {
	return []namedTest{
		{"ReuseIsConflict", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			n := store.Nonce{ServerURL: "https://op.example.com/server", Timestamp: 1700000000, Salt: "abcDEF123"}
			must(t, s.UseNonce(ctx, n), "first UseNonce")
			wantErrIs(t, s.UseNonce(ctx, n), store.ErrConflict, "second UseNonce")
			wantErrIs(t, s.UseNonce(ctx, n), store.ErrConflict, "third UseNonce")
		}},
		{"EachPartOfTheKeyCounts", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			base := store.Nonce{ServerURL: "https://op.example.com/server", Timestamp: 1700000000, Salt: "salt"}
			must(t, s.UseNonce(ctx, base), "UseNonce")
			variants := []store.Nonce{
				{ServerURL: "https://other.example.com/server", Timestamp: base.Timestamp, Salt: base.Salt},
				{ServerURL: base.ServerURL, Timestamp: base.Timestamp + 1, Salt: base.Salt},
				{ServerURL: base.ServerURL, Timestamp: base.Timestamp, Salt: "SALT"},
			}
			for _, n := range variants {
				must(t, s.UseNonce(ctx, n), fmt.Sprintf("UseNonce(%+v)", n))
			}
		}},
	}
}

func sameOpenID(t *testing.T, got, want *store.OpenIDAssociation) {
	t.Helper()
	if got.ID != want.ID || got.ServerURL != want.ServerURL || got.Handle != want.Handle ||
		!bytes.Equal(got.Secret, want.Secret) || !got.IssuedAt.Equal(want.IssuedAt) ||
		got.Lifetime != want.Lifetime || got.AssocType != want.AssocType {
		t.Errorf("OpenID association = %+v, want %+v", got, want)
	}
}

func newOpenID(server, handle string) *store.OpenIDAssociation {
	return &store.OpenIDAssociation{
		ServerURL: server,
		Handle:    handle,
		Secret:    []byte{0, 1, 2, 0xfe, 0xff, 'k'},
		IssuedAt:  time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC),
		Lifetime:  14 * 24 * time.Hour,
		AssocType: "HMAC-SHA256",
	}
}

func openIDTests() []namedTest {
	return []namedTest{
		{"StoreThenGet", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			a := newOpenID("https://op.example.com/server", "h1")
			must(t, s.StoreOpenIDAssociation(ctx, a), "StoreOpenIDAssociation")
			if a.ID == "" {
				t.Fatal("StoreOpenIDAssociation left ID empty")
			}
			b := newOpenID("https://op.example.com/server", "h2")
			b.AssocType = "HMAC-SHA1"
			must(t, s.StoreOpenIDAssociation(ctx, b), "StoreOpenIDAssociation")
			list, err := s.OpenIDAssociations(ctx, "https://op.example.com/server", "")
			must(t, err, "OpenIDAssociations")
			if len(list) != 2 {
				t.Fatalf("OpenIDAssociations = %d, want 2", len(list))
			}
			byHandle := map[string]*store.OpenIDAssociation{}
			for _, x := range list {
				byHandle[x.Handle] = x
			}
			sameOpenID(t, byHandle["h1"], a)
			sameOpenID(t, byHandle["h2"], b)
			list, err = s.OpenIDAssociations(ctx, "https://op.example.com/server", "h2")
			must(t, err, "OpenIDAssociations by handle")
			if len(list) != 1 {
				t.Fatalf("OpenIDAssociations by handle = %d, want 1", len(list))
			}
			sameOpenID(t, list[0], b)
			if list[0].Expired(b.IssuedAt.Add(time.Hour)) || !list[0].Expired(b.IssuedAt.Add(b.Lifetime)) {
				t.Error("lifetime did not survive the round trip")
			}
		}},
		{"NoneIsNotAnError", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			must(t, s.StoreOpenIDAssociation(ctx, newOpenID("https://op.example.com/server", "h1")), "StoreOpenIDAssociation")
			for _, q := range [][2]string{{"https://other.example.com/", ""}, {"https://op.example.com/server", "nope"}, {"", ""}} {
				list, err := s.OpenIDAssociations(ctx, q[0], q[1])
				must(t, err, "OpenIDAssociations")
				if len(list) != 0 {
					t.Errorf("OpenIDAssociations(%q, %q) = %d, want none", q[0], q[1], len(list))
				}
			}
		}},
		{"SameHandleReplaces", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			first := newOpenID("https://op.example.com/server", "h1")
			must(t, s.StoreOpenIDAssociation(ctx, first), "StoreOpenIDAssociation")
			second := newOpenID("https://op.example.com/server", "h1")
			second.Secret = []byte("new secret")
			second.IssuedAt = first.IssuedAt.Add(time.Hour)
			second.Lifetime = time.Hour
			second.AssocType = "HMAC-SHA1"
			must(t, s.StoreOpenIDAssociation(ctx, second), "StoreOpenIDAssociation again")
			if second.ID == "" {
				t.Fatal("replacing left ID empty")
			}
			list, err := s.OpenIDAssociations(ctx, "https://op.example.com/server", "")
			must(t, err, "OpenIDAssociations")
			if len(list) != 1 {
				t.Fatalf("OpenIDAssociations = %d after replace, want 1", len(list))
			}
			sameOpenID(t, list[0], second)
			// The same handle at another server is another association.
			other := newOpenID("https://other.example.com/server", "h1")
			must(t, s.StoreOpenIDAssociation(ctx, other), "StoreOpenIDAssociation at another server")
			if other.ID == second.ID {
				t.Error("association of another server replaced this one")
			}
			if list, _ := s.OpenIDAssociations(ctx, "https://op.example.com/server", ""); len(list) != 1 {
				t.Errorf("OpenIDAssociations = %d, want 1", len(list))
			}
		}},
		{"Remove", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			server := "https://op.example.com/server"
			var stored []*store.OpenIDAssociation
			for _, h := range []string{"h1", "h2", "h3"} {
				a := newOpenID(server, h)
				must(t, s.StoreOpenIDAssociation(ctx, a), "StoreOpenIDAssociation")
				stored = append(stored, a)
			}
			must(t, s.RemoveOpenIDAssociations(ctx, []string{stored[0].ID, stored[2].ID, "999999", "not-a-number"}), "RemoveOpenIDAssociations")
			list, err := s.OpenIDAssociations(ctx, server, "")
			must(t, err, "OpenIDAssociations")
			if len(list) != 1 || list[0].Handle != "h2" {
				t.Fatalf("after removal: %+v, want only h2", list)
			}
			must(t, s.RemoveOpenIDAssociations(ctx, nil), "RemoveOpenIDAssociations(nil)")
			must(t, s.RemoveOpenIDAssociations(ctx, []string{stored[0].ID}), "removing again")
			if list, _ := s.OpenIDAssociations(ctx, server, ""); len(list) != 1 {
				t.Errorf("after no-op removals: %d, want 1", len(list))
			}
		}},
		{"SecretsAreCopies", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			a := newOpenID("https://op.example.com/server", "h1")
			must(t, s.StoreOpenIDAssociation(ctx, a), "StoreOpenIDAssociation")
			want := newOpenID("https://op.example.com/server", "h1").Secret
			a.Secret[0] = 'X'
			list, err := s.OpenIDAssociations(ctx, a.ServerURL, "")
			must(t, err, "OpenIDAssociations")
			if !bytes.Equal(list[0].Secret, want) {
				t.Fatalf("stored secret changed with the caller's slice: %x", list[0].Secret)
			}
			list[0].Secret[0] = 'Y'
			list, err = s.OpenIDAssociations(ctx, a.ServerURL, "")
			must(t, err, "OpenIDAssociations")
			if !bytes.Equal(list[0].Secret, want) {
				t.Errorf("stored secret changed with a slice read out: %x", list[0].Secret)
			}
		}},
	}
}

func codeTests() []namedTest {
	return []namedTest{
		{"CreateGetVerify", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			c := &store.Code{Code: "0f3c2a9b8e7d4c6a", Email: "alice@example.com"}
			must(t, s.CreateCode(ctx, c), "CreateCode")
			if c.CreatedAt.IsZero() {
				t.Fatal("CreateCode left CreatedAt zero")
			}
			got, err := s.GetCode(ctx, c.Code)
			must(t, err, "GetCode")
			if got.Code != c.Code || got.Email != c.Email || got.Verified || !got.CreatedAt.Equal(c.CreatedAt) {
				t.Errorf("GetCode = %+v, want %+v", got, c)
			}
			must(t, s.VerifyCode(ctx, c.Code), "VerifyCode")
			got, err = s.GetCode(ctx, c.Code)
			must(t, err, "GetCode")
			if !got.Verified {
				t.Error("code not verified after VerifyCode")
			}
			if got.Email != c.Email || !got.CreatedAt.Equal(c.CreatedAt) {
				t.Errorf("VerifyCode changed other fields: %+v", got)
			}
			wantErrIs(t, s.VerifyCode(ctx, c.Code), store.ErrConflict, "VerifyCode twice")
		}},
		{"ConcurrentVerifyOneWinner", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			must(t, s.CreateCode(ctx, &store.Code{Code: "race", Email: "a@example.com"}), "CreateCode")
			const n = 8
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() { errs <- s.VerifyCode(ctx, "race") })
			}
			wg.Wait()
			close(errs)
			wins := 0
			for err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("concurrent VerifyCode: %v", err)
				}
			}
			if wins != 1 {
				t.Errorf("%d concurrent VerifyCode calls succeeded, want exactly 1", wins)
			}
		}},
		{"VerifyTouchesOnlyThatCode", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			must(t, s.CreateCode(ctx, &store.Code{Code: "one", Email: "a@example.com"}), "CreateCode")
			must(t, s.CreateCode(ctx, &store.Code{Code: "two", Email: "a@example.com"}), "CreateCode")
			must(t, s.VerifyCode(ctx, "one"), "VerifyCode")
			got, err := s.GetCode(ctx, "two")
			must(t, err, "GetCode")
			if got.Verified {
				t.Error("verifying one code verified another")
			}
		}},
		{"UnknownIsNotFound", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			must(t, s.CreateCode(ctx, &store.Code{Code: "known", Email: "a@example.com"}), "CreateCode")
			for _, code := range []string{"unknown", "KNOWN", ""} {
				c, err := s.GetCode(ctx, code)
				wantErrIs(t, err, store.ErrNotFound, fmt.Sprintf("GetCode(%q)", code))
				if c != nil {
					t.Errorf("GetCode(%q) = %+v, want nil", code, c)
				}
				wantErrIs(t, s.VerifyCode(ctx, code), store.ErrNotFound, fmt.Sprintf("VerifyCode(%q)", code))
			}
		}},
		{"DuplicateIsConflict", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			must(t, s.CreateCode(ctx, &store.Code{Code: "same", Email: "first@example.com"}), "CreateCode")
			wantErrIs(t, s.CreateCode(ctx, &store.Code{Code: "same", Email: "second@example.com"}), store.ErrConflict, "second CreateCode")
			got, err := s.GetCode(ctx, "same")
			must(t, err, "GetCode")
			if got.Email != "first@example.com" {
				t.Errorf("refused code overwrote the first: %+v", got)
			}
		}},
	}
}

func partialTests() []namedTest {
	return []namedTest{
		{"SaveGetDelete", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			p := &store.Partial{Token: "tok1", Backend: "github", NextStep: 4, Data: []byte{0, '{', 0xff, '}', 0}}
			must(t, s.SavePartial(ctx, p), "SavePartial")
			if p.CreatedAt.IsZero() {
				t.Fatal("SavePartial left a zero CreatedAt zero")
			}
			got, err := s.GetPartial(ctx, "tok1")
			must(t, err, "GetPartial")
			if got.Token != p.Token || got.Backend != p.Backend || got.NextStep != p.NextStep ||
				!bytes.Equal(got.Data, p.Data) || !got.CreatedAt.Equal(p.CreatedAt) {
				t.Errorf("GetPartial = %+v, want %+v", got, p)
			}
			must(t, s.DeletePartial(ctx, "tok1"), "DeletePartial")
			_, err = s.GetPartial(ctx, "tok1")
			wantErrIs(t, err, store.ErrNotFound, "GetPartial after delete")
			must(t, s.DeletePartial(ctx, "tok1"), "DeletePartial of a deleted token")
			must(t, s.DeletePartial(ctx, "never-saved"), "DeletePartial of an unknown token")
		}},
		{"GivenCreatedAtIsKept", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
			p := &store.Partial{Token: "tok", Backend: "github", NextStep: 1, Data: []byte("{}"), CreatedAt: at}
			must(t, s.SavePartial(ctx, p), "SavePartial")
			got, err := s.GetPartial(ctx, "tok")
			must(t, err, "GetPartial")
			if !got.CreatedAt.Equal(at) {
				t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, at)
			}
		}},
		{"SameTokenReplaces", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			must(t, s.SavePartial(ctx, &store.Partial{Token: "tok", Backend: "github", NextStep: 1, Data: []byte("old")}), "SavePartial")
			must(t, s.SavePartial(ctx, &store.Partial{Token: "other", Backend: "gitlab", NextStep: 9, Data: []byte("other")}), "SavePartial")
			at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
			must(t, s.SavePartial(ctx, &store.Partial{Token: "tok", Backend: "google-oauth2", NextStep: 5, Data: []byte("new"), CreatedAt: at}), "SavePartial again")
			got, err := s.GetPartial(ctx, "tok")
			must(t, err, "GetPartial")
			if got.Backend != "google-oauth2" || got.NextStep != 5 || string(got.Data) != "new" || !got.CreatedAt.Equal(at) {
				t.Errorf("after replace: %+v", got)
			}
			other, err := s.GetPartial(ctx, "other")
			must(t, err, "GetPartial other")
			if string(other.Data) != "other" || other.NextStep != 9 {
				t.Errorf("replacing one token changed another: %+v", other)
			}
		}},
		{"UnknownIsNotFound", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			p, err := s.GetPartial(ctx, "missing")
			wantErrIs(t, err, store.ErrNotFound, "GetPartial")
			if p != nil {
				t.Errorf("GetPartial = %+v, want nil", p)
			}
		}},
		{"DataIsCopied", func(t *testing.T, s store.Store) {
			ctx := context.Background()
			p := &store.Partial{Token: "tok", Backend: "github", NextStep: 2, Data: []byte("payload")}
			must(t, s.SavePartial(ctx, p), "SavePartial")
			p.Data[0] = 'X'
			got, err := s.GetPartial(ctx, "tok")
			must(t, err, "GetPartial")
			if string(got.Data) != "payload" {
				t.Fatalf("stored data changed with the caller's slice: %q", got.Data)
			}
			got.Data[0] = 'Y'
			again, err := s.GetPartial(ctx, "tok")
			must(t, err, "GetPartial")
			if string(again.Data) != "payload" {
				t.Errorf("stored data changed with a slice read out: %q", again.Data)
			}
		}},
	}
}
