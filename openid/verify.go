package openid

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// Causes of a refused reply. The error returned by Complete is a
// *socialerr.Error of kind AuthFailed (AuthCanceled for a cancelled login,
// AuthStateMissing/AuthStateForbidden for a reply that is not this
// browser's) that wraps one of these.
var (
	ErrNotOpenID2         = errors.New("openid: not an OpenID 2.0 positive assertion")
	ErrSetupNeeded        = errors.New("openid: the OP answered setup_needed")
	ErrProviderError      = errors.New("openid: the OP answered with an error")
	ErrReturnToMismatch   = errors.New("openid: return_to does not match this callback")
	ErrEndpointMismatch   = errors.New("openid: op_endpoint is not the discovered one")
	ErrUnsignedField      = errors.New("openid: a required field is not signed")
	ErrBadSignature       = errors.New("openid: bad signature")
	ErrBadNonce           = errors.New("openid: malformed response nonce")
	ErrStaleNonce         = errors.New("openid: response nonce too old or in the future")
	ErrReplayedNonce      = errors.New("openid: response nonce already used")
	ErrNotAuthoritative   = errors.New("openid: the OP is not authoritative for the claimed identifier")
	ErrAuthAgeExceeded    = errors.New("openid: the authentication is older than the PAPE max_auth_age")
	ErrMissingAssertion   = errors.New("openid: the assertion lacks a required field")
	ErrCheckAuthRefused   = errors.New("openid: the OP did not confirm the assertion")
	ErrMalformedAssertion = errors.New("openid: malformed assertion")
)

// verify checks a positive assertion as OpenID 2.0 section 11 says:
// return_to, the OP endpoint, the signed fields, the signature (with the
// association, or by asking the OP), the nonce and the discovered
// information.
func (b *openidBackend) verify(ctx context.Context, req *backend.CompleteRequest) (*Assertion, error) {
	p := req.Params
	for k, vs := range p {
		if strings.HasPrefix(k, "openid.") && len(vs) != 1 {
			return nil, b.refuse(fmt.Errorf("%w: %s repeated", ErrMalformedAssertion, k), "")
		}
	}
	if err := b.checkReturnTo(req); err != nil {
		return nil, err
	}
	endpoint := req.Stash[stashEndpoint]
	if got := single(p, "openid.op_endpoint"); got == "" || got != endpoint {
		return nil, b.refuse(fmt.Errorf("%w: %q", ErrEndpointMismatch, truncate(got, 200)), "")
	}
	claimed, identity := single(p, "openid.claimed_id"), single(p, "openid.identity")
	if claimed == "" || identity == "" || claimed == IdentifierSelect || identity == IdentifierSelect {
		return nil, b.refuse(fmt.Errorf("%w: claimed_id and identity", ErrMissingAssertion), "")
	}
	signed := strings.Split(single(p, "openid.signed"), ",")
	seen := map[string]bool{}
	for _, k := range signed {
		if k == "" || seen[k] {
			return nil, b.refuse(fmt.Errorf("%w: openid.signed %q", ErrMalformedAssertion, truncate(single(p, "openid.signed"), 200)), "")
		}
		seen[k] = true
	}
	for _, k := range []string{"op_endpoint", "return_to", "response_nonce", "assoc_handle", "claimed_id", "identity"} {
		if !seen[k] {
			return nil, b.refuse(fmt.Errorf("%w: %s", ErrUnsignedField, k), "")
		}
	}
	payload, err := signingPayload(p, signed)
	if err != nil {
		return nil, b.refuse(fmt.Errorf("%w: %w", ErrMalformedAssertion, err), "")
	}
	if err := b.checkSignature(ctx, endpoint, p, payload); err != nil {
		return nil, err
	}
	if err := b.useNonce(ctx, endpoint, single(p, "openid.response_nonce")); err != nil {
		return nil, err
	}
	if err := b.checkClaimedID(ctx, req.Stash, endpoint, claimed, identity); err != nil {
		return nil, err
	}
	a := &Assertion{ClaimedID: claimed, Identity: identity, OPEndpoint: endpoint, Signed: map[string]string{}}
	for _, k := range signed {
		a.Signed[k] = single(p, "openid."+k)
	}
	if err := b.readExtensions(a); err != nil {
		return nil, err
	}
	return a, nil
}

// checkReturnTo refuses an assertion whose return_to is not the URL Begin
// sent, or whose query parameters are not those of this request.
func (b *openidBackend) checkReturnTo(req *backend.CompleteRequest) error {
	raw := single(req.Params, "openid.return_to")
	mismatch := func(why string) error {
		return b.refuse(fmt.Errorf("%w: %s", ErrReturnToMismatch, why), "")
	}
	if raw == "" || raw != req.Stash[stashReturnTo] {
		return mismatch("not the URL sent to the OP")
	}
	rt, err := url.Parse(raw)
	if err != nil {
		return mismatch("unparseable")
	}
	cb, err := url.Parse(req.RedirectURI)
	if err != nil {
		return mismatch("bad callback URL")
	}
	if !strings.EqualFold(rt.Scheme, cb.Scheme) || !strings.EqualFold(rt.Host, cb.Host) || rt.Path != cb.Path {
		return mismatch("another callback")
	}
	current := req.Params
	if req.Request != nil {
		current = req.Request.URL.Query()
	}
	for k, want := range rt.Query() {
		if !slices.Equal(current[k], want) {
			return mismatch("query parameter " + k + " differs")
		}
	}
	return nil
}

// checkSignature verifies the signature with the stored association of
// the handle, or asks the OP (check_authentication) when the handle is
// unknown or expired, removing an association the OP invalidates.
func (b *openidBackend) checkSignature(ctx context.Context, endpoint string, p url.Values, payload []byte) error {
	handle := single(p, "openid.assoc_handle")
	if !validHandle(handle) {
		return b.refuse(fmt.Errorf("%w: assoc_handle", ErrMalformedAssertion), "")
	}
	list, err := b.assocs.OpenIDAssociations(ctx, endpoint, handle)
	if err != nil {
		return fmt.Errorf("openid: reading associations: %w", err)
	}
	var assoc *store.OpenIDAssociation
	for _, a := range list {
		if a.Handle != handle || a.ServerURL != endpoint {
			continue
		}
		if a.Expired(b.now()) {
			if err := b.assocs.RemoveOpenIDAssociations(ctx, []string{a.ID}); err != nil {
				return fmt.Errorf("openid: removing an expired association: %w", err)
			}
			continue
		}
		assoc = a
	}
	if assoc == nil {
		return b.checkAuthentication(ctx, endpoint, p)
	}
	sig, err := base64.StdEncoding.DecodeString(single(p, "openid.sig"))
	if err != nil {
		return b.refuse(fmt.Errorf("%w: sig is not base64", ErrBadSignature), "")
	}
	want, err := sign(assoc.AssocType, assoc.Secret, payload)
	if err != nil {
		return b.refuse(fmt.Errorf("%w: %w", ErrBadSignature, err), "")
	}
	if subtle.ConstantTimeCompare(sig, want) != 1 {
		return b.refuse(ErrBadSignature, "")
	}
	return nil
}

// checkAuthentication asks the OP whether it signed the assertion
// (stateless mode, OpenID 2.0 section 11.4.2).
func (b *openidBackend) checkAuthentication(ctx context.Context, endpoint string, p url.Values) error {
	form := url.Values{}
	for k, vs := range p {
		if strings.HasPrefix(k, "openid.") {
			form[k] = vs
		}
	}
	form.Set("openid.mode", "check_authentication")
	r, err := b.http.post(ctx, endpoint, form)
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return b.http.asError(r, socialerr.AuthFailed, ErrCheckAuthRefused)
	}
	kv, err := parseKeyValue(r.body)
	if err != nil {
		return b.http.asError(r, socialerr.AuthFailed, fmt.Errorf("%w: %w", ErrCheckAuthRefused, err))
	}
	if kv["ns"] != NSOpenID2 || kv["is_valid"] != "true" {
		return b.refuse(ErrCheckAuthRefused, "")
	}
	if h := kv["invalidate_handle"]; h != "" && h == single(p, "openid.invalidate_handle") {
		b.forget(ctx, endpoint, h)
	}
	return nil
}

// forget removes an association the OP says is no longer valid.
func (b *openidBackend) forget(ctx context.Context, endpoint, handle string) {
	list, err := b.assocs.OpenIDAssociations(ctx, endpoint, handle)
	if err != nil {
		b.logger.WarnContext(ctx, "openid: reading associations", "error", err)
		return
	}
	var ids []string
	for _, a := range list {
		if a.Handle == handle {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) > 0 {
		if err := b.assocs.RemoveOpenIDAssociations(ctx, ids); err != nil {
			b.logger.WarnContext(ctx, "openid: removing an invalidated association", "error", err)
		}
	}
}

// checkClaimedID verifies that the OP may assert the claimed identifier
// (OpenID 2.0 section 11.2): what Begin discovered when the claimed
// identifier is the one requested, a fresh discovery otherwise.
func (b *openidBackend) checkClaimedID(ctx context.Context, stash map[string]string, endpoint, claimed, identity string) error {
	bare := stripFragment(claimed)
	if requested := stash[stashClaimed]; requested != "" && bare == requested {
		want := requested
		if local := stash[stashLocal]; local != "" {
			want = local
		}
		if identity != want {
			return b.refuse(fmt.Errorf("%w: identity %q", ErrNotAuthoritative, truncate(identity, 200)), "the provider is not allowed to assert this identifier")
		}
		return nil
	}
	notAuthoritative := func(cause error) error {
		return b.refuse(fmt.Errorf("%w: %s: %w", ErrNotAuthoritative, truncate(bare, 200), cause), "the provider is not allowed to assert this identifier")
	}
	norm, err := NormalizeIdentifier(bare)
	if err != nil || norm != bare {
		return notAuthoritative(errors.New("not a normalised URL identifier"))
	}
	services, err := b.discover(ctx, bare)
	if err != nil {
		return notAuthoritative(err)
	}
	for _, s := range services {
		if !s.opIdentifier() && s.ClaimedID == bare && s.Endpoint == endpoint && s.identity() == identity {
			return nil
		}
	}
	return notAuthoritative(errors.New("discovery does not name this OP"))
}
