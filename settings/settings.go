// Package settings reads socialauth's configuration with python-social-auth's
// names and lookup order.
//
// A setting NAME asked for backend "google-oauth2" is looked up as
//
//	SOCIAL_AUTH_GOOGLE_OAUTH2_NAME → SOCIAL_AUTH_NAME → NAME
//
// and the first one present wins. Values come from explicit sources only: a Go
// map ([Map]), the process environment ([FromEnv]) or a JSON file
// ([FromJSONFile]); nothing is read implicitly. In the environment, where
// every value is a string, lists and dictionaries are written as JSON; lists
// may also be written comma-separated.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Prefix starts every socialauth setting name.
const Prefix = "SOCIAL_AUTH_"

// A Source yields raw setting values by their full name
// (e.g. "SOCIAL_AUTH_GITHUB_KEY").
type Source interface {
	Lookup(name string) (value any, ok bool)
}

// Map is a [Source] over Go values. Values may be strings, bools, numbers,
// slices, maps or any value that encodes to JSON.
type Map map[string]any

// Lookup implements [Source].
func (m Map) Lookup(name string) (any, bool) {
	v, ok := m[name]
	return v, ok
}

// Env is a [Source] over environment variables. It answers for
// SOCIAL_AUTH_* names and, of the un-prefixed names of the lookup order,
// only for the framework-wide globals python-social-auth falls back to
// ([EnvGlobals]): a stray KEY, SECRET or API_URL variable in a process's
// environment is never taken as a socialauth setting.
type Env map[string]string

// Lookup implements [Source].
func (e Env) Lookup(name string) (any, bool) {
	if !strings.HasPrefix(name, Prefix) && !isEnvGlobal(name) {
		return nil, false
	}
	v, ok := e[name]
	return v, ok
}

// EnvGlobals returns the un-prefixed names an [Env] source answers for.
func EnvGlobals() []string {
	return []string{"AUTHENTICATION_BACKENDS", "LOGIN_URL", "LOGIN_REDIRECT_URL", "LOGIN_ERROR_URL",
		"RAISE_EXCEPTIONS", "FIELDS_STORED_IN_SESSION"}
}

func isEnvGlobal(name string) bool { return slices.Contains(EnvGlobals(), name) }

// FromEnv returns a [Source] over a snapshot of the process environment;
// see [Env] for the names it answers for.
func FromEnv() Env { return FromEnviron(os.Environ()) }

// FromEnviron is [FromEnv] over an explicit list of "NAME=value" pairs.
func FromEnviron(environ []string) Env {
	env := Env{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		env[name] = value
	}
	return env
}

// FromJSONFile reads a JSON object of settings from path.
func FromJSONFile(path string) (Map, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	m := Map{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("settings: %s: %w", path, err)
	}
	return m, nil
}

// Chain is a [Source] that asks each source in turn; the first that has a
// name wins. Use it to let the environment override a file, for example.
type Chain []Source

// Lookup implements [Source].
func (c Chain) Lookup(name string) (any, bool) {
	for _, s := range c {
		if s == nil {
			continue
		}
		if v, ok := s.Lookup(name); ok {
			return v, true
		}
	}
	return nil, false
}

// Settings looks setting names up in a source with python-social-auth's
// order. The zero value has no settings. Settings is safe for concurrent use
// as long as its source is.
type Settings struct {
	src Source
}

// New returns Settings reading from the given sources, the first having
// priority.
func New(sources ...Source) *Settings {
	if len(sources) == 1 {
		return &Settings{src: sources[0]}
	}
	return &Settings{src: Chain(sources)}
}

// BackendPrefix returns the setting-name form of a backend name: upper case,
// with "-" and "." replaced by "_" ("google-oauth2" → "GOOGLE_OAUTH2").
func BackendPrefix(backend string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(backend))
}

// Names returns the names tried, in order, for a setting of a backend. With
// an empty backend only the global names are tried.
func Names(backend, name string) []string {
	names := make([]string, 0, 3)
	if backend != "" {
		names = append(names, Prefix+BackendPrefix(backend)+"_"+name)
	}
	return append(names, Prefix+name, name)
}

// Lookup returns the raw value of a setting for a backend, and the full name
// it was found under.
func (s *Settings) Lookup(backend, name string) (value any, foundAs string, ok bool) {
	if s == nil || s.src == nil {
		return nil, "", false
	}
	for _, n := range Names(backend, name) {
		if v, ok := s.src.Lookup(n); ok {
			return v, n, true
		}
	}
	return nil, "", false
}

// Has reports whether a setting is present for a backend.
func (s *Settings) Has(backend, name string) bool {
	_, _, ok := s.Lookup(backend, name)
	return ok
}

// A ValueError reports a setting whose value has the wrong type.
type ValueError struct {
	Name string // the full name the value was found under
	Want string // "bool", "int", "list", …
	Err  error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("setting %s: want %s: %v", e.Name, e.Want, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// StringE returns a string setting, or def when absent.
func (s *Settings) StringE(backend, name, def string) (string, error) {
	v, n, ok := s.Lookup(backend, name)
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case fmt.Stringer:
		return x.String(), nil
	case bool, int, int64, float64:
		return fmt.Sprint(x), nil
	}
	return def, &ValueError{Name: n, Want: "string", Err: fmt.Errorf("got %T", v)}
}

// BoolE returns a boolean setting, or def when absent. Strings accept the
// forms of [strconv.ParseBool] plus "yes"/"no"/"on"/"off" and "" (false).
func (s *Settings) BoolE(backend, name string, def bool) (bool, error) {
	v, n, ok := s.Lookup(backend, name)
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "", "0", "f", "false", "no", "off", "none":
			return false, nil
		case "1", "t", "true", "yes", "on":
			return true, nil
		}
		return def, &ValueError{Name: n, Want: "bool", Err: fmt.Errorf("cannot parse %q", x)}
	case int:
		return x != 0, nil
	}
	return def, &ValueError{Name: n, Want: "bool", Err: fmt.Errorf("got %T", v)}
}

// IntE returns an integer setting, or def when absent.
func (s *Settings) IntE(backend, name string, def int) (int, error) {
	v, n, ok := s.Lookup(backend, name)
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case json.Number:
		i, err := x.Int64()
		if err == nil {
			return int(i), nil
		}
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(x))
		if err == nil {
			return i, nil
		}
		return def, &ValueError{Name: n, Want: "int", Err: err}
	}
	return def, &ValueError{Name: n, Want: "int", Err: fmt.Errorf("got %v (%T)", v, v)}
}

// SecondsE returns a duration written in seconds (python-social-auth's
// convention, e.g. URLOPEN_TIMEOUT), or def when absent. A
// [time.Duration] value or a Go duration string ("1m30s") is accepted too.
func (s *Settings) SecondsE(backend, name string, def time.Duration) (time.Duration, error) {
	v, n, ok := s.Lookup(backend, name)
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case time.Duration:
		return x, nil
	case int:
		return time.Duration(x) * time.Second, nil
	case float64:
		return time.Duration(x * float64(time.Second)), nil
	case string:
		x = strings.TrimSpace(x)
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return time.Duration(f * float64(time.Second)), nil
		}
		if d, err := time.ParseDuration(x); err == nil {
			return d, nil
		}
	}
	return def, &ValueError{Name: n, Want: "seconds", Err: fmt.Errorf("cannot parse %v", v)}
}

// StringsE returns a list-of-strings setting, or def when absent. A string
// value is parsed as a JSON array when it starts with "[", otherwise split on
// commas (blank items dropped).
func (s *Settings) StringsE(backend, name string, def []string) ([]string, error) {
	v, n, ok := s.Lookup(backend, name)
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case []string:
		return slices.Clone(x), nil
	case string:
		x = strings.TrimSpace(x)
		if strings.HasPrefix(x, "[") {
			var out []string
			if err := json.Unmarshal([]byte(x), &out); err != nil {
				return def, &ValueError{Name: n, Want: "list of strings", Err: err}
			}
			return out, nil
		}
		var out []string
		for item := range strings.SplitSeq(x, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
		return out, nil
	}
	var out []string
	if err := decodeValue(v, &out); err != nil {
		return def, &ValueError{Name: n, Want: "list of strings", Err: err}
	}
	return out, nil
}

// StringMapE returns a dictionary of strings (e.g. AUTH_EXTRA_ARGUMENTS), or
// nil when absent. A string value must be a JSON object.
func (s *Settings) StringMapE(backend, name string) (map[string]string, error) {
	v, n, ok := s.Lookup(backend, name)
	if !ok || v == nil {
		return nil, nil
	}
	if m, ok := v.(map[string]string); ok {
		return maps.Clone(m), nil
	}
	var raw map[string]any
	if err := decodeValue(v, &raw); err != nil {
		return nil, &ValueError{Name: n, Want: "dictionary", Err: err}
	}
	out := make(map[string]string, len(raw))
	for k, val := range raw {
		switch x := val.(type) {
		case string:
			out[k] = x
		case nil:
			out[k] = ""
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out, nil
}

// Decode decodes a setting into dst through JSON: Go values are encoded
// then decoded, string values are parsed as JSON. It reports whether the
// setting was present.
func (s *Settings) Decode(backend, name string, dst any) (bool, error) {
	v, n, ok := s.Lookup(backend, name)
	if !ok || v == nil {
		return false, nil
	}
	if err := decodeValue(v, dst); err != nil {
		return true, &ValueError{Name: n, Want: fmt.Sprintf("%T", dst), Err: err}
	}
	return true, nil
}

func decodeValue(v any, dst any) error {
	var data []byte
	if str, ok := v.(string); ok {
		data = []byte(str)
	} else {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(data, dst); err != nil {
		return errors.Join(errors.New("not valid JSON of the expected shape"), err)
	}
	return nil
}

// String is [Settings.StringE] that falls back to def on a malformed value.
// socialauth.New reports malformed values of the settings it knows.
func (s *Settings) String(backend, name, def string) string {
	v, _ := s.StringE(backend, name, def)
	return v
}

// Bool is [Settings.BoolE] that falls back to def on a malformed value.
func (s *Settings) Bool(backend, name string, def bool) bool {
	v, err := s.BoolE(backend, name, def)
	if err != nil {
		return def
	}
	return v
}

// Int is [Settings.IntE] that falls back to def on a malformed value.
func (s *Settings) Int(backend, name string, def int) int {
	v, err := s.IntE(backend, name, def)
	if err != nil {
		return def
	}
	return v
}

// Seconds is [Settings.SecondsE] that falls back to def on a malformed value.
func (s *Settings) Seconds(backend, name string, def time.Duration) time.Duration {
	v, err := s.SecondsE(backend, name, def)
	if err != nil {
		return def
	}
	return v
}

// Strings is [Settings.StringsE] that falls back to def on a malformed value.
func (s *Settings) Strings(backend, name string, def []string) []string {
	v, err := s.StringsE(backend, name, def)
	if err != nil {
		return def
	}
	return v
}

// StringMap is [Settings.StringMapE] that gives nil on a malformed value.
func (s *Settings) StringMap(backend, name string) map[string]string {
	v, _ := s.StringMapE(backend, name)
	return v
}

// Backend is a view of Settings for one backend: every lookup starts with
// that backend's names.
type Backend struct {
	s    *Settings
	name string
}

// For returns the view of s for a backend.
func (s *Settings) For(backend string) Backend { return Backend{s: s, name: backend} }

// Name is the backend's name.
func (b Backend) Name() string { return b.name }

// Settings returns the whole settings the view reads.
func (b Backend) Settings() *Settings { return b.s }

// Has reports whether the setting is present.
func (b Backend) Has(name string) bool { return b.s.Has(b.name, name) }

// String returns a string setting or def.
func (b Backend) String(name, def string) string { return b.s.String(b.name, name, def) }

// Bool returns a boolean setting or def.
func (b Backend) Bool(name string, def bool) bool { return b.s.Bool(b.name, name, def) }

// Int returns an integer setting or def.
func (b Backend) Int(name string, def int) int { return b.s.Int(b.name, name, def) }

// Seconds returns a duration in seconds or def.
func (b Backend) Seconds(name string, def time.Duration) time.Duration {
	return b.s.Seconds(b.name, name, def)
}

// Strings returns a list setting or def.
func (b Backend) Strings(name string, def []string) []string {
	return b.s.Strings(b.name, name, def)
}

// StringMap returns a dictionary setting or nil.
func (b Backend) StringMap(name string) map[string]string { return b.s.StringMap(b.name, name) }

// Decode decodes a setting into dst; see [Settings.Decode].
func (b Backend) Decode(name string, dst any) (bool, error) { return b.s.Decode(b.name, name, dst) }
