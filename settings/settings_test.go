package settings_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/socialauth/socialauth/settings"
)

func TestLookupOrder(t *testing.T) {
	s := settings.New(settings.Map{
		"SOCIAL_AUTH_TWITTER_LOGIN_URL": "/twitter-login/",
		"SOCIAL_AUTH_LOGIN_URL":         "/app-login/",
		"LOGIN_URL":                     "/global-login/",
		"LOGIN_ERROR_URL":               "/global-error/",
	})
	cases := []struct{ backend, name, want, foundAs string }{
		{"twitter", "LOGIN_URL", "/twitter-login/", "SOCIAL_AUTH_TWITTER_LOGIN_URL"},
		{"github", "LOGIN_URL", "/app-login/", "SOCIAL_AUTH_LOGIN_URL"},
		{"", "LOGIN_URL", "/app-login/", "SOCIAL_AUTH_LOGIN_URL"},
		{"github", "LOGIN_ERROR_URL", "/global-error/", "LOGIN_ERROR_URL"},
	}
	for _, c := range cases {
		v, foundAs, ok := s.Lookup(c.backend, c.name)
		if !ok || v != c.want || foundAs != c.foundAs {
			t.Errorf("Lookup(%q, %q) = %v, %q, %v; want %q from %q", c.backend, c.name, v, foundAs, ok, c.want, c.foundAs)
		}
	}
	if s.Has("github", "MISSING") {
		t.Error("Has reported a missing setting")
	}
}

func TestBackendPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"google-oauth2":   "GOOGLE_OAUTH2",
		"facebook":        "FACEBOOK",
		"facebook-custom": "FACEBOOK_CUSTOM",
		"github-org":      "GITHUB_ORG",
	} {
		if got := settings.BackendPrefix(in); got != want {
			t.Errorf("BackendPrefix(%q) = %q, want %q", in, got, want)
		}
	}
	if got := settings.Names("google-oauth2", "KEY"); !reflect.DeepEqual(got, []string{"SOCIAL_AUTH_GOOGLE_OAUTH2_KEY", "SOCIAL_AUTH_KEY", "KEY"}) {
		t.Errorf("Names = %v", got)
	}
}

func TestEnvironmentValues(t *testing.T) {
	s := settings.New(settings.FromEnviron([]string{
		"SOCIAL_AUTH_AUTHENTICATION_BACKENDS=github, google-oauth2 ,,facebook",
		`SOCIAL_AUTH_WHITELISTED_DOMAINS=["example.com","example.org"]`,
		`SOCIAL_AUTH_GITHUB_AUTH_EXTRA_ARGUMENTS={"display":"touch","n":2}`,
		"SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL=true",
		"SOCIAL_AUTH_UUID_LENGTH=8",
		"SOCIAL_AUTH_URLOPEN_TIMEOUT=2.5",
		"SOCIAL_AUTH_SESSION_EXPIRATION=off",
		`SOCIAL_AUTH_GITHUB_EXTRA_DATA=[["id","id"],["expires","expires",true]]`,
		"NOT_AN_ASSIGNMENT",
	}))
	if got := s.Strings("", "AUTHENTICATION_BACKENDS", nil); !reflect.DeepEqual(got, []string{"github", "google-oauth2", "facebook"}) {
		t.Errorf("comma list = %q", got)
	}
	if got := s.Strings("github", "WHITELISTED_DOMAINS", nil); !reflect.DeepEqual(got, []string{"example.com", "example.org"}) {
		t.Errorf("JSON list = %q", got)
	}
	if got := s.StringMap("github", "AUTH_EXTRA_ARGUMENTS"); !reflect.DeepEqual(got, map[string]string{"display": "touch", "n": "2"}) {
		t.Errorf("JSON dict = %v", got)
	}
	if !s.Bool("", "USERNAME_IS_FULL_EMAIL", false) || s.Bool("", "SESSION_EXPIRATION", true) {
		t.Error("bools not parsed")
	}
	if got := s.Int("", "UUID_LENGTH", 16); got != 8 {
		t.Errorf("int = %d", got)
	}
	if got := s.Seconds("", "URLOPEN_TIMEOUT", 0); got != 2500*time.Millisecond {
		t.Errorf("seconds = %v", got)
	}
	var extra [][]any
	if ok, err := s.Decode("github", "EXTRA_DATA", &extra); !ok || err != nil || len(extra) != 2 || extra[1][2] != true {
		t.Errorf("Decode = %v, %v, %v", extra, ok, err)
	}
}

func TestMalformedValuesAreTypedErrors(t *testing.T) {
	s := settings.New(settings.Map{
		"SOCIAL_AUTH_UUID_LENGTH":          "sixteen",
		"SOCIAL_AUTH_CLEAN_USERNAMES":      "perhaps",
		"SOCIAL_AUTH_WHITELISTED_EMAILS":   "[not json",
		"SOCIAL_AUTH_AUTH_EXTRA_ARGUMENTS": "[1,2]",
		"SOCIAL_AUTH_URLOPEN_TIMEOUT":      "soon",
	})
	checks := map[string]error{}
	_, checks["int"] = s.IntE("", "UUID_LENGTH", 16)
	_, checks["bool"] = s.BoolE("", "CLEAN_USERNAMES", true)
	_, checks["list"] = s.StringsE("", "WHITELISTED_EMAILS", nil)
	_, checks["dict"] = s.StringMapE("", "AUTH_EXTRA_ARGUMENTS")
	_, checks["seconds"] = s.SecondsE("", "URLOPEN_TIMEOUT", 0)
	for what, err := range checks {
		var ve *settings.ValueError
		if !errors.As(err, &ve) || ve.Name == "" {
			t.Errorf("%s: err = %v, want *ValueError naming the setting", what, err)
		}
	}
	// The lenient getters fall back to the default.
	if s.Int("", "UUID_LENGTH", 16) != 16 || !s.Bool("", "CLEAN_USERNAMES", true) {
		t.Error("lenient getters did not fall back to the default")
	}
}

func TestGoValuesAndChain(t *testing.T) {
	first := settings.Map{"SOCIAL_AUTH_GITHUB_SCOPE": []string{"user:email"}, "SOCIAL_AUTH_UUID_LENGTH": 4}
	second := settings.Map{"SOCIAL_AUTH_GITHUB_SCOPE": []string{"ignored"}, "SOCIAL_AUTH_GITHUB_KEY": "k"}
	s := settings.New(first, second)
	b := s.For("github")
	if got := b.Strings("SCOPE", nil); !reflect.DeepEqual(got, []string{"user:email"}) {
		t.Errorf("first source should win, got %v", got)
	}
	if b.String("KEY", "") != "k" || b.Int("UUID_LENGTH", 16) != 4 || b.Name() != "github" {
		t.Error("backend view lookups wrong")
	}
	var zero *settings.Settings
	if zero.Has("", "X") {
		t.Error("nil settings should have nothing")
	}
}

func TestFromJSONFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.json")
	if err := os.WriteFile(path, []byte(`{"SOCIAL_AUTH_GITHUB_KEY":"abc","SOCIAL_AUTH_GITHUB_SCOPE":["read:org"],"SOCIAL_AUTH_RAISE_EXCEPTIONS":true,"SOCIAL_AUTH_UUID_LENGTH":12}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := settings.FromJSONFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := settings.New(m)
	if s.String("github", "KEY", "") != "abc" || !s.Bool("", "RAISE_EXCEPTIONS", false) || s.Int("", "UUID_LENGTH", 0) != 12 {
		t.Error("JSON file values not read")
	}
	if got := s.Strings("github", "SCOPE", nil); !reflect.DeepEqual(got, []string{"read:org"}) {
		t.Errorf("scope = %v", got)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{"), 0o600)
	if _, err := settings.FromJSONFile(bad); err == nil {
		t.Error("malformed JSON file accepted")
	}
	if _, err := settings.FromJSONFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestEnvIgnoresStrayUnprefixedNames(t *testing.T) {
	s := settings.New(settings.FromEnviron([]string{
		"KEY=stray", "SECRET=stray", "API_URL=https://attacker.example/", "LOGIN_URL=/login-page/",
	}))
	if s.Has("github", "KEY") || s.Has("github", "SECRET") || s.Has("github", "API_URL") {
		t.Error("an un-prefixed environment variable was taken as a backend setting")
	}
	if s.String("github", "LOGIN_URL", "") != "/login-page/" {
		t.Error("the LOGIN_URL global fallback is not read from the environment")
	}
	// An explicit Map keeps the full lookup order.
	if !settings.New(settings.Map{"KEY": "x"}).Has("github", "KEY") {
		t.Error("Map source lost the global fallback")
	}
}
