package main

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedModules may be linked into a binary that uses socialauth with
// sqlstore and the pure-Go SQLite driver: socialauth's own modules, the
// two dependencies the core module may have, and the driver with its own.
var allowedModules = []string{
	"github.com/socialauth/socialauth",
	"github.com/socialauth/socialauth/sqlstore",
	"github.com/socialauth/socialauth/examples",
	"golang.org/x/oauth2",
	"github.com/go-jose/go-jose/v4",
	"modernc.org/*",
	"golang.org/x/sys",
	"github.com/google/uuid",
	"github.com/dustin/go-humanize",
	"github.com/mattn/go-isatty",
	"github.com/ncruces/go-strftime",
	"github.com/remyoudompheng/bigfft",
}

// binaryDeps lists the packages linked into the binary built from dir and
// the module of each ("" for the standard library). It runs the go
// command offline, with the module cache and go.sum as they are.
func binaryDeps(t *testing.T, dir string) map[string]string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the dependencies: %v", err)
	}
	cmd := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}} {{with .Module}}{{.Path}}{{end}}", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps in %s: %v\n%s", dir, err, stderr.String())
	}
	deps := map[string]string{}
	for line := range strings.Lines(string(out)) {
		pkg, mod, _ := strings.Cut(strings.TrimSpace(line), " ")
		deps[pkg] = mod
	}
	return deps
}

func moduleAllowed(mod string, allowed []string) bool {
	for _, a := range allowed {
		if prefix, ok := strings.CutSuffix(a, "/*"); ok && strings.HasPrefix(mod, prefix+"/") {
			return true
		}
		if mod == a {
			return true
		}
	}
	return false
}

// TestDependencyAllowList keeps routers, assertion libraries and anything
// else unexpected out of a plain net/http binary using socialauth, and
// checks that each router example links its own router and no other.
// Test-only packages (socialtest, the shared test suite) must not leak
// into any binary either.
func TestDependencyAllowList(t *testing.T) {
	tests := []struct {
		name      string
		dir       string
		extra     []string // modules this example may link besides allowedModules
		mustLink  []string // modules it must link
		forbidden []string // module prefixes it must not link
	}{
		{
			name:      "nethttp",
			dir:       ".",
			mustLink:  []string{"github.com/socialauth/socialauth", "github.com/socialauth/socialauth/sqlstore", "modernc.org/sqlite"},
			forbidden: []string{"github.com/go-chi/", "github.com/gorilla/", "github.com/stretchr/testify"},
		},
		{
			name:      "chi",
			dir:       "../chi",
			extra:     []string{"github.com/go-chi/chi/v5"},
			mustLink:  []string{"github.com/go-chi/chi/v5", "github.com/socialauth/socialauth/sqlstore"},
			forbidden: []string{"github.com/gorilla/", "github.com/stretchr/testify"},
		},
		{
			name:      "gorillamux",
			dir:       "../gorillamux",
			extra:     []string{"github.com/gorilla/mux"},
			mustLink:  []string{"github.com/gorilla/mux", "github.com/socialauth/socialauth/sqlstore"},
			forbidden: []string{"github.com/go-chi/", "github.com/stretchr/testify"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps := binaryDeps(t, tt.dir)
			allowed := slices.Concat(allowedModules, tt.extra)
			linked := map[string]bool{}
			for pkg, mod := range deps {
				if mod == "" {
					continue // the standard library
				}
				linked[mod] = true
				for _, f := range tt.forbidden {
					if strings.HasPrefix(mod, f) {
						t.Errorf("package %s of forbidden module %s is linked", pkg, mod)
					}
				}
				if !moduleAllowed(mod, allowed) {
					t.Errorf("package %s of module %s is linked; it is not on the allow-list", pkg, mod)
				}
			}
			for _, m := range tt.mustLink {
				if !linked[m] {
					t.Errorf("module %s is not linked; the dependency listing looks wrong", m)
				}
			}
			for _, pkg := range []string{"testing", "net/http/httptest",
				"github.com/socialauth/socialauth/socialtest", "github.com/socialauth/socialauth/examples/internal/flowtest"} {
				if _, ok := deps[pkg]; ok {
					t.Errorf("test-only package %s is linked into the binary", pkg)
				}
			}
		})
	}
}
