package form

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/socialauth/socialauth/pipeline"
)

// Limits on posted values.
const (
	// MaxEmailLength is the longest email address accepted, in bytes
	// (RFC 5321's path limit less the angle brackets).
	MaxEmailLength = 254
	// maxLocalPart is RFC 5321's limit on the part before "@".
	maxLocalPart = 64
	// MaxUsernameLength is the longest username accepted, in characters
	// (the default user store's limit).
	MaxUsernameLength = 150
	// maxNameLength bounds first_name, last_name and fullname.
	maxNameLength = 150
)

// ErrInvalidEmail is matched by the error of [NormalizeEmail].
var ErrInvalidEmail = errors.New("form: invalid email address")

// ErrInvalidUsername is matched by the error of [NormalizeUsername].
var ErrInvalidUsername = errors.New("form: invalid username")

// errInvalidName is matched by the error of normalizeName.
var errInvalidName = errors.New("form: invalid name")

// NormalizeEmail checks a typed email address and returns it trimmed, with
// its domain lower-cased. It must be one bare address (no display name, no
// comment, no domain literal) that net/mail parses back to itself, with
// no control or invisible formatting characters, at most MaxEmailLength
// bytes long and a local part of at most 64 bytes.
func NormalizeEmail(raw string) (string, error) {
	v := strings.TrimSpace(raw)
	switch {
	case v == "":
		return "", fmt.Errorf("%w: empty", ErrInvalidEmail)
	case len(v) > MaxEmailLength:
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidEmail, MaxEmailLength)
	case !utf8.ValidString(v) || hasInvisible(v):
		return "", fmt.Errorf("%w: control or invisible characters", ErrInvalidEmail)
	}
	addr, err := mail.ParseAddress(v)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidEmail, err)
	}
	if addr.Name != "" || addr.Address != v {
		return "", fmt.Errorf("%w: not a bare address", ErrInvalidEmail)
	}
	at := strings.LastIndexByte(v, '@')
	local, domain := v[:at], v[at+1:]
	switch {
	case len(local) > maxLocalPart:
		return "", fmt.Errorf("%w: local part longer than %d bytes", ErrInvalidEmail, maxLocalPart)
	case domain == "" || strings.HasPrefix(domain, "["):
		return "", fmt.Errorf("%w: no domain name", ErrInvalidEmail)
	}
	return local + "@" + strings.ToLower(domain), nil
}

// NormalizeUsername checks a typed username and returns it trimmed. It
// must be made only of what the CLEAN_USERNAMES rule keeps
// ([pipeline.CleanUsername]: letters, digits and . @ + - _) and be at most
// MaxUsernameLength characters long.
func NormalizeUsername(raw string) (string, error) {
	v := strings.TrimSpace(raw)
	switch {
	case v == "":
		return "", fmt.Errorf("%w: empty", ErrInvalidUsername)
	case utf8.RuneCountInString(v) > MaxUsernameLength:
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidUsername, MaxUsernameLength)
	case !utf8.ValidString(v) || pipeline.CleanUsername(v) != v:
		return "", fmt.Errorf("%w: only letters, digits and . @ + - _ are allowed", ErrInvalidUsername)
	}
	return v, nil
}

// normalizeName checks a first, last or full name.
func normalizeName(raw string) (string, error) {
	v := strings.TrimSpace(raw)
	switch {
	case !utf8.ValidString(v) || hasInvisible(v):
		return "", fmt.Errorf("%w: control or invisible characters", errInvalidName)
	case utf8.RuneCountInString(v) > maxNameLength:
		return "", fmt.Errorf("%w: longer than %d characters", errInvalidName, maxNameLength)
	}
	return v, nil
}

// hasInvisible reports whether v has control or formatting characters
// (zero-width and direction marks among them).
func hasInvisible(v string) bool {
	return strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) })
}
