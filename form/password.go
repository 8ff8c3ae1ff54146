package form

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// Password hashing parameters.
const (
	// PasswordAlgorithm names the hash in an encoded password.
	PasswordAlgorithm = "pbkdf2_sha256"
	// PasswordIterations is the PBKDF2 iteration count of new hashes.
	PasswordIterations = 600_000
	// passwordSaltBytes is the random salt's size.
	passwordSaltBytes = 16
	// passwordKeyBytes is the derived key's size (SHA-256's).
	passwordKeyBytes = 32
	// maxPasswordIterations bounds the work a stored hash may ask for.
	maxPasswordIterations = 10_000_000
)

// Password rules of PasswordStep.
const (
	// MinPasswordLength is the fewest characters a new password may have.
	MinPasswordLength = 8
	// MaxPasswordLength bounds a password, in bytes.
	MaxPasswordLength = 1024
)

// PasswordParam is the request parameter PasswordStep reads.
const PasswordParam = "password"

// ErrMalformedHash is matched by the error of [CheckPassword] for an
// encoded hash it cannot read.
var ErrMalformedHash = errors.New("form: malformed password hash")

// HashPassword hashes a password with PBKDF2-HMAC-SHA256, 600000
// iterations and a 16-byte random salt, encoded as
//
//	pbkdf2_sha256$600000$<salt>$<hash>
//
// where the salt is the random bytes in unpadded URL-safe base64 (used,
// in that text form, as the PBKDF2 salt) and the hash is the 32-byte
// derived key in standard base64: the encoding of Django's
// PBKDF2PasswordHasher, so that hashes move between socialauth and
// Django applications in both directions.
func HashPassword(password string) (string, error) {
	raw := make([]byte, passwordSaltBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("form: hashing a password: %w", err)
	}
	return hashWith(password, base64.RawURLEncoding.EncodeToString(raw), PasswordIterations)
}

func hashWith(password, salt string, iterations int) (string, error) {
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, passwordKeyBytes)
	if err != nil {
		return "", fmt.Errorf("form: hashing a password: %w", err)
	}
	return PasswordAlgorithm + "$" + strconv.Itoa(iterations) + "$" + salt + "$" +
		base64.StdEncoding.EncodeToString(key), nil
}

// CheckPassword reports whether password matches an encoded hash made by
// [HashPassword] (or by Django's PBKDF2PasswordHasher, whatever its
// iteration count), comparing in constant time. A hash it cannot read is
// [ErrMalformedHash].
func CheckPassword(password, encoded string) (bool, error) {
	_, salt, want, iterations, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got, err := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, len(want))
	if err != nil {
		return false, fmt.Errorf("form: checking a password: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parseHash splits an encoded hash.
func parseHash(encoded string) (algorithm, salt string, key []byte, iterations int, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != PasswordAlgorithm || parts[2] == "" {
		return "", "", nil, 0, ErrMalformedHash
	}
	iterations, err = strconv.Atoi(parts[1])
	if err != nil || iterations < 1 || iterations > maxPasswordIterations {
		return "", "", nil, 0, fmt.Errorf("%w: iteration count %q", ErrMalformedHash, parts[1])
	}
	key, err = base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return "", "", nil, 0, fmt.Errorf("%w: derived key", ErrMalformedHash)
	}
	return parts[0], parts[2], key, iterations, nil
}

// PasswordHashes keeps users' password hashes. Get returns an error
// matching store.ErrNotFound for a user without one.
type PasswordHashes interface {
	Get(ctx context.Context, userID string) (string, error)
	Set(ctx context.Context, userID, hash string) error
}

// MemoryPasswordHashes is an in-memory [PasswordHashes] for tests and
// demos. The zero value is ready to use; it is safe for concurrent use.
type MemoryPasswordHashes struct {
	mu     sync.Mutex
	hashes map[string]string
}

// Get implements PasswordHashes.
func (m *MemoryPasswordHashes) Get(ctx context.Context, userID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.hashes[userID]
	if !ok {
		return "", fmt.Errorf("form: password of user %q: %w", userID, store.ErrNotFound)
	}
	return h, nil
}

// Set implements PasswordHashes.
func (m *MemoryPasswordHashes) Set(ctx context.Context, userID, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hashes == nil {
		m.hashes = map[string]string{}
	}
	m.hashes[userID] = hash
	return nil
}

// UsersWithPasswords is a user store that also reports, from Hashes,
// whether a user has a usable password: a [pipeline.PasswordChecker], so
// that AllowedToDisconnect lets such a user remove their last social
// account. Hand it to the engine as Config.Users.
type UsersWithPasswords struct {
	store.UserStore
	Hashes PasswordHashes
}

var _ pipeline.PasswordChecker = UsersWithPasswords{}

// HasUsablePassword implements pipeline.PasswordChecker: the user has a
// hash that can be read.
func (u UsersWithPasswords) HasUsablePassword(ctx context.Context, user *store.User) (bool, error) {
	h, err := u.Hashes.Get(ctx, user.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, _, _, _, perr := parseHash(h)
	return perr == nil, nil
}

// Keys PasswordStep keeps in State.Data.
const (
	// dataPendingHash holds a new user's hashed password between a run of
	// the step before CreateUser and one after it.
	dataPendingHash = "form.password_hash"
	// dataChecked marks a returning user whose password was checked.
	dataChecked = "form.password_checked"
)

// PasswordStep returns the pipeline step that sets and checks passwords
// for the form backends (backends built from [Email] or [Username], and
// any backend named "email" or "username"; others are left alone): the
// user_password example of python-social-auth's documentation, with a
// real password hash kept in hashes.
//
// Put it right after CreateUser, where the user was found or created:
//
//   - a new user (s.IsNew) gets the hash of the request's "password";
//   - a known user must give a password matching the stored hash, else
//     the login fails with [socialerr.AuthForbidden] (also when no usable
//     hash is stored). A logged-in user linking an email or username to
//     their account is a known user: they must give their own password.
//
// A missing password is [socialerr.AuthMissingParameter]; a new password
// shorter than MinPasswordLength characters or longer than
// MaxPasswordLength bytes is [socialerr.AuthFailed]. The password is read
// from s.Request and never kept in the state, its Response or a partial.
// A hash made with fewer iterations than PasswordIterations (an imported
// Django hash, say) is replaced after a successful check.
//
// Put the same step before CreateUser as well (after SocialUser and
// GetUsername, and before MailValidation) to refuse a bad new password
// before anything is stored and to check returning users early: run with
// no user yet, it checks the new password and keeps only its hash in
// s.Data, which the run after CreateUser stores. That is also how a
// password chosen at sign-up survives the pause of MailValidation, whose
// resume request (the emailed link) carries no password. Run before
// SocialUser, where a returning user would look new, it fails instead.
func PasswordStep(hashes PasswordHashes) pipeline.Step {
	return func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		name, ok := formBackendName(s)
		if !ok {
			return pipeline.Continue, nil
		}
		if s.Data == nil {
			s.Data = map[string]any{}
		}
		switch {
		case s.User == nil:
			// Before CreateUser, for a new user: check and hash now.
			if err := requireNoAssociation(ctx, s, name); err != nil {
				return pipeline.Continue, err
			}
			hash, err := newPasswordHash(s, name)
			if err != nil {
				return pipeline.Continue, err
			}
			s.Data[dataPendingHash] = hash
			return pipeline.Continue, nil
		case s.IsNew:
			hash, _ := s.Data[dataPendingHash].(string)
			if hash == "" {
				var err error
				if hash, err = newPasswordHash(s, name); err != nil {
					return pipeline.Continue, err
				}
			}
			if err := hashes.Set(ctx, s.User.ID, hash); err != nil {
				return pipeline.Continue, fmt.Errorf("password step: %w", err)
			}
			delete(s.Data, dataPendingHash)
			return pipeline.Continue, nil
		}
		delete(s.Data, dataPendingHash)
		if checked, _ := s.Data[dataChecked].(bool); checked {
			return pipeline.Continue, nil
		}
		if err := checkUserPassword(ctx, s, hashes, name); err != nil {
			return pipeline.Continue, err
		}
		s.Data[dataChecked] = true
		return pipeline.Continue, nil
	}
}

// logger returns the state's logger or one that discards.
func logger(s *pipeline.State) *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// formBackendName returns the name of the state's backend when the
// password step applies to it: a backend built by this package, or one
// named "email" or "username" as in python-social-auth's example.
func formBackendName(s *pipeline.State) (string, bool) {
	if s.Backend == nil {
		return "", false
	}
	if b, ok := s.Backend.(*formBackend); ok {
		return b.name, true
	}
	name := s.Backend.Name()
	return name, name == EmailBackend || name == UsernameBackend
}

// requireNoAssociation fails when the account is already linked to a user
// although no user is known: the step was put before SocialUser, where a
// returning user would escape the password check.
func requireNoAssociation(ctx context.Context, s *pipeline.State, name string) error {
	if s.Associations == nil || s.UID == "" {
		return errors.New("password step: put it after SocialUID and SocialUser")
	}
	_, err := s.Associations.GetAssociation(ctx, name, s.UID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("password step: %w", err)
	}
	return errors.New("password step: put it after SocialUser, which finds returning users")
}

// requestPassword reads the password parameter.
func requestPassword(s *pipeline.State, name string) (string, error) {
	vals := s.Request[PasswordParam]
	if len(vals) == 0 || vals[0] == "" {
		return "", socialerr.Missing(name, PasswordParam)
	}
	if len(vals) > 1 {
		return "", socialerr.New(socialerr.AuthFailed, name, "the password was posted more than once")
	}
	return vals[0], nil
}

// newPasswordHash checks a new user's password and hashes it.
func newPasswordHash(s *pipeline.State, name string) (string, error) {
	pw, err := requestPassword(s, name)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(pw) < MinPasswordLength || len(pw) > MaxPasswordLength {
		return "", socialerr.New(socialerr.AuthFailed, name,
			fmt.Sprintf("choose a password of %d to %d characters", MinPasswordLength, MaxPasswordLength))
	}
	return HashPassword(pw)
}

// checkUserPassword checks a returning user's password. A user without a
// usable hash is refused after the same work as a wrong password.
func checkUserPassword(ctx context.Context, s *pipeline.State, hashes PasswordHashes, name string) error {
	pw, err := requestPassword(s, name)
	if err != nil {
		return err
	}
	forbidden := socialerr.New(socialerr.AuthForbidden, name, "wrong password")
	if len(pw) > MaxPasswordLength {
		return forbidden
	}
	stored, err := hashes.Get(ctx, s.User.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("password step: %w", err)
	}
	ok, cerr := CheckPassword(pw, stored)
	if cerr != nil {
		// No usable hash: spend the same time as a real check, then refuse.
		_, _ = hashWith(pw, "socialauth-no-password", PasswordIterations)
		return forbidden
	}
	if !ok {
		return forbidden
	}
	// Rehash hashes made with fewer iterations than today's.
	if _, _, _, iterations, _ := parseHash(stored); iterations < PasswordIterations {
		if fresh, err := HashPassword(pw); err == nil {
			if err := hashes.Set(ctx, s.User.ID, fresh); err != nil {
				logger(s).WarnContext(ctx, "socialauth: upgrading a password hash failed", "error", err)
			}
		}
	}
	return nil
}
