package provider

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialerr"
)

// ExtraField is one EXTRA_DATA entry. Its fields are those of the
// protocol packages' extra fields: the value at Name (a dotted path) is
// stored under Alias (Name when empty); with Discard, an empty value is
// left out and never replaces a stored one.
type ExtraField struct {
	Name    string
	Alias   string
	Discard bool
}

// ExtraData reads the EXTRA_DATA setting: a list whose items are a name,
// or a [name, alias] or [name, alias, discard] list, or a comma-separated
// list of names. It returns def when the setting is not set.
func (r *Reader) ExtraData(def []ExtraField) []ExtraField {
	const setting = "EXTRA_DATA"
	var raw []any
	ok, err := r.set.Decode(r.name, setting, &raw)
	if err != nil {
		// A comma-separated environment value is a list of names.
		if v, serr := r.set.StringE(r.name, setting, ""); serr == nil && !strings.HasPrefix(strings.TrimSpace(v), "[") {
			var out []ExtraField
			for _, n := range r.Strs(setting, nil) {
				out = append(out, ExtraField{Name: n, Alias: n})
			}
			return out
		}
		r.Add(err)
		return def
	}
	if !ok {
		return def
	}
	out := make([]ExtraField, 0, len(raw))
	bad := func(i int, why string) { r.Invalid(setting, fmt.Errorf("item %d: %s", i, why)) }
	for i, item := range raw {
		switch x := item.(type) {
		case string:
			if x == "" {
				bad(i, "empty name")
				continue
			}
			out = append(out, ExtraField{Name: x, Alias: x})
		case []any:
			if len(x) < 1 || len(x) > 3 {
				bad(i, "want [name], [name, alias] or [name, alias, discard]")
				continue
			}
			var f ExtraField
			name, ok := x[0].(string)
			if !ok || name == "" {
				bad(i, "name must be a non-empty string")
				continue
			}
			f.Name, f.Alias = name, name
			if len(x) >= 2 {
				alias, ok := x[1].(string)
				if !ok {
					bad(i, "alias must be a string")
					continue
				}
				if alias != "" {
					f.Alias = alias
				}
			}
			if len(x) == 3 {
				discard, ok := x[2].(bool)
				if !ok {
					bad(i, "discard flag must be a boolean")
					continue
				}
				f.Discard = discard
			}
			out = append(out, f)
		default:
			bad(i, fmt.Sprintf("want a name or a list, got %T", item))
		}
	}
	return out
}

// LoadExtraData adds each field's value to data: the value at the field's
// path in the user data resp, else in the token reply raw when that one
// is missing or empty. It returns the aliases of the Discard fields,
// whose stored values an empty one never replaces (nil when there are
// none); an empty value of such a field is left out.
func LoadExtraData(data map[string]any, fields []ExtraField, resp, raw map[string]any) map[string]bool {
	var keep map[string]bool
	for _, f := range fields {
		alias := f.Alias
		if alias == "" {
			alias = f.Name
		}
		v, ok := Lookup(resp, f.Name)
		if !ok || Empty(v) {
			if tv, found := Lookup(raw, f.Name); found {
				v = tv
			}
		}
		if f.Discard {
			if keep == nil {
				keep = map[string]bool{}
			}
			keep[alias] = true
			if Empty(v) {
				continue
			}
		}
		data[alias] = v
	}
	return keep
}

// Empty is python's falsiness for the JSON values extra data holds: nil,
// "", false, zero, and empty objects and arrays.
func Empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return String(v) == "0"
}

// Lookup returns the value at a dotted path in decoded JSON
// ("user.emails.0.address"); numeric segments index arrays. An empty path
// or [Unmapped] finds nothing.
func Lookup(data map[string]any, path string) (any, bool) {
	if path == "" || path == Unmapped || data == nil {
		return nil, false
	}
	if v, ok := data[path]; ok { // a key that itself contains dots
		return v, true
	}
	var cur any = data
	for seg := range strings.SplitSeq(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// String formats a JSON scalar as text: strings as they are, numbers
// without exponent or needless decimals, booleans as true/false; anything
// else (objects, arrays, null) is "".
func String(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return formatNumber(x)
	case float64:
		return formatNumber(json.Number(strconv.FormatFloat(x, 'g', -1, 64)))
	case float32:
		return String(float64(x))
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func formatNumber(n json.Number) string {
	if i, err := n.Int64(); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, _, err := big.ParseFloat(string(n), 10, 256, big.ToNearestEven)
	if err != nil {
		return string(n)
	}
	if f.IsInt() {
		return f.Text('f', 0)
	}
	return f.Text('f', -1)
}

// extraFieldOf is the type set of the protocol packages' extra field
// types, all convertible to and from [ExtraField].
type extraFieldOf interface {
	~struct {
		Name    string
		Alias   string
		Discard bool
	}
}

// ConvertFields converts a list of extra fields between the protocol
// packages' types and [ExtraField]. It returns nil for nil.
func ConvertFields[To, From extraFieldOf](fields []From) []To {
	if fields == nil {
		return nil
	}
	out := make([]To, len(fields))
	for i, f := range fields {
		out[i] = To(f)
	}
	return out
}

// UID returns the user's id for backendName: hook's answer when hook is
// not nil, else the user data's value at idKey, trimmed. A missing or
// empty id is AuthUnknownError.
func UID(backendName, idKey string, resp map[string]any, d backend.Details,
	hook func(map[string]any, backend.Details) (string, error)) (string, error) {
	if hook != nil {
		uid, err := hook(resp, d)
		if err != nil {
			return "", err
		}
		if uid == "" {
			return "", socialerr.New(socialerr.AuthUnknownError, backendName, "the provider gave no user id")
		}
		return uid, nil
	}
	v, ok := Lookup(resp, idKey)
	uid := strings.TrimSpace(String(v))
	if !ok || uid == "" {
		return "", socialerr.Wrap(socialerr.AuthUnknownError, backendName,
			fmt.Errorf("no usable %q in the user data", idKey), "the provider gave no user id")
	}
	return uid, nil
}

// NewIdentity assembles the Identity of a login from its user data resp
// (nil means none), its details already mapped from resp, and the
// protocol's extra data; the uid comes from [UID].
func NewIdentity(backendName, idKey string, resp map[string]any, d backend.Details,
	uidHook func(map[string]any, backend.Details) (string, error),
	tok *backend.Token, extra map[string]any, keep map[string]bool) (*backend.Identity, error) {
	uid, err := UID(backendName, idKey, resp, d, uidHook)
	if err != nil {
		return nil, err
	}
	return &backend.Identity{UID: uid, Details: d, Response: resp, Token: tok, ExtraData: extra, KeepOldIfEmpty: keep}, nil
}
