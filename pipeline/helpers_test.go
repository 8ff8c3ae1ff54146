package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// testBackend is a backend that only has a name: the steps under test never
// begin or complete a login.
type testBackend struct{ name string }

func (b testBackend) Name() string { return b.name }

func (b testBackend) Begin(context.Context, *backend.BeginRequest) (*backend.BeginResult, error) {
	return nil, errors.New("testBackend: Begin is not used")
}

func (b testBackend) Complete(context.Context, *backend.CompleteRequest) (*backend.Identity, error) {
	return nil, errors.New("testBackend: Complete is not used")
}

// revokingBackend records every Revoke call and fails when fail is set.
type revokingBackend struct {
	testBackend
	fail  error
	mu    sync.Mutex
	calls []map[string]any
}

func (b *revokingBackend) Revoke(_ context.Context, extraData map[string]any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, extraData)
	return b.fail
}

var _ backend.Revoker = (*revokingBackend)(nil)

// env is a state factory over one memstore.
type env struct {
	t     *testing.T
	store *memstore.Store
	logs  *bytes.Buffer
}

func newEnv(t *testing.T, opts memstore.Options) *env {
	t.Helper()
	return &env{t: t, store: memstore.New(opts), logs: &bytes.Buffer{}}
}

// state returns a fresh state for backend name with settings cfg.
func (e *env) state(name string, cfg settings.Map) *pipeline.State {
	return &pipeline.State{
		Backend:      testBackend{name: name},
		Settings:     settings.New(cfg).For(name),
		Users:        e.store,
		Associations: e.store,
		Codes:        e.store,
		Logger:       slog.New(slog.NewTextHandler(e.logs, nil)),
	}
}

// user creates a user in the store.
func (e *env) user(username, email string) *store.User {
	e.t.Helper()
	u := &store.User{Username: username, Email: email, IsActive: true}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// associate links a provider account to a user in the store.
func (e *env) associate(u *store.User, provider, uid string, extra map[string]any) *store.Association {
	e.t.Helper()
	a := &store.Association{UserID: u.ID, Provider: provider, UID: uid, ExtraData: extra}
	if err := e.store.CreateAssociation(context.Background(), a); err != nil {
		e.t.Fatalf("CreateAssociation(%s/%s): %v", provider, uid, err)
	}
	return a
}

// run runs one step and fails the test on a result other than Continue.
func run(t *testing.T, step pipeline.Step, s *pipeline.State) error {
	t.Helper()
	res, err := step(context.Background(), s)
	if res != pipeline.Continue {
		t.Fatalf("step result = %v, want Continue", res)
	}
	return err
}

// wantKind fails unless err is a socialauth error of kind.
func wantKind(t *testing.T, err error, kind socialerr.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want %s", kind)
	}
	if !errors.Is(err, kind) || socialerr.KindOf(err) != kind {
		t.Fatalf("error = %v (kind %q), want kind %s", err, socialerr.KindOf(err), kind)
	}
}

// countingUsers counts UpdateUser calls on a memstore.
type countingUsers struct {
	*memstore.Store
	mu      sync.Mutex
	updates int
}

func (c *countingUsers) UpdateUser(ctx context.Context, u *store.User) error {
	c.mu.Lock()
	c.updates++
	c.mu.Unlock()
	return c.Store.UpdateUser(ctx, u)
}

// crowdedUsers is a memstore where every username is taken.
type crowdedUsers struct{ *memstore.Store }

func (crowdedUsers) UserExists(context.Context, string) (bool, error) { return true, nil }

// passwordUsers is a memstore that reports a usable password for the users
// listed in withPassword.
type passwordUsers struct {
	*memstore.Store
	withPassword map[string]bool
}

func (p passwordUsers) HasUsablePassword(_ context.Context, u *store.User) (bool, error) {
	return p.withPassword[u.ID], nil
}

var _ pipeline.PasswordChecker = passwordUsers{}
