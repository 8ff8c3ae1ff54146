package form_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/form"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// Hashes made by Python's hashlib.pbkdf2_hmac, in Django's encoding.
const (
	djangoHash1000   = "pbkdf2_sha256$1000$c2FsdHNhbHRzYWx0$8Q+dJRtmZgSg6KZUOHttl1bnB6MDaG36mcoyPCtHgeA="
	djangoPassword1  = "correct horse battery staple"
	djangoHash260000 = "pbkdf2_sha256$260000$seasalt$91mUJ5wrV7TP/c19j0wbYk38VEkOGSAwXSMhUkdHrfc="
	djangoPassword2  = "pässwörd"
)

func TestHashPasswordFormat(t *testing.T) {
	h, err := form.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2_sha256" || parts[1] != "600000" {
		t.Fatalf("hash %q", h)
	}
	salt, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(salt) != 16 {
		t.Errorf("salt %q: %d bytes, %v", parts[2], len(salt), err)
	}
	key, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(key) != 32 {
		t.Errorf("key %q: %d bytes, %v", parts[3], len(key), err)
	}
	if strings.Contains(h, "correct") {
		t.Error("the hash contains the password")
	}
	again, _ := form.HashPassword("correct horse battery staple")
	if again == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		if ok, err := form.CheckPassword(pw, h); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
}

func TestCheckPasswordDjangoHashes(t *testing.T) {
	for _, tc := range []struct{ hash, password string }{{djangoHash1000, djangoPassword1}, {djangoHash260000, djangoPassword2}} {
		if ok, err := form.CheckPassword(tc.password, tc.hash); err != nil || !ok {
			t.Errorf("CheckPassword(%q, %q) = %v, %v", tc.password, tc.hash, ok, err)
		}
		if ok, _ := form.CheckPassword(tc.password+"x", tc.hash); ok {
			t.Errorf("wrong password accepted for %q", tc.hash)
		}
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	for _, h := range []string{
		"",
		"plaintext",
		"md5$1$salt$abcd",
		"pbkdf2_sha256$0$salt$8Q+dJRtmZgSg6KZUOHttl1bnB6MDaG36mcoyPCtHgeA=",
		"pbkdf2_sha256$99999999999$salt$8Q+dJRtmZgSg6KZUOHttl1bnB6MDaG36mcoyPCtHgeA=",
		"pbkdf2_sha256$x$salt$8Q+dJRtmZgSg6KZUOHttl1bnB6MDaG36mcoyPCtHgeA=",
		"pbkdf2_sha256$1000$$8Q+dJRtmZgSg6KZUOHttl1bnB6MDaG36mcoyPCtHgeA=",
		"pbkdf2_sha256$1000$salt$not base64!",
		"pbkdf2_sha256$1000$salt$AAAA",
		"pbkdf2_sha256$1000$salt$hash$extra",
	} {
		if ok, err := form.CheckPassword("pw", h); ok || !errors.Is(err, form.ErrMalformedHash) {
			t.Errorf("CheckPassword(%q) = %v, %v; want ErrMalformedHash", h, ok, err)
		}
	}
}

// passwordEnv runs PasswordStep over a memstore.
type passwordEnv struct {
	t      *testing.T
	store  *memstore.Store
	hashes *form.MemoryPasswordHashes
	email  backend.Backend
}

func newPasswordEnv(t *testing.T) *passwordEnv {
	return &passwordEnv{t: t, store: memstore.New(memstore.Options{}), hashes: &form.MemoryPasswordHashes{},
		email: build(t, form.Email(), nil)}
}

func (e *passwordEnv) state(b backend.Backend, uid, password string) *pipeline.State {
	req := url.Values{}
	if password != "" {
		req.Set("password", password)
	}
	return &pipeline.State{
		Backend: b, Settings: settings.New(settings.Map{}).For(b.Name()),
		Users: e.store, Associations: e.store, Codes: e.store,
		Request: req, UID: uid, Details: backend.Details{Email: uid},
		Identity: &backend.Identity{UID: uid, Details: backend.Details{Email: uid}, Response: map[string]any{"email": uid}},
	}
}

// login runs the default pipeline with PasswordStep before and after
// CreateUser.
func (e *passwordEnv) login(s *pipeline.State) error {
	e.t.Helper()
	step := form.PasswordStep(e.hashes)
	steps := []pipeline.Step{pipeline.SocialDetails, pipeline.SocialUID, pipeline.AuthAllowed, pipeline.SocialUser,
		pipeline.GetUsername, step, pipeline.CreateUser, step, pipeline.AssociateUser, pipeline.LoadExtraData, pipeline.UserDetails}
	_, err := pipeline.Run(context.Background(), steps, 0, s)
	return err
}

func (e *passwordEnv) users() int {
	n := 0
	for _, name := range []string{"ada", "eve"} {
		if ok, _ := e.store.UserExists(context.Background(), name); ok {
			n++
		}
	}
	return n
}

func TestPasswordStepSignUpThenLogIn(t *testing.T) {
	e := newPasswordEnv(t)
	ctx := context.Background()

	// Sign-up: the user is created and the hash stored.
	s := e.state(e.email, "ada@example.com", "correct horse battery staple")
	if err := e.login(s); err != nil {
		t.Fatal(err)
	}
	if !s.IsNew || s.User == nil {
		t.Fatalf("IsNew = %v, User = %v", s.IsNew, s.User)
	}
	ada := s.User
	h, err := e.hashes.Get(ctx, ada.ID)
	if err != nil || !strings.HasPrefix(h, "pbkdf2_sha256$600000$") {
		t.Fatalf("stored hash %q, %v", h, err)
	}
	if ok, _ := form.CheckPassword("correct horse battery staple", h); !ok {
		t.Error("stored hash does not match the password")
	}
	// The password is nowhere in the state that a partial would keep.
	saved, _ := json.Marshal(map[string]any{"data": s.Data, "response": s.Response, "details": s.Details, "identity": s.Identity})
	if strings.Contains(string(saved), "correct horse") || strings.Contains(string(saved), "pbkdf2") {
		t.Errorf("state keeps the password or its hash: %s", saved)
	}

	// Returning with the right password: the same user.
	s = e.state(e.email, "ada@example.com", "correct horse battery staple")
	if err := e.login(s); err != nil {
		t.Fatal(err)
	}
	if s.IsNew || s.User.ID != ada.ID {
		t.Errorf("returning login: IsNew = %v, user %v", s.IsNew, s.User)
	}

	// Wrong or missing password: refused, nothing changes.
	for pw, kind := range map[string]socialerr.Kind{
		"correct horse battery stapl": socialerr.AuthForbidden,
		strings.Repeat("x", 2000):     socialerr.AuthForbidden,
		"":                            socialerr.AuthMissingParameter,
	} {
		s = e.state(e.email, "ada@example.com", pw)
		err := e.login(s)
		if !errors.Is(err, kind) {
			t.Errorf("password %.10q: err = %v, want %s", pw, err, kind)
		}
		if s.Social != nil && s.NewAssociation {
			t.Error("an association was created on a refused login")
		}
	}
	if again, _ := e.hashes.Get(ctx, ada.ID); again != h {
		t.Error("a refused login changed the hash")
	}
}

func TestPasswordStepRefusesBadNewPasswordBeforeStoringAnything(t *testing.T) {
	e := newPasswordEnv(t)
	for pw, kind := range map[string]socialerr.Kind{
		"short":                   socialerr.AuthFailed,
		strings.Repeat("p", 1025): socialerr.AuthFailed,
		"":                        socialerr.AuthMissingParameter,
	} {
		s := e.state(e.email, "eve@example.com", pw)
		if err := e.login(s); !errors.Is(err, kind) {
			t.Errorf("password %.10q: err = %v, want %s", pw, err, kind)
		}
	}
	if n := e.users(); n != 0 {
		t.Errorf("%d users stored after refused sign-ups", n)
	}
	if _, err := e.store.GetAssociation(context.Background(), "email", "eve@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("association stored: %v", err)
	}
}

func TestPasswordStepOnlyAfterCreateUser(t *testing.T) {
	// The seed's placement: once, right after CreateUser.
	e := newPasswordEnv(t)
	steps := pipeline.Default()
	steps = append(steps[:6], append([]pipeline.Step{form.PasswordStep(e.hashes)}, steps[6:]...)...)
	s := e.state(e.email, "ada@example.com", "correct horse battery staple")
	if _, err := pipeline.Run(context.Background(), steps, 0, s); err != nil {
		t.Fatal(err)
	}
	s2 := e.state(e.email, "ada@example.com", "wrong password!")
	if _, err := pipeline.Run(context.Background(), steps, 0, s2); !errors.Is(err, socialerr.AuthForbidden) {
		t.Errorf("wrong password: %v", err)
	}
	s3 := e.state(e.email, "ada@example.com", "correct horse battery staple")
	if _, err := pipeline.Run(context.Background(), steps, 0, s3); err != nil || s3.User.ID != s.User.ID {
		t.Errorf("right password: %v", err)
	}
}

func TestPasswordStepMisplacedBeforeSocialUser(t *testing.T) {
	e := newPasswordEnv(t)
	first := e.state(e.email, "ada@example.com", "correct horse battery staple")
	if err := e.login(first); err != nil {
		t.Fatal(err)
	}
	// Before SocialUser a returning user looks new: the step refuses to
	// run there rather than let the user in unchecked.
	s := e.state(e.email, "ada@example.com", "anything at all")
	_, err := form.PasswordStep(e.hashes)(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "SocialUser") {
		t.Errorf("err = %v", err)
	}
}

func TestPasswordStepLeavesOtherBackendsAlone(t *testing.T) {
	e := newPasswordEnv(t)
	gh := otherBackend{}
	s := e.state(gh, "583231", "")
	s.User = &store.User{ID: "1"}
	res, err := form.PasswordStep(e.hashes)(context.Background(), s)
	if err != nil || res != pipeline.Continue {
		t.Errorf("step on github = %v, %v", res, err)
	}
	// An application's own backend named "email" is checked, as in
	// python-social-auth's example.
	s = e.state(namedBackend("email"), "ada@example.com", "")
	s.User = &store.User{ID: "1"}
	if _, err := form.PasswordStep(e.hashes)(context.Background(), s); !errors.Is(err, socialerr.AuthMissingParameter) {
		t.Errorf("step on an own email backend = %v", err)
	}
}

func TestPasswordStepUserWithoutHash(t *testing.T) {
	e := newPasswordEnv(t)
	u := &store.User{Username: "ada", Email: "ada@example.com", IsActive: true}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateAssociation(context.Background(), &store.Association{UserID: u.ID, Provider: "email", UID: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	// Refused, after as much work as a wrong password.
	start := time.Now()
	err := e.login(e.state(e.email, "ada@example.com", "correct horse battery staple"))
	noHash := time.Since(start)
	if !errors.Is(err, socialerr.AuthForbidden) {
		t.Fatalf("err = %v", err)
	}
	if err := e.hashes.Set(context.Background(), u.ID, "not a hash"); err != nil {
		t.Fatal(err)
	}
	if err := e.login(e.state(e.email, "ada@example.com", "correct horse battery staple")); !errors.Is(err, socialerr.AuthForbidden) {
		t.Errorf("malformed stored hash: %v", err)
	}
	h, _ := form.HashPassword("something else entirely")
	if err := e.hashes.Set(context.Background(), u.ID, h); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	err = e.login(e.state(e.email, "ada@example.com", "correct horse battery staple"))
	wrong := time.Since(start)
	if !errors.Is(err, socialerr.AuthForbidden) {
		t.Fatalf("err = %v", err)
	}
	if noHash < wrong/3 {
		t.Errorf("refusing a user without a hash took %v, a wrong password %v: the difference tells them apart", noHash, wrong)
	}
}

func TestPasswordStepUpgradesOldHashes(t *testing.T) {
	e := newPasswordEnv(t)
	ctx := context.Background()
	u := &store.User{Username: "ada", Email: "ada@example.com", IsActive: true}
	if err := e.store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateAssociation(ctx, &store.Association{UserID: u.ID, Provider: "email", UID: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := e.hashes.Set(ctx, u.ID, djangoHash1000); err != nil {
		t.Fatal(err)
	}
	if err := e.login(e.state(e.email, "ada@example.com", djangoPassword1)); err != nil {
		t.Fatal(err)
	}
	h, _ := e.hashes.Get(ctx, u.ID)
	if !strings.HasPrefix(h, "pbkdf2_sha256$600000$") {
		t.Errorf("hash not upgraded: %q", h)
	}
	if ok, _ := form.CheckPassword(djangoPassword1, h); !ok {
		t.Error("upgraded hash does not match")
	}
}

func TestUsersWithPasswords(t *testing.T) {
	e := newPasswordEnv(t)
	ctx := context.Background()
	users := form.UsersWithPasswords{UserStore: e.store, Hashes: e.hashes}
	var _ pipeline.PasswordChecker = users
	u := &store.User{ID: "7"}
	for _, tc := range []struct {
		hash string
		want bool
	}{{"", false}, {"garbage", false}, {djangoHash1000, true}} {
		if tc.hash != "" {
			if err := e.hashes.Set(ctx, u.ID, tc.hash); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := users.HasUsablePassword(ctx, u); err != nil || ok != tc.want {
			t.Errorf("hash %q: HasUsablePassword = %v, %v; want %v", tc.hash, ok, err, tc.want)
		}
	}
	if _, err := e.hashes.Get(ctx, "unknown"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

// otherBackend is a social backend the password step must ignore.
type otherBackend struct{}

func (otherBackend) Name() string { return "github" }

// namedBackend is an application's own backend with a name.
type namedBackend string

func (n namedBackend) Name() string { return string(n) }

func (namedBackend) Begin(context.Context, *backend.BeginRequest) (*backend.BeginResult, error) {
	return nil, errors.New("not used")
}

func (namedBackend) Complete(context.Context, *backend.CompleteRequest) (*backend.Identity, error) {
	return nil, errors.New("not used")
}

func (otherBackend) Begin(context.Context, *backend.BeginRequest) (*backend.BeginResult, error) {
	return nil, errors.New("not used")
}

func (otherBackend) Complete(context.Context, *backend.CompleteRequest) (*backend.Identity, error) {
	return nil, errors.New("not used")
}

// A password chosen at sign-up survives the pause of MailValidation: only
// its hash is kept in the paused state, and the emailed link, which
// carries no password, completes the sign-up with it.
func TestPasswordStepAcrossMailValidation(t *testing.T) {
	e := newPasswordEnv(t)
	ctx := context.Background()
	var code string
	password := form.PasswordStep(e.hashes)
	steps := []pipeline.Step{pipeline.SocialDetails, pipeline.SocialUID, pipeline.AuthAllowed, pipeline.SocialUser,
		pipeline.GetUsername, password, pipeline.MailValidation, pipeline.AssociateByEmail, pipeline.CreateUser, password,
		pipeline.AssociateUser, pipeline.LoadExtraData, pipeline.UserDetails}

	s := e.state(e.email, "ada@example.com", "correct horse battery staple")
	s.CompleteURL, s.PartialToken = "https://app.example.com/complete/email/", "tok"
	s.SendValidation = func(_ context.Context, _ *pipeline.State, c *store.Code, _ string) error {
		code = c.Code
		return nil
	}
	out, err := pipeline.Run(ctx, steps, 0, s)
	if err != nil || out.Result != pipeline.Paused || out.Step != 6 {
		t.Fatalf("first run = %+v, %v", out, err)
	}
	// What the engine keeps of the paused run, as JSON.
	saved, err := json.Marshal(s.Data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(saved), "correct horse") || !strings.Contains(string(saved), "pbkdf2_sha256$600000$") {
		t.Errorf("paused data %s", saved)
	}
	if e.users() != 0 {
		t.Fatal("a user was stored before the email was validated")
	}

	resumed := e.state(e.email, "ada@example.com", "")
	resumed.Request.Set("verification_code", code)
	resumed.Details, resumed.UID, resumed.Username = s.Details, s.UID, s.Username
	if err := json.Unmarshal(saved, &resumed.Data); err != nil {
		t.Fatal(err)
	}
	out, err = pipeline.Run(ctx, steps, out.Step, resumed)
	if err != nil || out.Result != pipeline.Continue || !resumed.IsNew {
		t.Fatalf("resumed run = %+v, %v (IsNew %v)", out, err, resumed.IsNew)
	}
	h, err := e.hashes.Get(ctx, resumed.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := form.CheckPassword("correct horse battery staple", h); !ok {
		t.Error("the stored hash is not the sign-up password's")
	}
	if _, pending := resumed.Data["form.password_hash"]; pending {
		t.Error("the pending hash stays in the state")
	}
}
