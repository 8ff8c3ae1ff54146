package oauth2

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/internal/provider"
)

// Lookup returns the value at a dotted path in decoded JSON
// ("user.emails.0.address"); numeric segments index arrays. An empty path
// or [Unmapped] finds nothing.
func Lookup(data map[string]any, path string) (any, bool) { return provider.Lookup(data, path) }

// String formats a JSON scalar as text: strings as they are, numbers
// without exponent or needless decimals, booleans as true/false; anything
// else (objects, arrays, null) is "".
func String(v any) string { return provider.String(v) }

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
	keep := provider.LoadExtraData(data, b.extraData, resp, tok.Raw)
	return data, keep
}
