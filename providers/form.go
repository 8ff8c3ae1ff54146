package providers

import (
	"slices"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/form"
)

// formSpecs are the backends for forms, with no provider: "email" and
// "username" (package form).
func formSpecs() []backend.Spec {
	return []backend.Spec{form.Email(), form.Username()}
}

// lookupForm finds a form backend by name or python-social-auth class path.
func lookupForm(name string) (backend.Spec, bool) {
	for _, s := range formSpecs() {
		if s.Name == name || slices.Contains(s.Aliases, name) {
			return s, true
		}
	}
	return backend.Spec{}, false
}
