package sqlstore

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/socialauth/socialauth/settings"
)

// Default field lengths, in characters; they match python-social-auth's.
const (
	DefaultUIDLength                  = 255
	DefaultNonceServerURLLength       = 255
	DefaultAssociationServerURLLength = 255
	DefaultAssociationHandleLength    = 255
	DefaultUsernameMaxLength          = 150
)

// Fixed field lengths, in characters.
const (
	// ProviderLength is the longest backend name an association can have.
	ProviderLength = 32
	// SaltLength is the longest OpenID nonce salt.
	SaltLength = 40
	// AssocTypeLength is the longest OpenID association type.
	AssocTypeLength = 64
)

// Options configure a Store. The zero value means python-social-auth's
// defaults and socialauth's own users table.
type Options struct {
	// UIDLength is the longest provider account id (SOCIAL_AUTH_UID_LENGTH,
	// default 255; 223 suits MySQL InnoDB's index limit).
	UIDLength int
	// NonceServerURLLength is the longest OpenID server URL of a nonce
	// (SOCIAL_AUTH_NONCE_SERVER_URL_LENGTH, default 255).
	NonceServerURLLength int
	// AssociationServerURLLength is the longest OpenID server URL of an
	// association (SOCIAL_AUTH_ASSOCIATION_SERVER_URL_LENGTH, default 255).
	AssociationServerURLLength int
	// AssociationHandleLength is the longest OpenID association handle
	// (SOCIAL_AUTH_ASSOCIATION_HANDLE_LENGTH, default 255).
	AssociationHandleLength int
	// UsernameMaxLength is the longest username (default 150).
	UsernameMaxLength int
	// ExternalUsers says the application keeps its own users (its own
	// store.UserStore): association user IDs are then free-form text with
	// no foreign key to socialauth_users.
	ExternalUsers bool
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// OptionsFromSettings reads the field-length settings of python-social-auth
// (SOCIAL_AUTH_UID_LENGTH, SOCIAL_AUTH_NONCE_SERVER_URL_LENGTH,
// SOCIAL_AUTH_ASSOCIATION_SERVER_URL_LENGTH,
// SOCIAL_AUTH_ASSOCIATION_HANDLE_LENGTH) into Options; absent settings keep
// their defaults.
func OptionsFromSettings(s *settings.Settings) (Options, error) {
	var opts Options
	fields := []struct {
		name string
		dst  *int
		def  int
	}{
		{"UID_LENGTH", &opts.UIDLength, DefaultUIDLength},
		{"NONCE_SERVER_URL_LENGTH", &opts.NonceServerURLLength, DefaultNonceServerURLLength},
		{"ASSOCIATION_SERVER_URL_LENGTH", &opts.AssociationServerURLLength, DefaultAssociationServerURLLength},
		{"ASSOCIATION_HANDLE_LENGTH", &opts.AssociationHandleLength, DefaultAssociationHandleLength},
	}
	for _, f := range fields {
		v, err := s.IntE("", f.name, f.def)
		if err != nil {
			return Options{}, fmt.Errorf("sqlstore: %w", err)
		}
		if v <= 0 {
			return Options{}, fmt.Errorf("sqlstore: setting %s must be positive, got %d", f.name, v)
		}
		*f.dst = v
	}
	return opts, nil
}

// withDefaults returns opts with zero lengths replaced by the defaults, or
// an error for a negative length.
func (opts Options) withDefaults() (Options, error) {
	fields := []struct {
		name string
		v    *int
		def  int
	}{
		{"UIDLength", &opts.UIDLength, DefaultUIDLength},
		{"NonceServerURLLength", &opts.NonceServerURLLength, DefaultNonceServerURLLength},
		{"AssociationServerURLLength", &opts.AssociationServerURLLength, DefaultAssociationServerURLLength},
		{"AssociationHandleLength", &opts.AssociationHandleLength, DefaultAssociationHandleLength},
		{"UsernameMaxLength", &opts.UsernameMaxLength, DefaultUsernameMaxLength},
	}
	for _, f := range fields {
		switch {
		case *f.v < 0:
			return opts, fmt.Errorf("sqlstore: Options.%s is negative (%d)", f.name, *f.v)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts, nil
}

// FieldTooLongError reports a value longer than its column allows. Nothing
// was stored.
type FieldTooLongError struct {
	Table  string // e.g. "socialauth_associations"
	Column string // e.g. "uid"
	Length int    // characters in the value
	Max    int    // characters allowed
}

// Error names the column and both lengths.
func (e *FieldTooLongError) Error() string {
	return fmt.Sprintf("sqlstore: %s.%s is %d characters long, at most %d allowed", e.Table, e.Column, e.Length, e.Max)
}

// checkLength returns a *FieldTooLongError when value has more than max
// characters.
func checkLength(table, column, value string, max int) error {
	if n := utf8.RuneCountInString(value); n > max {
		return &FieldTooLongError{Table: table, Column: column, Length: n, Max: max}
	}
	return nil
}
