package openid_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/openid"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

const callback = "https://app.example.com/complete/openid/"

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// rp is a relying party under test.
type rp struct {
	t     *testing.T
	b     backend.Backend
	store *memstore.Store
	clock *clock
	op    *socialtest.OpenIDProvider
}

func newRP(t *testing.T, op *socialtest.OpenIDProvider, m settings.Map, p openid.Provider) *rp {
	t.Helper()
	c := &clock{}
	st := memstore.New(memstore.Options{})
	hc := &http.Client{Timeout: 2 * time.Second}
	if op != nil {
		hc = op.HTTPClient()
		hc.Timeout = 2 * time.Second
	}
	b, err := openid.New(backend.Config{
		Name: "openid", Settings: settings.New(m).For("openid"), HTTPClient: hc, UserAgent: "socialauth-test",
		Logger: slog.New(slog.DiscardHandler), Now: c.now, Nonces: st, OpenIDAssociations: st,
	}, p)
	if err != nil {
		t.Fatal(err)
	}
	return &rp{t: t, b: b, store: st, clock: c, op: op}
}

// begin starts a login and returns the OP's redirect back (the callback
// URL) and the stash.
func (r *rp) begin(params url.Values) (*url.URL, backend.Stash, *url.URL) {
	r.t.Helper()
	res, err := r.b.Begin(r.t.Context(), &backend.BeginRequest{RedirectURI: callback, State: "st-" + r.t.Name(), Params: params})
	if err != nil {
		r.t.Fatalf("Begin: %v", err)
	}
	authURL, _ := url.Parse(res.RedirectURL)
	browser := socialtest.NewBrowserNoRedirect(r.t)
	if r.op != nil {
		browser.Transport = r.op.HTTPClient().Transport
	}
	resp, err := browser.Get(res.RedirectURL)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), callback) {
		r.t.Fatalf("OP answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc, res.Stash, authURL
}

func (r *rp) complete(cb *url.URL, stash backend.Stash) (*backend.Identity, error) {
	return r.b.Complete(r.t.Context(), &backend.CompleteRequest{RedirectURI: callback, Params: cb.Query(),
		Stash: stash, Request: httptest.NewRequest(http.MethodGet, cb.String(), nil)})
}

func (r *rp) login(identifier string) (*backend.Identity, error) {
	r.t.Helper()
	cb, stash, _ := r.begin(url.Values{"openid_identifier": {identifier}})
	return r.complete(cb, stash)
}

func (r *rp) associations(op *socialtest.OpenIDProvider) []*store.OpenIDAssociation {
	r.t.Helper()
	list, err := r.store.OpenIDAssociations(context.Background(), op.EndpointURL(), "")
	if err != nil {
		r.t.Fatal(err)
	}
	return list
}

func wantKind(t *testing.T, err error, kind socialerr.Kind, cause error) {
	t.Helper()
	if socialerr.KindOf(err) != kind || !errors.Is(err, kind) {
		t.Fatalf("error %v: want kind %s", err, kind)
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Fatalf("error %v: want cause %v", err, cause)
	}
}

func TestLoginByEveryDiscoveryStyle(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t)
	for _, tc := range []struct {
		name, identifier, claimed, identity string
	}{
		{"OP identifier (XRDS content type)", op.OPIdentifier(), op.IdentifierURL("alice"), op.IdentifierURL("alice")},
		{"claimed identifier by content negotiation", op.IdentifierURL("alice"), op.IdentifierURL("alice"), op.IdentifierURL("alice")},
		{"X-XRDS-Location header with LocalID", op.YadisURL("alice"), op.YadisURL("alice"), op.LocalID("alice")},
		{"meta http-equiv", op.MetaURL("alice"), op.MetaURL("alice"), op.MetaURL("alice")},
		{"HTML link tags with local_id", op.HTMLURL("alice"), op.HTMLURL("alice"), op.LocalID("alice")},
		{"no scheme, with a fragment", strings.TrimPrefix(op.IdentifierURL("alice"), "http://") + "#me", op.IdentifierURL("alice"), op.IdentifierURL("alice")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRP(t, op, settings.Map{}, openid.Provider{})
			cb, stash, authURL := r.begin(url.Values{"openid_identifier": {tc.identifier}})
			q := authURL.Query()
			if authURL.Path != socialtest.OpenIDEndpointPath || q.Get("openid.mode") != "checkid_setup" || q.Get("openid.ns") != openid.NSOpenID2 ||
				q.Get("openid.realm") != "https://app.example.com/" || q.Get("openid.assoc_handle") == "" ||
				q.Get("openid.return_to") != callback+"?state="+url.QueryEscape("st-"+t.Name()) {
				t.Errorf("checkid_setup request: %v", q)
			}
			if q.Get("openid.ns.sreg") != openid.NSSREG || q.Get("openid.sreg.optional") != "email,fullname,nickname" ||
				q.Get("openid.ns.ax") != openid.NSAX || q.Get("openid.ax.type.a0") != "http://axschema.org/contact/email" ||
				q.Get("openid.ns.pape") != "" {
				t.Errorf("extension request: %v", q)
			}
			id, err := r.complete(cb, stash)
			if err != nil {
				t.Fatal(err)
			}
			if id.UID != tc.claimed || id.Response["identity"] != tc.identity || id.Response["op_endpoint"] != op.EndpointURL() {
				t.Errorf("uid %q, response %v", id.UID, id.Response)
			}
			want := backend.Details{Username: "alice", Email: "alice@example.com", FullName: "Alice Liddell", FirstName: "Alice", LastName: "Liddell"}
			if id.Details.Username != want.Username || id.Details.Email != want.Email || id.Details.FullName != want.FullName ||
				id.Details.FirstName != want.FirstName || id.Details.LastName != want.LastName || id.Details.EmailVerified {
				t.Errorf("details %+v", id.Details)
			}
			assocs := r.associations(op)
			if len(assocs) != 1 || assocs[0].AssocType != openid.HMACSHA256 || len(assocs[0].Secret) != 32 {
				t.Errorf("associations %+v", assocs)
			}
		})
	}
}

func TestAssociations(t *testing.T) {
	t.Run("reused until expiry, then replaced and removed", func(t *testing.T) {
		op := socialtest.NewOpenIDProvider(t)
		r := newRP(t, op, settings.Map{}, openid.Provider{})
		for range 2 {
			if _, err := r.login(op.OPIdentifier()); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(op.RequestsWithMode("associate")); n != 1 {
			t.Errorf("%d associate requests for two logins", n)
		}
		if n := len(op.RequestsWithMode("check_authentication")); n != 0 {
			t.Errorf("%d check_authentication requests with an association", n)
		}
		old := r.associations(op)[0]
		r.clock.set(time.Now().Add(2 * time.Hour))
		op.SetNonceTime(func() time.Time { return time.Now().Add(2 * time.Hour) })
		if _, err := r.login(op.OPIdentifier()); err != nil {
			t.Fatal(err)
		}
		assocs := r.associations(op)
		if len(assocs) != 1 || assocs[0].Handle == old.Handle {
			t.Errorf("the expired association was not replaced: %+v", assocs)
		}
	})
	t.Run("unsupported-type reply: retried once with the suggested type", func(t *testing.T) {
		op := socialtest.NewOpenIDProvider(t, socialtest.WithOpenIDAssocTypes(openid.HMACSHA1))
		r := newRP(t, op, settings.Map{}, openid.Provider{})
		if _, err := r.login(op.OPIdentifier()); err != nil {
			t.Fatal(err)
		}
		reqs := op.RequestsWithMode("associate")
		if len(reqs) != 2 || reqs[0].Form.Get("openid.assoc_type") != openid.HMACSHA256 || reqs[0].Form.Get("openid.session_type") != openid.DHSHA256 ||
			reqs[1].Form.Get("openid.assoc_type") != openid.HMACSHA1 || reqs[1].Form.Get("openid.session_type") != openid.DHSHA1 {
			t.Errorf("associate requests: %+v", reqs)
		}
		if a := r.associations(op); len(a) != 1 || a[0].AssocType != openid.HMACSHA1 || len(a[0].Secret) != 20 {
			t.Errorf("associations %+v", a)
		}
	})
	t.Run("over https", func(t *testing.T) {
		op := socialtest.NewOpenIDProvider(t, socialtest.WithOpenIDTLS())
		r := newRP(t, op, settings.Map{}, openid.Provider{})
		if _, err := r.login(op.OPIdentifier()); err != nil {
			t.Fatal(err)
		}
		if len(r.associations(op)) != 1 {
			t.Error("no association")
		}
	})
	t.Run("no-encryption session over https", func(t *testing.T) {
		op := socialtest.NewOpenIDProvider(t, socialtest.WithOpenIDNoEncryptionOnly(),
			socialtest.WithOpenIDAssocTypes(openid.HMACSHA256))
		r := newRP(t, op, settings.Map{}, openid.Provider{})
		if _, err := r.login(op.OPIdentifier()); err != nil {
			t.Fatal(err)
		}
		a := r.associations(op)
		if len(a) != 1 || a[0].AssocType != openid.HMACSHA256 || len(a[0].Secret) != 32 {
			for _, x := range a {
				t.Logf("association %+v", *x)
			}
			t.Fatalf("%d associations", len(a))
		}
		var sessions []string
		for _, req := range op.RequestsWithMode("associate") {
			sessions = append(sessions, req.Form.Get("openid.session_type"))
		}
		if len(sessions) != 2 || sessions[0] != openid.DHSHA256 || sessions[1] != openid.NoEncryption {
			t.Errorf("session types asked: %v", sessions)
		}
		if len(op.RequestsWithMode("check_authentication")) != 0 {
			t.Error("the assertion was checked statelessly instead of with the association")
		}
	})
	t.Run("stateless mode when the OP refuses to associate", func(t *testing.T) {
		op := socialtest.NewOpenIDProvider(t, socialtest.WithoutOpenIDAssociations())
		r := newRP(t, op, settings.Map{}, openid.Provider{})
		id, err := r.login(op.OPIdentifier())
		if err != nil {
			t.Fatal(err)
		}
		if id.Details.Email != "alice@example.com" || len(op.RequestsWithMode("check_authentication")) != 1 || len(r.associations(op)) != 0 {
			t.Errorf("stateless login: %+v", id.Details)
		}
		if q := op.RequestsWithMode("checkid_setup")[0].Query; q.Has("openid.assoc_handle") {
			t.Error("an assoc_handle was sent without an association")
		}
	})
	t.Run("unknown handle: check_authentication, invalidate_handle honoured", func(t *testing.T) {
		op := socialtest.NewOpenIDProvider(t)
		r := newRP(t, op, settings.Map{}, openid.Provider{})
		if _, err := r.login(op.OPIdentifier()); err != nil {
			t.Fatal(err)
		}
		op.ForgetAssociations()
		if _, err := r.login(op.OPIdentifier()); err != nil {
			t.Fatal(err)
		}
		if len(op.RequestsWithMode("check_authentication")) != 1 {
			t.Error("no check_authentication")
		}
		if a := r.associations(op); len(a) != 0 {
			t.Errorf("the invalidated association is still stored: %+v", a)
		}
	})
}

func TestHostileAssertions(t *testing.T) {
	other := socialtest.NewOpenIDProvider(t)
	for _, tc := range []struct {
		name   string
		opts   []socialtest.OpenIDOption
		setup  func(op *socialtest.OpenIDProvider)
		tamper func(cb *url.URL, stash backend.Stash) (*url.URL, backend.Stash)
		kind   socialerr.Kind
		cause  error
		twice  bool // the first login succeeds, the second is refused
	}{
		{name: "signed with a wrong key", setup: func(op *socialtest.OpenIDProvider) { op.SignWithWrongKey() },
			kind: socialerr.AuthFailed, cause: openid.ErrBadSignature},
		{name: "signed with a wrong key, stateless", opts: []socialtest.OpenIDOption{socialtest.WithoutOpenIDAssociations()},
			setup: func(op *socialtest.OpenIDProvider) { op.SignWithWrongKey() }, kind: socialerr.AuthFailed, cause: openid.ErrCheckAuthRefused},
		{name: "check_authentication refused", opts: []socialtest.OpenIDOption{socialtest.WithoutOpenIDAssociations()},
			setup: func(op *socialtest.OpenIDProvider) { op.RefuseCheckAuthentication() }, kind: socialerr.AuthFailed, cause: openid.ErrCheckAuthRefused},
		{name: "altered return_to", setup: func(op *socialtest.OpenIDProvider) {
			op.AlterReturnTo(func(s string) string { return strings.Replace(s, "app.example.com", "evil.example.net", 1) })
		}, kind: socialerr.AuthFailed, cause: openid.ErrReturnToMismatch},
		{name: "return_to parameter not in the request", tamper: func(cb *url.URL, s backend.Stash) (*url.URL, backend.Stash) {
			q := cb.Query()
			q.Set("state", "other")
			cb.RawQuery = q.Encode()
			s["state"] = "other"
			return cb, s
		}, kind: socialerr.AuthFailed, cause: openid.ErrReturnToMismatch},
		{name: "reused nonce", setup: func(op *socialtest.OpenIDProvider) { op.ReuseNonce() }, twice: true,
			kind: socialerr.AuthFailed, cause: openid.ErrReplayedNonce},
		{name: "stale nonce", setup: func(op *socialtest.OpenIDProvider) {
			op.SetNonceTime(func() time.Time { return time.Now().Add(-10 * time.Minute) })
		}, kind: socialerr.AuthFailed, cause: openid.ErrStaleNonce},
		{name: "nonce from the future", setup: func(op *socialtest.OpenIDProvider) {
			op.SetNonceTime(func() time.Time { return time.Now().Add(10 * time.Minute) })
		}, kind: socialerr.AuthFailed, cause: openid.ErrStaleNonce},
		{name: "foreign claimed identifier", setup: func(op *socialtest.OpenIDProvider) { op.AssertClaimedID(other.IdentifierURL("alice")) },
			kind: socialerr.AuthFailed, cause: openid.ErrNotAuthoritative},
		{name: "claimed identifier that does not resolve", setup: func(op *socialtest.OpenIDProvider) { op.AssertClaimedID("http://127.0.0.1:1/nobody") },
			kind: socialerr.AuthFailed, cause: openid.ErrNotAuthoritative},
		{name: "cancel", setup: func(op *socialtest.OpenIDProvider) { op.Cancel() }, kind: socialerr.AuthCanceled},
		{name: "setup_needed", setup: func(op *socialtest.OpenIDProvider) { op.SetupNeeded() }, kind: socialerr.AuthFailed, cause: openid.ErrSetupNeeded},
		{name: "claimed_id not signed", setup: func(op *socialtest.OpenIDProvider) { op.OmitSigned("claimed_id") },
			kind: socialerr.AuthFailed, cause: openid.ErrUnsignedField},
		{name: "response_nonce not signed", setup: func(op *socialtest.OpenIDProvider) { op.OmitSigned("response_nonce") },
			kind: socialerr.AuthFailed, cause: openid.ErrUnsignedField},
		{name: "signed field changed", tamper: func(cb *url.URL, s backend.Stash) (*url.URL, backend.Stash) {
			q := cb.Query()
			q.Set("openid.sreg.email", "mallory@example.com")
			cb.RawQuery = q.Encode()
			return cb, s
		}, kind: socialerr.AuthFailed, cause: openid.ErrBadSignature},
		{name: "another op_endpoint", tamper: func(cb *url.URL, s backend.Stash) (*url.URL, backend.Stash) {
			q := cb.Query()
			q.Set("openid.op_endpoint", other.EndpointURL())
			cb.RawQuery = q.Encode()
			return cb, s
		}, kind: socialerr.AuthFailed, cause: openid.ErrEndpointMismatch},
		{name: "forged state", tamper: func(cb *url.URL, s backend.Stash) (*url.URL, backend.Stash) {
			s["state"] = "something else"
			return cb, s
		}, kind: socialerr.AuthStateForbidden},
		{name: "no stash (another browser)", tamper: func(cb *url.URL, s backend.Stash) (*url.URL, backend.Stash) { return cb, nil },
			kind: socialerr.AuthStateMissing},
		{name: "OpenID 1 message", tamper: func(cb *url.URL, s backend.Stash) (*url.URL, backend.Stash) {
			q := cb.Query()
			q.Del("openid.ns")
			cb.RawQuery = q.Encode()
			return cb, s
		}, kind: socialerr.AuthFailed, cause: openid.ErrNotOpenID2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := socialtest.NewOpenIDProvider(t, tc.opts...)
			if tc.setup != nil {
				tc.setup(op)
			}
			r := newRP(t, op, settings.Map{}, openid.Provider{})
			if tc.twice {
				if _, err := r.login(op.OPIdentifier()); err != nil {
					t.Fatal(err)
				}
			}
			cb, stash, _ := r.begin(url.Values{"openid_identifier": {op.OPIdentifier()}})
			if tc.tamper != nil {
				cb, stash = tc.tamper(cb, stash)
			}
			id, err := r.complete(cb, stash)
			if id != nil {
				t.Errorf("an identity was returned: %+v", id)
			}
			wantKind(t, err, tc.kind, tc.cause)
		})
	}
}

func TestReplayedCallback(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t)
	r := newRP(t, op, settings.Map{}, openid.Provider{})
	cb, stash, _ := r.begin(url.Values{"openid_identifier": {op.OPIdentifier()}})
	if _, err := r.complete(cb, stash); err != nil {
		t.Fatal(err)
	}
	_, err := r.complete(cb, stash)
	wantKind(t, err, socialerr.AuthFailed, openid.ErrReplayedNonce)
}

func TestUnsignedExtensionFieldsAreIgnored(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t)
	op.UnsignedExtensions()
	r := newRP(t, op, settings.Map{}, openid.Provider{})
	id, err := r.login(op.OPIdentifier())
	if err != nil {
		t.Fatal(err)
	}
	if id.Details.Email != "" || id.Details.Username != "" || id.Details.FullName != "" {
		t.Errorf("unsigned extension fields were used: %+v", id.Details)
	}
	if id.UID != op.IdentifierURL("alice") {
		t.Errorf("uid %q", id.UID)
	}
}

func TestBeginFailures(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := strings.Repeat("x", 64<<10)
		for range 20 {
			io.WriteString(w, chunk)
		}
	}))
	t.Cleanup(huge.Close)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	for _, tc := range []struct {
		name   string
		params url.Values
		kind   socialerr.Kind
		cause  error
	}{
		{"missing openid_identifier", url.Values{}, socialerr.AuthMissingParameter, nil},
		{"XRI =name", url.Values{"openid_identifier": {"=alice"}}, socialerr.AuthFailed, openid.ErrXRI},
		{"XRI @org", url.Values{"openid_identifier": {"@example*alice"}}, socialerr.AuthFailed, openid.ErrXRI},
		{"not http", url.Values{"openid_identifier": {"ftp://example.com/"}}, socialerr.AuthFailed, nil},
		{"no OpenID service", url.Values{"openid_identifier": {op.LocalID("alice")}}, socialerr.AuthFailed, openid.ErrNoService},
		{"404", url.Values{"openid_identifier": {op.URL + "/nothing"}}, socialerr.AuthFailed, openid.ErrNoService},
		{"unreachable", url.Values{"openid_identifier": {closedURL}}, socialerr.AuthUnreachableProvider, nil},
		{"slow", url.Values{"openid_identifier": {slow.URL}}, socialerr.AuthUnreachableProvider, nil},
		{"oversized page", url.Values{"openid_identifier": {huge.URL}}, socialerr.AuthUnknownError, openid.ErrReplyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRP(t, nil, settings.Map{}, openid.Provider{})
			res, err := r.b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: callback, State: "s", Params: tc.params})
			if res != nil {
				t.Errorf("Begin returned %+v", res)
			}
			wantKind(t, err, tc.kind, tc.cause)
			if a, _ := r.store.OpenIDAssociations(t.Context(), op.EndpointURL(), ""); len(a) != 0 {
				t.Error("an association was stored")
			}
		})
	}
}

func TestPAPE(t *testing.T) {
	op := socialtest.NewOpenIDProvider(t)
	m := settings.Map{"SOCIAL_AUTH_OPENID_PAPE_MAX_AUTH_AGE": 600}
	r := newRP(t, op, m, openid.Provider{})
	cb, stash, authURL := r.begin(url.Values{"openid_identifier": {op.OPIdentifier()}})
	if q := authURL.Query(); q.Get("openid.ns.pape") != openid.NSPAPE || q.Get("openid.pape.max_auth_age") != "600" {
		t.Errorf("PAPE request: %v", q)
	}
	id, err := r.complete(cb, stash)
	if err != nil {
		t.Fatal(err)
	}
	if id.Response["auth_time"] == nil {
		t.Error("no auth_time in the response")
	}
	op.SetAuthTime(time.Now().Add(-time.Hour))
	_, err = r.login(op.OPIdentifier())
	wantKind(t, err, socialerr.AuthFailed, openid.ErrAuthAgeExceeded)
	op2 := socialtest.NewOpenIDProvider(t)
	op2.UnsignedExtensions()
	_, err = newRP(t, op2, m, openid.Provider{}).login(op2.OPIdentifier())
	wantKind(t, err, socialerr.AuthFailed, openid.ErrAuthAgeExceeded)
}

func TestExtensionSettings(t *testing.T) {
	const phone = "http://openid.net/schema/contact/phone/business"
	op := socialtest.NewOpenIDProvider(t, socialtest.WithOpenIDUser("bob", map[string]string{
		"nickname": "bobby", "email": "bob@example.com", "first_name": "Bob", "last_name": "Builder",
		phone: "+1 555", "http://example.com/schema/color": "blue", "dob": "1970-01-01",
	}))
	t.Run("extra data, schema attributes, username key", func(t *testing.T) {
		r := newRP(t, op, settings.Map{
			"SOCIAL_AUTH_OPENID_SREG_EXTRA_DATA":         []any{[]any{"dob", "birthday"}, []any{"gender", "gender", true}},
			"SOCIAL_AUTH_OPENID_AX_EXTRA_DATA":           []any{[]any{phone, "phone"}},
			"SOCIAL_AUTH_OPENID_AX_SCHEMA_ATTRS":         []any{[]any{"http://example.com/schema/color", "color"}},
			"SOCIAL_AUTH_OPENID_IGNORE_DEFAULT_AX_ATTRS": true,
			"SOCIAL_AUTH_OPENID_USERNAME_KEY":            "color",
		}, openid.Provider{})
		cb, stash, authURL := r.begin(url.Values{"openid_identifier": {op.OPIdentifier()}})
		q := authURL.Query()
		if q.Get("openid.ax.type.a0") != "http://example.com/schema/color" || q.Get("openid.ax.type.a1") != phone || q.Has("openid.ax.type.a2") ||
			q.Get("openid.sreg.optional") != "email,fullname,nickname,dob,gender" {
			t.Errorf("request: %v", q)
		}
		id, err := r.complete(cb, stash)
		if err != nil {
			t.Fatal(err)
		}
		if id.ExtraData["birthday"] != "1970-01-01" || id.ExtraData["phone"] != "+1 555" || !id.KeepOldIfEmpty["gender"] {
			t.Errorf("extra data %v keep %v", id.ExtraData, id.KeepOldIfEmpty)
		}
		if id.Details.Username != "blue" || id.Details.Email != "bob@example.com" || id.Details.FirstName != "" {
			t.Errorf("details %+v", id.Details)
		}
	})
	t.Run("username falls back to first and last name", func(t *testing.T) {
		op := socialtest.NewOpenIDProvider(t, socialtest.WithOpenIDUser("carol", map[string]string{"first_name": "Carol", "last_name": "Danvers"}))
		id, err := newRP(t, op, settings.Map{}, openid.Provider{}).login(op.OPIdentifier())
		if err != nil {
			t.Fatal(err)
		}
		if id.Details.Username != "CarolDanvers" || id.Details.FullName != "Carol Danvers" {
			t.Errorf("details %+v", id.Details)
		}
	})
	t.Run("malformed settings are reported", func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		_, err := openid.New(backend.Config{Name: "openid", Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_OPENID_SREG_EXTRA_DATA":   []any{[]any{1, 2}},
			"SOCIAL_AUTH_OPENID_PAPE_MAX_AUTH_AGE": -1,
			"SOCIAL_AUTH_OPENID_URL":               "=xri",
		}).For("openid"), Nonces: st, OpenIDAssociations: st}, openid.Provider{})
		for _, name := range []string{"SOCIAL_AUTH_OPENID_SREG_EXTRA_DATA", "PAPE_MAX_AUTH_AGE", "SOCIAL_AUTH_OPENID_URL"} {
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("error %v does not name %s", err, name)
			}
		}
		if _, err := openid.New(backend.Config{Name: "openid", Settings: settings.New(settings.Map{}).For("openid")}, openid.Provider{}); err == nil {
			t.Error("built without stores")
		}
	})
}

func TestNormalizeIdentifier(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":                      "http://example.com/",
		"  HTTPS://Example.COM/a/b?x=1#f ": "https://example.com/a/b?x=1",
		"http://example.com:8080":          "http://example.com:8080/",
	} {
		if got, err := openid.NormalizeIdentifier(in); err != nil || got != want {
			t.Errorf("NormalizeIdentifier(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "=alice", "@org", "xri://=alice", "javascript:alert(1)", "http://user:pw@example.com/", "http:///path"} {
		if got, err := openid.NormalizeIdentifier(in); err == nil {
			t.Errorf("NormalizeIdentifier(%q) = %q, want an error", in, got)
		}
	}
}
