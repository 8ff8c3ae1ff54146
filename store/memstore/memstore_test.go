package memstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
	"github.com/socialauth/socialauth/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return memstore.New(memstore.Options{})
	})
}

// TestConformanceWithFixedClock runs the suite with a clock that never
// moves, so ordering must not depend on distinct timestamps.
func TestConformanceWithFixedClock(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	storetest.Run(t, func(t *testing.T) store.Store {
		return memstore.New(memstore.Options{Now: func() time.Time { return at }})
	})
}

func TestInjectedClock(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s := memstore.New(memstore.Options{Now: func() time.Time { return now }})
	u := &store.User{Username: "alice"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if !u.CreatedAt.Equal(now) {
		t.Errorf("CreatedAt = %v, want %v", u.CreatedAt, now)
	}
	a := &store.Association{UserID: u.ID, Provider: "github", UID: "1"}
	if err := s.CreateAssociation(ctx, a); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if err := s.UpdateAssociation(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAssociationByID(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.UpdatedAt.Equal(now) || !got.CreatedAt.Equal(now.Add(-time.Minute)) {
		t.Errorf("times = %v / %v, want created a minute before updated at %v", got.CreatedAt, got.UpdatedAt, now)
	}
}

func TestUsernameMaxLength(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		opt, want int
	}{{0, memstore.DefaultUsernameMaxLength}, {-3, 150}, {30, 30}}
	for _, tc := range tests {
		s := memstore.New(memstore.Options{UsernameMaxLength: tc.opt})
		if got := s.UsernameMaxLength(); got != tc.want {
			t.Errorf("UsernameMaxLength with option %d = %d, want %d", tc.opt, got, tc.want)
		}
		err := s.CreateUser(ctx, &store.User{Username: strings.Repeat("a", tc.want+1)})
		if !errors.Is(err, memstore.ErrUsernameTooLong) {
			t.Errorf("too long username: error %v, want ErrUsernameTooLong", err)
		}
	}
}

func TestIDsAreDecimalCounters(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})
	u := &store.User{Username: "alice"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a := &store.Association{UserID: u.ID, Provider: "github", UID: "1"}
	if err := s.CreateAssociation(ctx, a); err != nil {
		t.Fatal(err)
	}
	if u.ID != "1" || a.ID != "2" {
		t.Errorf("IDs = %q, %q; want \"1\", \"2\"", u.ID, a.ID)
	}
}
