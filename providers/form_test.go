package providers

import (
	"slices"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/settings"
)

// checkFormSpec checks a form backend of the catalogue: no key needed,
// buildable without settings, found by its python-social-auth class path.
func checkFormSpec(t *testing.T, spec backend.Spec) {
	t.Helper()
	if spec.NeedsKey || spec.Title == "" || spec.Build == nil || len(spec.Aliases) != 2 {
		t.Errorf("form spec %+v", spec)
	}
	for _, alias := range spec.Aliases {
		if got, ok := Lookup(alias); !ok || got.Name != spec.Name {
			t.Errorf("Lookup(%q) = %q, %v", alias, got.Name, ok)
		}
	}
	b, err := spec.Build(testConfig(spec.Name, settings.Map{}))
	if err != nil {
		t.Fatalf("Build without settings: %v", err)
	}
	if b.Name() != spec.Name {
		t.Errorf("Name() = %q", b.Name())
	}
}

func TestFormBackendsInCatalogue(t *testing.T) {
	names := map[string]string{
		"email":    "social_core.backends.email.EmailAuth",
		"username": "social_core.backends.username.UsernameAuth",
	}
	for name, python := range names {
		i := slices.IndexFunc(Catalogue(), func(s backend.Spec) bool { return s.Name == name })
		if i < 0 {
			t.Fatalf("%s is not in the catalogue", name)
		}
		spec, ok := Lookup(python)
		if !ok || spec.Name != name || spec.Protocol != "form" {
			t.Errorf("Lookup(%q) = %+v, %v", python, spec, ok)
		}
		old := "social." + python[len("social_core."):]
		if spec, ok := Lookup(old); !ok || spec.Name != name {
			t.Errorf("Lookup(%q) = %q, %v", old, spec.Name, ok)
		}
		checkFormSpec(t, spec)
	}
}
