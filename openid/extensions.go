package openid

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// axAttr is an Attribute Exchange attribute to request: its type URI and
// the response key its value is stored under.
type axAttr struct {
	typeURI string
	alias   string
}

// DefaultAXAttributes returns the attributes requested unless
// IGNORE_DEFAULT_AX_ATTRS is set, as [type URI, response key] pairs: the
// axschema.org ones and their older schema.openid.net forms.
func DefaultAXAttributes() [][2]string {
	return [][2]string{
		{"http://axschema.org/contact/email", "email"},
		{"http://axschema.org/namePerson", "fullname"},
		{"http://axschema.org/namePerson/first", "first_name"},
		{"http://axschema.org/namePerson/last", "last_name"},
		{"http://axschema.org/namePerson/friendly", "nickname"},
		{"http://schema.openid.net/contact/email", "old_email"},
		{"http://schema.openid.net/namePerson", "old_fullname"},
		{"http://schema.openid.net/namePerson/friendly", "old_nickname"},
	}
}

// defaultSREGFields are the Simple Registration fields always requested.
var defaultSREGFields = [...]string{"email", "fullname", "nickname"}

// axAttributes lists the attributes to request: the defaults (unless
// ignored), AX_SCHEMA_ATTRS, and the AX_EXTRA_DATA types.
func axAttributes(ignoreDefaults bool, schema, extra []oauth2.ExtraField) []axAttr {
	var out []axAttr
	add := func(uri, alias string) {
		if !slices.ContainsFunc(out, func(a axAttr) bool { return a.typeURI == uri }) {
			out = append(out, axAttr{typeURI: uri, alias: alias})
		}
	}
	if !ignoreDefaults {
		for _, d := range DefaultAXAttributes() {
			add(d[0], d[1])
		}
	}
	for _, f := range schema {
		add(f.Name, f.Alias)
	}
	for _, f := range extra {
		add(f.Name, f.Alias)
	}
	return out
}

func sregFields(extra []oauth2.ExtraField) []string {
	out := slices.Clone(defaultSREGFields[:])
	for _, f := range extra {
		if !slices.Contains(out, f.Name) && !strings.ContainsAny(f.Name, ",") {
			out = append(out, f.Name)
		}
	}
	return out
}

// extensionRequest adds the SREG, AX and PAPE requests to a checkid
// message.
func (b *openidBackend) extensionRequest(msg map[string][]string) {
	set := func(k, v string) { msg[k] = []string{v} }
	set("openid.ns.sreg", NSSREG)
	set("openid.sreg.optional", strings.Join(b.sregFields, ","))
	if len(b.axAttrs) > 0 {
		set("openid.ns.ax", NSAX)
		set("openid.ax.mode", "fetch_request")
		aliases := make([]string, len(b.axAttrs))
		for i, a := range b.axAttrs {
			aliases[i] = "a" + itoa(i)
			set("openid.ax.type."+aliases[i], a.typeURI)
		}
		set("openid.ax.required", strings.Join(aliases, ","))
	}
	if b.maxAuthAge > 0 {
		set("openid.ns.pape", NSPAPE)
		set("openid.pape.max_auth_age", itoa(b.maxAuthAge))
		set("openid.pape.preferred_auth_policies", "")
	}
}

// maxAXCount bounds how many values of one AX attribute are read.
const maxAXCount = 100

// readExtensions reads the signed SREG, AX and PAPE fields of an
// assertion. Unsigned extension fields are ignored.
func (b *openidBackend) readExtensions(a *Assertion) error {
	alias := func(ns string) string {
		for k, v := range a.Signed {
			if v == ns && strings.HasPrefix(k, "ns.") {
				return strings.TrimPrefix(k, "ns.")
			}
		}
		return ""
	}
	a.SREG = map[string]string{}
	if p := alias(NSSREG); p != "" {
		for k, v := range a.Signed {
			if field, ok := strings.CutPrefix(k, p+"."); ok && !strings.Contains(field, ".") {
				a.SREG[field] = v
			}
		}
	}
	a.AX = map[string][]string{}
	if p := alias(NSAX); p != "" && a.Signed[p+".mode"] == "fetch_response" {
		for k, uri := range a.Signed {
			name, ok := strings.CutPrefix(k, p+".type.")
			if !ok {
				continue
			}
			if c, ok := a.Signed[p+".count."+name]; ok {
				n, err := strconv.Atoi(c)
				if err != nil || n < 0 || n > maxAXCount {
					continue
				}
				var vals []string
				for i := 1; i <= n; i++ {
					if v, ok := a.Signed[p+".value."+name+"."+itoa(i)]; ok {
						vals = append(vals, v)
					}
				}
				a.AX[uri] = vals
			} else if v, ok := a.Signed[p+".value."+name]; ok {
				a.AX[uri] = []string{v}
			}
		}
	}
	if b.maxAuthAge > 0 {
		p := alias(NSPAPE)
		raw := a.Signed[p+".auth_time"]
		if p == "" || raw == "" {
			return b.refuse(fmt.Errorf("%w: no signed auth_time", ErrAuthAgeExceeded), "the provider did not say when you last logged in")
		}
		t, err := time.Parse("2006-01-02T15:04:05Z", raw)
		if err != nil {
			return b.refuse(fmt.Errorf("%w: auth_time %q", ErrAuthAgeExceeded, truncate(raw, 40)), "")
		}
		if b.now().Sub(t) > time.Duration(b.maxAuthAge)*time.Second {
			return b.refuse(fmt.Errorf("%w: authenticated at %s", ErrAuthAgeExceeded, raw), "your login at the provider is too old: log in there again")
		}
		a.AuthTime = t
	}
	return nil
}

// values merges SREG then AX into the response keys details are read
// from.
func (b *openidBackend) values(a *Assertion) map[string]any {
	v := map[string]any{}
	for _, f := range b.sregFields {
		if s := a.SREG[f]; s != "" {
			v[f] = s
		}
	}
	for _, attr := range b.axAttrs {
		if vals := a.AX[attr.typeURI]; len(vals) > 0 && vals[0] != "" {
			v[attr.alias] = vals[0]
		}
	}
	for _, k := range []string{"email", "fullname", "nickname"} {
		if _, ok := v[k]; !ok {
			if old, ok := v["old_"+k]; ok {
				v[k] = old
			}
		}
	}
	return v
}

// identity builds the identity of a verified assertion.
func (b *openidBackend) identity(ctx context.Context, a *Assertion) (*backend.Identity, error) {
	uid := a.ClaimedID
	if h := b.provider.Hooks.UID; h != nil {
		var err error
		if uid, err = h(a); err != nil {
			return nil, err
		}
	}
	if uid == "" {
		return nil, socialerr.New(socialerr.AuthFailed, b.name, "the provider gave no identifier")
	}
	resp := b.values(a)
	resp["claimed_id"] = a.ClaimedID
	resp["identity"] = a.Identity
	resp["op_endpoint"] = a.OPEndpoint
	sreg := map[string]any{}
	for k, v := range a.SREG {
		sreg[k] = v
	}
	resp["sreg"] = sreg
	ax := map[string]any{}
	for k, vs := range a.AX {
		list := make([]any, len(vs))
		for i, s := range vs {
			list[i] = s
		}
		ax[k] = list
	}
	resp["ax"] = ax
	if !a.AuthTime.IsZero() {
		resp["auth_time"] = a.AuthTime.Format(time.RFC3339)
	}
	if h := b.provider.Hooks.UserData; h != nil {
		if err := h(ctx, &Caller{c: b.http}, a, uid, resp); err != nil {
			return nil, err
		}
	}
	d := b.details(resp)
	if h := b.provider.Hooks.MapDetails; h != nil {
		h(resp, &d)
	}
	d.EmailVerified = false // an OpenID 2.0 OP does not vouch for email addresses
	extra, keep := map[string]any{}, map[string]bool{}
	load := func(fields []oauth2.ExtraField, get func(string) (any, bool)) {
		for _, f := range fields {
			v, ok := get(f.Name)
			if f.Discard && (!ok || empty(v)) {
				keep[f.Alias] = true
				continue
			}
			extra[f.Alias] = v
		}
	}
	load(b.sregExtra, func(n string) (any, bool) { v, ok := a.SREG[n]; return v, ok })
	load(b.axExtra, func(n string) (any, bool) {
		vs, ok := a.AX[n]
		if !ok || len(vs) == 0 {
			return nil, false
		}
		return vs[0], true
	})
	load(b.extraData, func(n string) (any, bool) { return oauth2.Lookup(resp, n) })
	return &backend.Identity{UID: uid, Details: d, Response: resp, ExtraData: extra, KeepOldIfEmpty: keep}, nil
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	}
	return false
}

// details maps the response: username from USERNAME_KEY (default
// "username", then "nickname", then first and last name joined).
func (b *openidBackend) details(resp map[string]any) backend.Details {
	str := func(k string) string { return oauth2.String(resp[k]) }
	d := backend.Details{Email: str("email"), FullName: str("fullname"), FirstName: str("first_name"), LastName: str("last_name")}
	if d.FullName == "" && (d.FirstName != "" || d.LastName != "") {
		d.FullName = strings.TrimSpace(d.FirstName + " " + d.LastName)
	}
	if d.FirstName == "" && d.LastName == "" && d.FullName != "" {
		first, last, _ := strings.Cut(d.FullName, " ")
		d.FirstName, d.LastName = first, strings.TrimSpace(last)
	}
	if b.usernameKey != "" {
		d.Username = str(b.usernameKey)
	} else {
		d.Username = cmp.Or(str("username"), str("nickname"))
	}
	if d.Username == "" {
		d.Username = d.FirstName + d.LastName
	}
	return d
}

// decodeJSON decodes one JSON value, numbers as json.Number.
func decodeJSON(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
