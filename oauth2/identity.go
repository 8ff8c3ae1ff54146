package oauth2

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialerr"
)

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

// integer reads a whole number from a JSON value (number or numeric
// string).
func integer(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
			return int64(f), true
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return int64(x), true
		}
	case int:
		return int64(x), true
	case int64:
		return x, true
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return i, true
		}
	}
	return 0, false
}

// truthy reads a JSON boolean, also accepting "true" strings (some
// providers send email_verified as a string).
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(strings.TrimSpace(x), "true")
	}
	return false
}

func (b *oauth2Backend) mapDetails(resp map[string]any) backend.Details {
	return mapDetails(resp, b.details, b.hooks.MapDetails)
}

func mapDetails(resp map[string]any, m DetailsMapping, adjust func(map[string]any, *backend.Details)) backend.Details {
	get := func(path string) string {
		v, _ := Lookup(resp, path)
		return strings.TrimSpace(String(v))
	}
	d := backend.Details{
		Username:  get(m.Username),
		Email:     get(m.Email),
		FullName:  get(m.FullName),
		FirstName: get(m.FirstName),
		LastName:  get(m.LastName),
	}
	if v, ok := Lookup(resp, m.EmailVerified); ok {
		d.EmailVerified = truthy(v)
	}
	if adjust != nil {
		adjust(resp, &d)
	}
	if d.Email == "" {
		d.EmailVerified = false
	}
	if d.FullName == "" && (d.FirstName != "" || d.LastName != "") {
		d.FullName = strings.TrimSpace(d.FirstName + " " + d.LastName)
	}
	if d.FirstName == "" && d.LastName == "" && d.FullName != "" {
		first, last, _ := strings.Cut(d.FullName, " ")
		d.FirstName, d.LastName = first, strings.TrimSpace(last)
	}
	return d
}

func (b *oauth2Backend) uid(resp map[string]any, d backend.Details) (string, error) {
	if b.hooks.UID != nil {
		uid, err := b.hooks.UID(resp, d)
		if err != nil {
			return "", err
		}
		if uid == "" {
			return "", socialerr.New(socialerr.AuthUnknownError, b.name, "the provider gave no user id")
		}
		return uid, nil
	}
	v, ok := Lookup(resp, b.idKey)
	uid := strings.TrimSpace(String(v))
	if !ok || uid == "" {
		return "", socialerr.Wrap(socialerr.AuthUnknownError, b.name,
			fmt.Errorf("no usable %q in the user data", b.idKey), "the provider gave no user id")
	}
	return uid, nil
}

// loadExtraData builds the association's extra data with
// python-social-auth's keys.
func (b *oauth2Backend) loadExtraData(resp map[string]any, tok *backend.Token) (map[string]any, map[string]bool) {
	data := map[string]any{
		"auth_time":    b.now().Unix(),
		"access_token": tok.AccessToken,
	}
	if tok.TokenType != "" {
		data["token_type"] = tok.TokenType
	}
	if tok.RefreshToken != "" {
		data["refresh_token"] = tok.RefreshToken
	}
	for _, key := range []string{"expires_in", "expires"} {
		if v, ok := tok.Raw[key]; ok && v != nil && v != "" {
			if secs, ok := integer(v); ok {
				data["expires"] = secs
			} else {
				data["expires"] = v
			}
			break
		}
	}
	var keep map[string]bool
	for _, f := range b.extraData {
		alias := cmp.Or(f.Alias, f.Name)
		v, ok := Lookup(resp, f.Name)
		if !ok || empty(v) {
			if tv, found := Lookup(tok.Raw, f.Name); found {
				v = tv
			}
		}
		if f.Discard {
			if keep == nil {
				keep = map[string]bool{}
			}
			keep[alias] = true
			if empty(v) {
				continue
			}
		}
		data[alias] = v
	}
	return data, keep
}

// empty is python's falsiness for JSON values.
func empty(v any) bool {
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
	case float64:
		return x == 0
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}
