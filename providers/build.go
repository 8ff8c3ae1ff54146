package providers

import (
	"errors"
	"fmt"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
)

// buildWith builds the backend of a catalogue entry named name: it
// describes the provider from the settings with describe and hands it to
// the protocol's newBackend. When describing fails (provider-specific
// settings are missing), the key and secret are checked too, so that
// every missing setting is reported at once.
func buildWith[P any](cfg backend.Config, name string, describe func(backend.Config) (P, error),
	newBackend func(backend.Config, P) (backend.Backend, error)) (backend.Backend, error) {
	if cfg.Name == "" {
		cfg.Name = name
	}
	p, err := describe(cfg)
	if err != nil {
		return nil, describeError(cfg, err, "KEY", "SECRET")
	}
	return newBackend(cfg, p)
}

// describeError reports err, the failure to describe the provider of the
// backend cfg builds, together with the problems of the settings keys
// (missing or blank).
func describeError(cfg backend.Config, err error, keys ...string) error {
	errs := []error{err}
	for _, name := range keys {
		if _, kerr := oauth2.RequireString(cfg, name); kerr != nil {
			errs = append(errs, kerr)
		}
	}
	return fmt.Errorf("providers: backend %s: %w", cfg.Name, errors.Join(errs...))
}
