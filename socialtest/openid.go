package socialtest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths of a fake OpenID provider. The layout follows Steam's:
// https://steamcommunity.com/openid is the OP identifier,
// …/openid/login the endpoint and …/openid/id/{user} the claimed
// identifiers.
const (
	OpenIDIdentifierPath = "/openid"
	OpenIDEndpointPath   = "/openid/login"
)

// The OpenID 2.0 values the fake provider speaks.
const (
	openIDNS        = "http://specs.openid.net/auth/2.0"
	openIDSelect    = "http://specs.openid.net/auth/2.0/identifier_select"
	openIDSREG      = "http://openid.net/extensions/sreg/1.1"
	openIDAX        = "http://openid.net/srv/ax/1.0"
	openIDPAPE      = "http://specs.openid.net/extensions/pape/1.0"
	openIDTimestamp = "2006-01-02T15:04:05Z"
)

// openIDModulus is OpenID 2.0's default Diffie-Hellman modulus, written
// in hexadecimal here (the relying party under test has it in decimal).
var openIDModulus, _ = new(big.Int).SetString(
	"DCF93A0B883972EC0E19989AC5A2CE310E1D37717E8D9571BB7623731866E61E"+
		"F75A2E27898B057F9891C2E27A639C3F29B60814581CD3B2CA3986D268370557"+
		"7D45C2E7E52DC81C7A171876E5CEA74B1448BFDFAF18828EFD2519F14E45E382"+
		"6634AF1949E5B535CC829A483B8A76223E5D490A257F05BDFF16F2FB22C583AB", 16)

// DefaultOpenIDUser returns the attributes of the user "alice" a fake
// OpenID provider hosts unless told otherwise. Keys are SREG field names
// (nickname, email, fullname), first_name and last_name (served as AX),
// or AX type URIs.
func DefaultOpenIDUser() map[string]string {
	return map[string]string{
		"nickname": "alice", "email": "alice@example.com", "fullname": "Alice Liddell",
		"first_name": "Alice", "last_name": "Liddell",
	}
}

// axKey maps an AX type URI the fake provider knows to a user attribute
// key.
func axKey(uri string) (string, bool) {
	key, ok := map[string]string{
		"http://axschema.org/contact/email":            "email",
		"http://axschema.org/namePerson":               "fullname",
		"http://axschema.org/namePerson/first":         "first_name",
		"http://axschema.org/namePerson/last":          "last_name",
		"http://axschema.org/namePerson/friendly":      "nickname",
		"http://schema.openid.net/contact/email":       "email",
		"http://schema.openid.net/namePerson":          "fullname",
		"http://schema.openid.net/namePerson/friendly": "nickname",
	}[uri]
	return key, ok
}

// OpenIDOption configures a fake OpenID provider.
type OpenIDOption func(*OpenIDProvider)

// WithOpenIDUser hosts a user; the first one given (or "alice") is chosen
// when the person logs in with the OP identifier.
func WithOpenIDUser(name string, attrs map[string]string) OpenIDOption {
	return func(p *OpenIDProvider) {
		if !p.customUsers {
			p.users, p.selected, p.customUsers = map[string]map[string]string{}, name, true
		}
		p.users[name] = attrs
	}
}

// WithOpenIDTLS serves the provider over https; use HTTPClient for the
// relying party.
func WithOpenIDTLS() OpenIDOption { return func(p *OpenIDProvider) { p.tls = true } }

// WithOpenIDAssocTypes limits the association types the provider accepts
// (HMAC-SHA1, HMAC-SHA256); others get an unsupported-type reply naming
// the first one.
func WithOpenIDAssocTypes(types ...string) OpenIDOption {
	return func(p *OpenIDProvider) { p.assocTypes = types }
}

// WithOpenIDNoEncryptionOnly makes the provider (served over TLS) accept
// only no-encryption association sessions, suggesting that session type
// in its unsupported-type replies.
func WithOpenIDNoEncryptionOnly() OpenIDOption {
	return func(p *OpenIDProvider) { p.tls, p.noEncryptionOnly = true, true }
}

// WithoutOpenIDAssociations makes the provider refuse every association,
// so the relying party must use stateless mode.
func WithoutOpenIDAssociations() OpenIDOption { return func(p *OpenIDProvider) { p.noAssoc = true } }

// OpenIDProvider is a fake OpenID 2.0 provider on an httptest server: it
// serves discovery for the identifiers it hosts (XRDS and HTML), makes
// Diffie-Hellman associations, approves every checkid_setup request at
// once by redirecting to return_to with a signed assertion carrying SREG,
// AX and PAPE, and answers check_authentication. Hostile controls make it
// misbehave. Its methods are safe for concurrent use.
//
// Each user is reachable through several claimed identifiers, one per
// discovery style: [OpenIDProvider.IdentifierURL] (XRDS by content
// negotiation), [OpenIDProvider.YadisURL] (X-XRDS-Location header, with
// an OP-local identifier), [OpenIDProvider.MetaURL] (meta http-equiv) and
// [OpenIDProvider.HTMLURL] (link tags, with an OP-local identifier).
type OpenIDProvider struct {
	// URL is the base URL, without trailing slash.
	URL string

	server      *httptest.Server
	tls         bool
	customUsers bool
	assocTypes  []string
	noAssoc     bool
	// noEncryptionOnly refuses Diffie-Hellman sessions.
	noEncryptionOnly bool
	ctl              controls

	mu           sync.Mutex
	users        map[string]map[string]string
	selected     string
	assocs       map[string]openIDAssoc
	checked      map[string]bool
	lastNonce    string
	wrongKey     bool
	cancel       bool
	setupNeeded  bool
	unsignedExt  bool
	reuseNonce   bool
	forget       bool
	checkInvalid bool
	omitSigned   []string
	alterReturn  func(string) string
	foreignID    string
	nonceTime    func() time.Time
	authTime     time.Time
	expiresIn    int
}

type openIDAssoc struct {
	assocType string
	secret    []byte
	private   bool
}

// NewOpenIDProvider starts a fake OpenID provider closed at the end of the
// test.
func NewOpenIDProvider(t testing.TB, opts ...OpenIDOption) *OpenIDProvider {
	t.Helper()
	p := StartOpenIDProvider(opts...)
	t.Cleanup(p.Close)
	return p
}

// StartOpenIDProvider starts a fake OpenID provider outside of a test
// (examples, tools); the caller must Close it.
func StartOpenIDProvider(opts ...OpenIDOption) *OpenIDProvider {
	p := &OpenIDProvider{
		users:      map[string]map[string]string{"alice": DefaultOpenIDUser()},
		selected:   "alice",
		assocTypes: []string{"HMAC-SHA1", "HMAC-SHA256"},
		assocs:     map[string]openIDAssoc{},
		checked:    map[string]bool{},
		expiresIn:  3600,
	}
	for _, o := range opts {
		o(p)
	}
	p.server = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	if p.tls {
		p.server.StartTLS()
	} else {
		p.server.Start()
	}
	p.URL = p.server.URL
	return p
}

// Close shuts the server down.
func (p *OpenIDProvider) Close() { p.server.Close() }

// HTTPClient returns a client that trusts the provider.
func (p *OpenIDProvider) HTTPClient() *http.Client { return p.server.Client() }

// OPIdentifier is the OP identifier: logging in with it lets the person
// choose the identifier at the provider.
func (p *OpenIDProvider) OPIdentifier() string { return p.URL + OpenIDIdentifierPath }

// EndpointURL is the OP endpoint.
func (p *OpenIDProvider) EndpointURL() string { return p.URL + OpenIDEndpointPath }

// IdentifierURL is a user's claimed identifier discovered by XRDS content
// negotiation (no OP-local identifier); the provider asserts it after an
// OP identifier login.
func (p *OpenIDProvider) IdentifierURL(user string) string { return p.URL + "/openid/id/" + user }

// YadisURL is a claimed identifier whose page names its XRDS document in
// an X-XRDS-Location header; it has an OP-local identifier.
func (p *OpenIDProvider) YadisURL(user string) string { return p.URL + "/openid/yadis/" + user }

// MetaURL is a claimed identifier whose page names its XRDS document in a
// meta http-equiv tag.
func (p *OpenIDProvider) MetaURL(user string) string { return p.URL + "/openid/meta/" + user }

// HTMLURL is a claimed identifier discovered by HTML link tags, with an
// OP-local identifier.
func (p *OpenIDProvider) HTMLURL(user string) string { return p.URL + "/openid/html/" + user }

// LocalID is a user's OP-local identifier.
func (p *OpenIDProvider) LocalID(user string) string { return p.URL + "/openid/local/" + user }

// SelectUser chooses the user asserted after an OP identifier login.
func (p *OpenIDProvider) SelectUser(name string) { p.set(func() { p.selected = name }) }

// SignWithWrongKey signs assertions with a key the relying party does not
// share.
func (p *OpenIDProvider) SignWithWrongKey() { p.set(func() { p.wrongKey = true }) }

// AlterReturnTo rewrites the return_to of assertions (and signs it); the
// browser is still sent to the original one.
func (p *OpenIDProvider) AlterReturnTo(f func(string) string) { p.set(func() { p.alterReturn = f }) }

// ReuseNonce makes every assertion carry the same response nonce.
func (p *OpenIDProvider) ReuseNonce() { p.set(func() { p.reuseNonce = true }) }

// AssertClaimedID makes the provider assert (and sign) a claimed
// identifier it is not authoritative for.
func (p *OpenIDProvider) AssertClaimedID(id string) { p.set(func() { p.foreignID = id }) }

// Cancel answers checkid_setup with openid.mode=cancel.
func (p *OpenIDProvider) Cancel() { p.set(func() { p.cancel = true }) }

// SetupNeeded answers checkid_setup with openid.mode=setup_needed.
func (p *OpenIDProvider) SetupNeeded() { p.set(func() { p.setupNeeded = true }) }

// UnsignedExtensions sends the SREG, AX and PAPE fields outside the
// signature.
func (p *OpenIDProvider) UnsignedExtensions() { p.set(func() { p.unsignedExt = true }) }

// OmitSigned leaves fields (without "openid.") out of openid.signed.
func (p *OpenIDProvider) OmitSigned(fields ...string) {
	p.set(func() { p.omitSigned = append(p.omitSigned, fields...) })
}

// SetNonceTime sets the clock of response nonces.
func (p *OpenIDProvider) SetNonceTime(now func() time.Time) { p.set(func() { p.nonceTime = now }) }

// SetAuthTime sets the PAPE auth_time sent when max_auth_age is asked.
func (p *OpenIDProvider) SetAuthTime(t time.Time) { p.set(func() { p.authTime = t }) }

// SetExpiresIn sets the lifetime of new associations, in seconds.
func (p *OpenIDProvider) SetExpiresIn(seconds int) { p.set(func() { p.expiresIn = seconds }) }

// ForgetAssociations drops every association: the next assertions are
// signed with a private association and carry invalidate_handle.
func (p *OpenIDProvider) ForgetAssociations() {
	p.set(func() {
		p.forget = true
		p.assocs = map[string]openIDAssoc{}
	})
}

// RefuseCheckAuthentication answers every check_authentication with
// is_valid:false.
func (p *OpenIDProvider) RefuseCheckAuthentication() { p.set(func() { p.checkInvalid = true }) }

func (p *OpenIDProvider) set(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
}

// Requests returns a copy of the requests received, oldest first.
func (p *OpenIDProvider) Requests() []Request { return p.ctl.requestsRecorded() }

// RequestsWithMode returns the requests to the endpoint with an
// openid.mode (associate, checkid_setup, check_authentication).
func (p *OpenIDProvider) RequestsWithMode(mode string) []Request {
	var out []Request
	for _, r := range p.Requests() {
		if r.Path == OpenIDEndpointPath && (r.Form.Get("openid.mode") == mode || r.Query.Get("openid.mode") == mode) {
			out = append(out, r)
		}
	}
	return out
}

func (p *OpenIDProvider) serve(w http.ResponseWriter, r *http.Request) {
	rec, _ := p.ctl.intercept(w, r) // no failures are ever queued: no FailNext
	path := r.URL.Path
	switch {
	case path == OpenIDIdentifierPath:
		p.writeXRDS(w, "http://specs.openid.net/auth/2.0/server", "")
	case path == OpenIDEndpointPath:
		p.endpoint(w, r, rec)
	default:
		kind, user, ok := strings.Cut(strings.TrimPrefix(path, "/openid/"), "/")
		p.mu.Lock()
		_, known := p.users[user]
		p.mu.Unlock()
		if !ok || !known {
			http.NotFound(w, r)
			return
		}
		p.identifierPage(w, r, kind, user)
	}
}

// identifierPage serves discovery for a hosted identifier.
func (p *OpenIDProvider) identifierPage(w http.ResponseWriter, r *http.Request, kind, user string) {
	signon := "http://specs.openid.net/auth/2.0/signon"
	page := func(head string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>%s</title>\n<!-- <link rel=\"openid2.provider\" href=\"http://127.0.0.1:1/commented\"> -->\n%s</head><body><link rel=\"openid2.provider\" href=\"http://127.0.0.1:1/in-body\"></body></html>", html.EscapeString(user), head)
	}
	switch kind {
	case "id":
		if strings.Contains(r.Header.Get("Accept"), "application/xrds+xml") {
			p.writeXRDS(w, signon, "")
			return
		}
		page("")
	case "yadis":
		w.Header().Set("X-XRDS-Location", p.URL+"/openid/xrds/"+user)
		page("")
	case "meta":
		page(fmt.Sprintf(`<meta http-equiv="X-XRDS-Location" content="%s/openid/xrds-plain/%s">`, p.URL, user))
	case "xrds":
		p.writeXRDS(w, signon, p.LocalID(user))
	case "xrds-plain":
		p.writeXRDS(w, signon, "")
	case "html":
		page(fmt.Sprintf("<link rel='stylesheet openid2.provider' href=\"%s\" >\n<LINK REL=openid2.local_id HREF=%s>",
			html.EscapeString(p.EndpointURL()), p.LocalID(user)))
	case "local":
		page("")
	default:
		http.NotFound(w, r)
	}
}

// writeXRDS serves an XRDS document whose real service comes after a
// lower-priority decoy.
func (p *OpenIDProvider) writeXRDS(w http.ResponseWriter, serviceType, localID string) {
	w.Header().Set("Content-Type", "application/xrds+xml")
	local := ""
	if localID != "" {
		local = "<LocalID>" + html.EscapeString(localID) + "</LocalID>"
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)">
  <XRD>
    <Service priority="10"><Type>%[1]s</Type><URI>http://127.0.0.1:1/decoy</URI></Service>
    <Service priority="0">
      <Type>%[1]s</Type>
      <Type>http://openid.net/srv/ax/1.0</Type>
      <URI priority="1">%[2]s</URI>
      %[3]s
    </Service>
  </XRD>
</xrds:XRDS>`, serviceType, html.EscapeString(p.EndpointURL()), local)
}

func (p *OpenIDProvider) endpoint(w http.ResponseWriter, r *http.Request, rec Request) {
	msg := rec.Query
	if r.Method == http.MethodPost {
		msg = rec.Form
	}
	switch msg.Get("openid.mode") {
	case "associate":
		p.associate(w, r, msg)
	case "check_authentication":
		p.checkAuthentication(w, msg)
	case "checkid_setup", "checkid_immediate":
		p.checkid(w, r, msg)
	default:
		keyValue(w, http.StatusBadRequest, "ns", openIDNS, "error", "unknown mode")
	}
}

func keyValue(w http.ResponseWriter, status int, kv ...string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	for i := 0; i+1 < len(kv); i += 2 {
		io.WriteString(w, kv[i]+":"+kv[i+1]+"\n")
	}
}

func openIDHash(name string) (func() hash.Hash, int) {
	switch name {
	case "HMAC-SHA1", "DH-SHA1":
		return sha1.New, sha1.Size
	case "HMAC-SHA256", "DH-SHA256":
		return sha256.New, sha256.Size
	}
	return nil, 0
}

func twosComplement(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0] >= 0x80 {
		b = append([]byte{0}, b...)
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func (p *OpenIDProvider) associate(w http.ResponseWriter, r *http.Request, msg url.Values) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.noAssoc {
		keyValue(w, http.StatusBadRequest, "ns", openIDNS, "error", "associations are disabled")
		return
	}
	at, st := msg.Get("openid.assoc_type"), msg.Get("openid.session_type")
	h, size := openIDHash(at)
	sh, _ := openIDHash(st)
	okSession := (st == "no-encryption" && r.TLS != nil) ||
		(!p.noEncryptionOnly && sh != nil && (st == "DH-SHA1") == (at == "HMAC-SHA1"))
	if h == nil || !slices.Contains(p.assocTypes, at) || !okSession {
		suggest := p.assocTypes[0]
		session := "DH-SHA256"
		switch {
		case p.noEncryptionOnly:
			session = "no-encryption"
		case suggest == "HMAC-SHA1":
			session = "DH-SHA1"
		}
		keyValue(w, http.StatusBadRequest, "ns", openIDNS, "error", "unsupported association or session type",
			"error_code", "unsupported-type", "assoc_type", suggest, "session_type", session)
		return
	}
	secret := randomBytes(size)
	handle := "{" + at + "}{" + strconv.FormatInt(time.Now().UnixNano(), 36) + "}" + base64.RawURLEncoding.EncodeToString(randomBytes(6))
	p.assocs[handle] = openIDAssoc{assocType: at, secret: secret}
	reply := []string{"ns", openIDNS, "assoc_handle", handle, "session_type", st, "assoc_type", at,
		"expires_in", strconv.Itoa(p.expiresIn)}
	if st == "no-encryption" {
		keyValue(w, http.StatusOK, append(reply, "mac_key", base64.StdEncoding.EncodeToString(secret))...)
		return
	}
	mod, gen := openIDModulus, big.NewInt(2)
	if m := msg.Get("openid.dh_modulus"); m != "" {
		raw, _ := base64.StdEncoding.DecodeString(m)
		mod = new(big.Int).SetBytes(raw)
	}
	if g := msg.Get("openid.dh_gen"); g != "" {
		raw, _ := base64.StdEncoding.DecodeString(g)
		gen = new(big.Int).SetBytes(raw)
	}
	raw, err := base64.StdEncoding.DecodeString(msg.Get("openid.dh_consumer_public"))
	if err != nil || len(raw) == 0 {
		keyValue(w, http.StatusBadRequest, "ns", openIDNS, "error", "bad dh_consumer_public")
		return
	}
	consumer := new(big.Int).SetBytes(raw)
	priv := new(big.Int).SetBytes(randomBytes(64))
	public := new(big.Int).Exp(gen, priv, mod)
	shared := new(big.Int).Exp(consumer, priv, mod)
	hh := sh()
	hh.Write(twosComplement(shared))
	mask := hh.Sum(nil)
	enc := make([]byte, len(secret))
	for i := range secret {
		enc[i] = secret[i] ^ mask[i]
	}
	keyValue(w, http.StatusOK, append(reply,
		"dh_server_public", base64.StdEncoding.EncodeToString(twosComplement(public)),
		"enc_mac_key", base64.StdEncoding.EncodeToString(enc))...)
}

// signFields computes the signature of the fields listed in
// openid.signed.
func signFields(assocType string, secret []byte, msg url.Values) string {
	h, _ := openIDHash(assocType)
	mac := hmac.New(h, secret)
	for k := range strings.SplitSeq(msg.Get("openid.signed"), ",") {
		io.WriteString(mac, k+":"+msg.Get("openid."+k)+"\n")
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (p *OpenIDProvider) checkAuthentication(w http.ResponseWriter, msg url.Values) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.assocs[msg.Get("openid.assoc_handle")]
	nonce := msg.Get("openid.response_nonce")
	valid := ok && a.private && !p.checkInvalid && !p.checked[nonce] &&
		hmac.Equal([]byte(signFields(a.assocType, a.secret, msg)), []byte(msg.Get("openid.sig")))
	if valid {
		p.checked[nonce] = true
	}
	reply := []string{"ns", openIDNS, "is_valid", strconv.FormatBool(valid)}
	if h := msg.Get("openid.invalidate_handle"); h != "" {
		if a, ok := p.assocs[h]; !ok || a.private {
			reply = append(reply, "invalidate_handle", h)
		}
	}
	keyValue(w, http.StatusOK, reply...)
}

// hostedUser returns the user a claimed identifier belongs to, and the
// OP-local identifier it must come with.
func (p *OpenIDProvider) hostedUser(claimed string) (string, string, bool) {
	rest, ok := strings.CutPrefix(claimed, p.URL+"/openid/")
	if !ok {
		return "", "", false
	}
	kind, user, _ := strings.Cut(rest, "/")
	if _, known := p.users[user]; !known {
		return "", "", false
	}
	switch kind {
	case "id", "meta":
		return user, claimed, true
	case "yadis", "html":
		return user, p.LocalID(user), true
	}
	return "", "", false
}

func (p *OpenIDProvider) checkid(w http.ResponseWriter, r *http.Request, msg url.Values) {
	p.mu.Lock()
	defer p.mu.Unlock()
	returnTo := msg.Get("openid.return_to")
	rt, err := url.Parse(returnTo)
	if err != nil || !rt.IsAbs() {
		http.Error(w, "bad return_to", http.StatusBadRequest)
		return
	}
	out := url.Values{"openid.ns": {openIDNS}}
	redirect := func() {
		q := rt.Query()
		for k, v := range out {
			q[k] = v
		}
		rt.RawQuery = q.Encode()
		http.Redirect(w, r, rt.String(), http.StatusFound)
	}
	switch {
	case p.cancel:
		out.Set("openid.mode", "cancel")
		redirect()
		return
	case p.setupNeeded:
		out.Set("openid.mode", "setup_needed")
		redirect()
		return
	}
	claimed := msg.Get("openid.claimed_id")
	var user, identity string
	if claimed == openIDSelect {
		user = p.selected
		claimed, identity = p.IdentifierURL(user), p.IdentifierURL(user)
	} else {
		var ok bool
		user, identity, ok = p.hostedUser(claimed)
		if !ok || msg.Get("openid.identity") != identity {
			out.Set("openid.mode", "error")
			out.Set("openid.error", "unknown identifier")
			redirect()
			return
		}
	}
	if p.foreignID != "" {
		claimed, identity = p.foreignID, p.foreignID
	}
	attrs := p.users[user]

	handle := msg.Get("openid.assoc_handle")
	a, shared := p.assocs[handle]
	shared = shared && !a.private
	if !shared {
		if handle != "" {
			out.Set("openid.invalidate_handle", handle)
		}
		handle = "{private}" + base64.RawURLEncoding.EncodeToString(randomBytes(12))
		a = openIDAssoc{assocType: "HMAC-SHA256", secret: randomBytes(32), private: true}
		p.assocs[handle] = a
	}
	now := time.Now()
	if p.nonceTime != nil {
		now = p.nonceTime()
	}
	nonce := now.UTC().Format(openIDTimestamp) + base64.RawURLEncoding.EncodeToString(randomBytes(6))
	if p.reuseNonce && p.lastNonce != "" {
		nonce = p.lastNonce
	}
	p.lastNonce = nonce
	if p.alterReturn != nil {
		returnTo = p.alterReturn(returnTo)
	}
	out.Set("openid.mode", "id_res")
	out.Set("openid.op_endpoint", p.EndpointURL())
	out.Set("openid.claimed_id", claimed)
	out.Set("openid.identity", identity)
	out.Set("openid.return_to", returnTo)
	out.Set("openid.response_nonce", nonce)
	out.Set("openid.assoc_handle", handle)
	signed := []string{"op_endpoint", "return_to", "response_nonce", "assoc_handle", "claimed_id", "identity"}
	var ext []string
	extension := func(k, v string) {
		out.Set("openid."+k, v)
		ext = append(ext, k)
	}
	if msg.Get("openid.ns.sreg") == openIDSREG {
		fields := strings.Split(msg.Get("openid.sreg.optional")+","+msg.Get("openid.sreg.required"), ",")
		extension("ns.sreg", openIDSREG)
		for _, f := range fields {
			if v, ok := attrs[f]; ok && f != "" {
				extension("sreg."+f, v)
			}
		}
	}
	if msg.Get("openid.ns.ax") == openIDAX && msg.Get("openid.ax.mode") == "fetch_request" {
		extension("ns.ext1", openIDAX)
		extension("ext1.mode", "fetch_response")
		var aliases []string
		for k := range msg {
			if alias, ok := strings.CutPrefix(k, "openid.ax.type."); ok {
				aliases = append(aliases, alias)
			}
		}
		sort.Strings(aliases)
		for _, alias := range aliases {
			uri := msg.Get("openid.ax.type." + alias)
			v, ok := attrs[uri]
			if key, known := axKey(uri); known && !ok {
				v, ok = attrs[key]
			}
			if !ok {
				continue
			}
			extension("ext1.type."+alias, uri)
			extension("ext1.count."+alias, "1")
			extension("ext1.value."+alias+".1", v)
		}
	}
	if msg.Get("openid.ns.pape") == openIDPAPE && msg.Get("openid.pape.max_auth_age") != "" {
		at := p.authTime
		if at.IsZero() {
			at = now
		}
		extension("ns.pape", openIDPAPE)
		extension("pape.auth_time", at.UTC().Format(openIDTimestamp))
		extension("pape.auth_policies", "http://schemas.openid.net/pape/policies/2007/06/none")
	}
	if !p.unsignedExt {
		signed = append(signed, ext...)
	}
	signed = slices.DeleteFunc(signed, func(k string) bool { return slices.Contains(p.omitSigned, k) })
	out.Set("openid.signed", strings.Join(signed, ","))
	secret := a.secret
	if p.wrongKey {
		secret = randomBytes(len(secret))
	}
	out.Set("openid.sig", signFields(a.assocType, secret, out))
	redirect()
}
