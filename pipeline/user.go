package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// DefaultUUIDLength is how many random hexadecimal characters GetUsername
// appends to a username that is taken, unless the UUID_LENGTH setting says
// otherwise.
const DefaultUUIDLength = 16

// DefaultUsernameMaxLength is the longest username GetUsername makes when
// neither the user store nor the USERNAME_MAX_LENGTH setting gives a limit.
const DefaultUsernameMaxLength = 150

// usernameAttempts bounds how many random suffixes GetUsername tries.
const usernameAttempts = 20

// DefaultUserFields returns the USER_FIELDS default: the user fields
// CreateUser fills when it creates a user.
func DefaultUserFields() []string { return []string{"username", "email"} }

// DefaultProtectedUserFields are the fields UserDetails never updates, on
// top of those listed in the PROTECTED_USER_FIELDS setting.
func DefaultProtectedUserFields() []string {
	return []string{"username", "id", "pk", "email", "password", "is_active", "is_staff", "is_superuser"}
}

// userFields returns the USER_FIELDS setting.
func userFields(s *State) []string {
	return s.Settings.Strings("USER_FIELDS", DefaultUserFields())
}

// UsernameOptions customise the username transformations of
// [GetUsernameWith]. A nil function means the built-in one.
type UsernameOptions struct {
	// Clean replaces [CleanUsername] when the CLEAN_USERNAMES setting is
	// true (the default): python-social-auth's CLEAN_USERNAME_FUNCTION.
	Clean func(string) string
	// Slugify replaces [SlugifyUsername] when the SLUGIFY_USERNAMES
	// setting is true: python-social-auth's SLUGIFY_FUNCTION.
	Slugify func(string) string
}

// GetUsername chooses the username of the user about to be created and sets
// s.Username. It is [GetUsernameWith] with the built-in transformations,
// and python-social-auth's social_core.pipeline.user.get_username.
func GetUsername(ctx context.Context, s *State) (Result, error) {
	return GetUsernameWith(UsernameOptions{})(ctx, s)
}

// GetUsernameWith returns a GetUsername step using custom transformations.
//
// When a user is already known, s.Username is that user's username.
// Otherwise the username is built from s.Details: the email when
// USERNAME_IS_FULL_EMAIL is true, else the provider's username, else the
// email's local part, else first and last names (or the full name), else a
// random hexadecimal string. It is then cleaned (CLEAN_USERNAMES, default
// true: letters, digits and . @ + - _ only), slugified (SLUGIFY_USERNAMES,
// default false) and cut to the store's UsernameMaxLength, or to
// USERNAME_MAX_LENGTH when that is smaller. Control and invisible
// formatting characters are always removed. While the name is taken, a
// random hexadecimal suffix of UUID_LENGTH (default 16) characters replaces
// its end. The step does nothing when USER_FIELDS does not list "username".
func GetUsernameWith(opts UsernameOptions) Step {
	clean := opts.Clean
	if clean == nil {
		clean = CleanUsername
	}
	slugify := opts.Slugify
	if slugify == nil {
		slugify = SlugifyUsername
	}
	return func(ctx context.Context, s *State) (Result, error) {
		if !containsFold(userFields(s), "username") {
			return Continue, nil
		}
		if s.User != nil {
			s.Username = s.User.Username
			return Continue, nil
		}
		limit := usernameLimit(s)
		suffixLen := s.Settings.Int("UUID_LENGTH", DefaultUUIDLength)
		if suffixLen < 1 {
			suffixLen = DefaultUUIDLength
		}
		doClean := s.Settings.Bool("CLEAN_USERNAMES", true)
		doSlugify := s.Settings.Bool("SLUGIFY_USERNAMES", false)
		transform := func(v string) string {
			v = stripInvisible(v)
			if doClean {
				v = clean(v)
			}
			if doSlugify {
				v = slugify(v)
			}
			return truncateRunes(stripInvisible(v), limit)
		}

		candidate := transform(usernameSource(s))
		if candidate == "" {
			candidate = transform(randomHex(32))
		}
		base := truncateRunes(candidate, max(limit-suffixLen, 0))
		for range usernameAttempts {
			if candidate != "" {
				taken, err := s.Users.UserExists(ctx, candidate)
				if err != nil {
					return Continue, fmt.Errorf("get_username: %w", err)
				}
				if !taken {
					s.Username = candidate
					return Continue, nil
				}
			}
			candidate = transform(base + randomHex(suffixLen))
		}
		return Continue, socialerr.New(socialerr.AuthUnknownError, backendName(s), "no free username could be found")
	}
}

// usernameSource picks the raw username from the details.
func usernameSource(s *State) string {
	d := s.Details
	email := strings.TrimSpace(d.Email)
	if email != "" && s.Settings.Bool("USERNAME_IS_FULL_EMAIL", false) {
		return email
	}
	if u := strings.TrimSpace(d.Username); u != "" {
		return u
	}
	if at := strings.LastIndexByte(email, '@'); at > 0 {
		return email[:at]
	}
	if names := strings.TrimSpace(d.FirstName) + strings.TrimSpace(d.LastName); names != "" {
		return names
	}
	return strings.TrimSpace(d.FullName)
}

// usernameLimit is the longest username the store and settings accept.
func usernameLimit(s *State) int {
	limit := s.Users.UsernameMaxLength()
	if setting := s.Settings.Int("USERNAME_MAX_LENGTH", 0); setting > 0 && (limit <= 0 || setting < limit) {
		limit = setting
	}
	if limit <= 0 {
		limit = DefaultUsernameMaxLength
	}
	return limit
}

// CleanUsername keeps the letters (of any script), digits and the
// characters . @ + - _ of a username and drops everything else, spaces
// included: the CLEAN_USERNAMES rule.
func CleanUsername(v string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".@+-_", r) {
			return r
		}
		return -1
	}, v)
}

// SlugifyUsername makes a slug of a username: ASCII letters lower-cased,
// digits and underscores kept, runs of spaces and hyphens turned into one
// hyphen, leading and trailing hyphens removed, and every other character
// dropped: the SLUGIFY_USERNAMES rule.
func SlugifyUsername(v string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.TrimSpace(v) {
		switch {
		case r <= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(unicode.ToLower(r))
		case r == '-' || unicode.IsSpace(r):
			hyphen = true
		}
	}
	return b.String()
}

// stripInvisible removes control and formatting characters (zero-width
// and direction marks) and surrounding spaces.
func stripInvisible(v string) string {
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, v)
	return strings.TrimSpace(v)
}

// truncateRunes cuts v to at most n characters.
func truncateRunes(v string, n int) string {
	if n <= 0 {
		return ""
	}
	count := 0
	for i := range v {
		if count == n {
			return v[:i]
		}
		count++
	}
	return v
}

// randomHex returns n random lower-case hexadecimal characters.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b) // never fails; see crypto/rand.Read
	return hex.EncodeToString(b)[:n]
}

// CreateUser creates the user when none was found, setting s.User and
// s.IsNew. Only the fields listed in USER_FIELDS (default "username",
// "email"; "first_name", "last_name" and "fullname" may be added) are set
// from s.Username and s.Details; UserDetails fills the others. Without a
// username (GetUsername did not run or found none) no user is created and
// the pipeline goes on. A username taken meanwhile fails with
// [socialerr.AuthFailed] wrapping [store.ErrConflict]. It is
// python-social-auth's social_core.pipeline.user.create_user.
func CreateUser(ctx context.Context, s *State) (Result, error) {
	if s.User != nil {
		return Continue, nil
	}
	u := &store.User{IsActive: true}
	filled := false
	setField := func(dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
			filled = true
		}
	}
	for _, field := range userFields(s) {
		switch strings.ToLower(strings.TrimSpace(field)) {
		case "username":
			if s.Username == "" {
				return Continue, nil
			}
			setField(&u.Username, s.Username)
		case "email":
			setField(&u.Email, s.Details.Email)
		case "first_name":
			setField(&u.FirstName, s.Details.FirstName)
		case "last_name":
			setField(&u.LastName, s.Details.LastName)
		case "fullname":
			if v := strings.TrimSpace(s.Details.FullName); v != "" {
				u.Extra = map[string]any{"fullname": v}
				filled = true
			}
		}
	}
	if !filled {
		return Continue, nil
	}
	if err := s.Users.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Continue, socialerr.Wrap(socialerr.AuthFailed, backendName(s), err, "the username is already taken")
		}
		return Continue, fmt.Errorf("create_user: %w", err)
	}
	s.User = u
	s.IsNew = true
	return Continue, nil
}

// UserDetails updates the user with the details the provider gave: the
// first and last names, the full name and the details' Extra values (kept
// in User.Extra). Fields in [DefaultProtectedUserFields] (username and
// email among them) and in the PROTECTED_USER_FIELDS setting are never
// updated; fields in IMMUTABLE_USER_FIELDS are set only while empty. Empty
// values never overwrite. The user is saved only when something changed.
// It is python-social-auth's social_core.pipeline.user.user_details.
func UserDetails(ctx context.Context, s *State) (Result, error) {
	if s.User == nil {
		return Continue, nil
	}
	protected := append(DefaultProtectedUserFields(), s.Settings.Strings("PROTECTED_USER_FIELDS", nil)...)
	immutable := s.Settings.Strings("IMMUTABLE_USER_FIELDS", nil)
	u := *s.User
	changed := false
	setString := func(name string, dst *string, v string) {
		v = strings.TrimSpace(v)
		if v == "" || *dst == v || containsFold(protected, name) {
			return
		}
		if containsFold(immutable, name) && *dst != "" {
			return
		}
		*dst = v
		changed = true
	}
	setString("username", &u.Username, s.Details.Username)
	setString("email", &u.Email, s.Details.Email)
	setString("first_name", &u.FirstName, s.Details.FirstName)
	setString("last_name", &u.LastName, s.Details.LastName)

	extra := cloneMap(s.Details.Extra)
	if v := strings.TrimSpace(s.Details.FullName); v != "" {
		extra["fullname"] = v
	}
	var newExtra map[string]any
	for name, v := range extra {
		if isEmptyValue(v) || containsFold(protected, name) {
			continue
		}
		current, had := u.Extra[name]
		if had && sameJSON(current, v) {
			continue
		}
		if had && !isEmptyValue(current) && containsFold(immutable, name) {
			continue
		}
		if newExtra == nil {
			newExtra = cloneMap(u.Extra)
		}
		newExtra[name] = v
	}
	if newExtra != nil {
		u.Extra = newExtra
		changed = true
	}
	if !changed {
		return Continue, nil
	}
	if err := s.Users.UpdateUser(ctx, &u); err != nil {
		return Continue, fmt.Errorf("user_details: %w", err)
	}
	s.User = &u
	return Continue, nil
}
