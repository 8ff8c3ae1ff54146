package openid

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// IdentifierParam is the login request parameter that carries the
// identifier a person typed, for backends without a fixed URL.
const IdentifierParam = "openid_identifier"

// StateParam is the return_to query parameter that binds an assertion to
// the browser that began the login.
const StateParam = "state"

// Provider describes an OpenID 2.0 provider to [New]. The zero value is
// the generic backend: the person gives an identifier in the
// openid_identifier parameter of the login request.
type Provider struct {
	// URL is the identifier logins start from: an OP identifier (such as
	// https://login.launchpad.net) or a claimed identifier. The URL setting
	// overrides it.
	URL string
	// Identifier builds the identifier from the login request's parameters
	// and URL, for providers whose identifier depends on the person
	// (LiveJournal). It fails with a socialerr kind, such as
	// AuthMissingParameter.
	Identifier func(params url.Values, baseURL string) (string, error)
	// UsernameKey is the default of the USERNAME_KEY setting: the response
	// value that becomes the username.
	UsernameKey string
	// ExtraData is the default of the EXTRA_DATA setting.
	ExtraData []oauth2.ExtraField
	// Hooks customise the identity.
	Hooks Hooks
}

// Hooks let a provider adapt the identity built from a verified
// assertion. Every field is optional.
type Hooks struct {
	// UID returns the account's uid; the default is the claimed
	// identifier.
	UID func(a *Assertion) (string, error)
	// UserData adds the provider's own data to the response, after the
	// assertion was verified and the uid chosen.
	UserData func(ctx context.Context, c *Caller, a *Assertion, uid string, resp map[string]any) error
	// MapDetails adjusts the details built from the response.
	MapDetails func(resp map[string]any, d *backend.Details)
}

// Assertion is a verified positive assertion.
type Assertion struct {
	// ClaimedID is the verified claimed identifier, as the OP sent it
	// (with its fragment, if any).
	ClaimedID string
	// Identity is the OP-local identifier.
	Identity string
	// OPEndpoint is the OP endpoint that signed the assertion.
	OPEndpoint string
	// SREG holds the signed Simple Registration fields.
	SREG map[string]string
	// AX holds the signed Attribute Exchange values by type URI.
	AX map[string][]string
	// AuthTime is PAPE's auth_time, when the OP sent it signed.
	AuthTime time.Time
	// Signed holds every signed field, without the "openid." prefix.
	Signed map[string]string
}

// The setting names the protocol reads.
const (
	SettingURL                  = "URL"
	SettingUsernameKey          = "USERNAME_KEY"
	SettingSREGExtraData        = "SREG_EXTRA_DATA"
	SettingAXExtraData          = "AX_EXTRA_DATA"
	SettingExtraData            = "EXTRA_DATA"
	SettingAXSchemaAttrs        = "AX_SCHEMA_ATTRS"
	SettingIgnoreDefaultAXAttrs = "IGNORE_DEFAULT_AX_ATTRS"
	SettingPAPEMaxAuthAge       = "OPENID_PAPE_MAX_AUTH_AGE"
)

// CommonSettings returns the setting names (without prefix) that [New]
// reads for every backend, in a fresh slice.
func CommonSettings() []string {
	return []string{SettingURL, SettingUsernameKey, SettingSREGExtraData, SettingAXExtraData,
		SettingExtraData, SettingAXSchemaAttrs, SettingIgnoreDefaultAXAttrs, SettingPAPEMaxAuthAge}
}

// NonceMaxAge is how far a response nonce's time may be from the clock.
const NonceMaxAge = 5 * time.Minute

// openidBackend is an OpenID 2.0 relying party.
type openidBackend struct {
	name        string
	baseURL     string
	provider    Provider
	usernameKey string
	sregExtra   []oauth2.ExtraField
	axExtra     []oauth2.ExtraField
	extraData   []oauth2.ExtraField
	axAttrs     []axAttr
	sregFields  []string
	maxAuthAge  int // seconds; 0 disables PAPE
	http        *client
	logger      *slog.Logger
	now         func() time.Time
	nonces      store.NonceStore
	assocs      store.OpenIDAssociationStore
	// allowHTTP accepts OP endpoints over plain HTTP on other hosts than
	// loopback ones (UNSAFE_ALLOW_HTTP_ENDPOINTS).
	allowHTTP bool
}

// New builds an OpenID 2.0 backend named cfg.Name for provider p, reading
// the backend's settings (see the package documentation). cfg.Nonces and
// cfg.OpenIDAssociations are required. It returns every malformed setting
// at once.
func New(cfg backend.Config, p Provider) (backend.Backend, error) {
	name := cmp.Or(cfg.Name, cfg.Settings.Name())
	if name == "" {
		return nil, errors.New("openid: backend name is empty")
	}
	r := &settingsReader{cfg: cfg, name: name}
	b := &openidBackend{name: name, provider: p, logger: cfg.Logger, now: cfg.Now,
		nonces: cfg.Nonces, assocs: cfg.OpenIDAssociations,
		allowHTTP: cfg.Settings.Bool("UNSAFE_ALLOW_HTTP_ENDPOINTS", false)}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.baseURL = strings.TrimSpace(r.own(SettingURL, p.URL))
	if b.baseURL != "" && p.Identifier == nil {
		if _, err := NormalizeIdentifier(b.baseURL); err != nil {
			r.add(SettingURL, err)
		}
	}
	b.usernameKey = r.str(SettingUsernameKey, p.UsernameKey)
	b.sregExtra = r.fields(SettingSREGExtraData, nil)
	b.axExtra = r.fields(SettingAXExtraData, nil)
	b.extraData = r.fields(SettingExtraData, p.ExtraData)
	b.axAttrs = axAttributes(r.boolean(SettingIgnoreDefaultAXAttrs), r.fields(SettingAXSchemaAttrs, nil), b.axExtra)
	b.sregFields = sregFields(b.sregExtra)
	b.maxAuthAge = r.integer(SettingPAPEMaxAuthAge)
	if b.maxAuthAge < 0 {
		r.add(SettingPAPEMaxAuthAge, errors.New("must not be negative"))
	}
	if b.nonces == nil || b.assocs == nil {
		r.errs = append(r.errs, errors.New("the Nonces and OpenIDAssociations stores are required"))
	}
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("openid: backend %s: %w", name, errors.Join(r.errs...))
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	b.http = &client{backend: name, http: httpClient, userAgent: cmp.Or(cfg.UserAgent, "socialauth")}
	return b, nil
}

// Name implements backend.Backend.
func (b *openidBackend) Name() string { return b.name }

// identifier returns the identifier a login starts from.
func (b *openidBackend) identifier(params url.Values) (string, error) {
	raw := b.baseURL
	if b.provider.Identifier != nil {
		var err error
		if raw, err = b.provider.Identifier(params, b.baseURL); err != nil {
			return "", err
		}
	} else if raw == "" {
		raw = strings.TrimSpace(params.Get(IdentifierParam))
		if raw == "" {
			return "", socialerr.Missing(b.name, IdentifierParam)
		}
	}
	id, err := NormalizeIdentifier(raw)
	switch {
	case errors.Is(err, ErrXRI):
		return "", socialerr.Wrap(socialerr.AuthFailed, b.name, err, "XRI identifiers (=name, @name) are not supported: use a URL")
	case err != nil:
		return "", socialerr.Wrap(socialerr.AuthFailed, b.name, err, "this OpenID identifier is not a valid URL")
	}
	return id, nil
}

// Stash keys.
const (
	stashState    = "state"
	stashEndpoint = "endpoint"
	stashClaimed  = "claimed_id"
	stashLocal    = "local_id"
	stashReturnTo = "return_to"
)

// Begin discovers the provider, associates with it and sends the browser
// to it with a checkid_setup request.
func (b *openidBackend) Begin(ctx context.Context, req *backend.BeginRequest) (*backend.BeginResult, error) {
	if req.State == "" {
		return nil, errors.New("openid: Begin needs a state")
	}
	id, err := b.identifier(req.Params)
	if err != nil {
		return nil, err
	}
	services, err := b.discover(ctx, id)
	if err != nil {
		return nil, err
	}
	svc := services[0]
	assoc, err := b.association(ctx, svc.Endpoint)
	if err != nil {
		return nil, err
	}
	returnTo, realm, err := returnToURL(req.RedirectURI, req.State)
	if err != nil {
		return nil, err
	}
	msg := url.Values{
		"openid.ns":        {NSOpenID2},
		"openid.mode":      {"checkid_setup"},
		"openid.return_to": {returnTo},
		"openid.realm":     {realm},
	}
	if svc.opIdentifier() {
		msg.Set("openid.claimed_id", IdentifierSelect)
		msg.Set("openid.identity", IdentifierSelect)
	} else {
		msg.Set("openid.claimed_id", svc.ClaimedID)
		msg.Set("openid.identity", svc.identity())
	}
	if assoc != nil {
		msg.Set("openid.assoc_handle", assoc.Handle)
	}
	b.extensionRequest(msg)
	target, err := url.Parse(svc.Endpoint)
	if err != nil {
		return nil, err
	}
	q := target.Query()
	for k, v := range msg {
		q[k] = v
	}
	target.RawQuery = q.Encode()
	return &backend.BeginResult{
		RedirectURL: target.String(),
		Stash: backend.Stash{
			stashState:    req.State,
			stashEndpoint: svc.Endpoint,
			stashClaimed:  svc.ClaimedID,
			stashLocal:    svc.LocalID,
			stashReturnTo: returnTo,
		},
	}, nil
}

// returnToURL adds the state to the callback URL; the realm is the
// callback's origin.
func returnToURL(redirectURI, state string) (string, string, error) {
	u, err := url.Parse(redirectURI)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return "", "", fmt.Errorf("openid: redirect URI %q is not absolute", redirectURI)
	}
	q := u.Query()
	q.Set(StateParam, state)
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return u.String(), u.Scheme + "://" + u.Host + "/", nil
}

// Complete verifies the OP's reply against what Begin remembered and
// returns the identity it asserts.
func (b *openidBackend) Complete(ctx context.Context, req *backend.CompleteRequest) (*backend.Identity, error) {
	if req.Stash == nil || req.Stash[stashState] == "" {
		return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
	}
	got := req.Params.Get(StateParam)
	if got == "" {
		return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(req.Stash[stashState])) != 1 {
		return nil, socialerr.New(socialerr.AuthStateForbidden, b.name, "")
	}
	if ns := single(req.Params, "openid.ns"); ns != NSOpenID2 {
		return nil, b.refuse(fmt.Errorf("%w: openid.ns %q", ErrNotOpenID2, truncate(ns, 80)), "")
	}
	switch mode := single(req.Params, "openid.mode"); mode {
	case "id_res":
	case "cancel":
		return nil, socialerr.New(socialerr.AuthCanceled, b.name, "")
	case "setup_needed":
		return nil, b.refuse(ErrSetupNeeded, "the provider could not log you in without asking you")
	case "error":
		return nil, b.refuse(fmt.Errorf("%w: %s", ErrProviderError, truncate(single(req.Params, "openid.error"), 200)), "the provider reported an error")
	default:
		return nil, b.refuse(fmt.Errorf("%w: openid.mode %q", ErrNotOpenID2, truncate(mode, 40)), "")
	}
	a, err := b.verify(ctx, req)
	if err != nil {
		return nil, err
	}
	return b.identity(ctx, a)
}

// refuse returns an AuthFailed error for an assertion that does not
// verify.
func (b *openidBackend) refuse(cause error, message string) error {
	return socialerr.Wrap(socialerr.AuthFailed, b.name, cause, message)
}

// settingsReader reads one backend's settings and collects every problem.
type settingsReader struct {
	cfg  backend.Config
	name string
	errs []error
}

func (r *settingsReader) add(name string, err error) {
	r.errs = append(r.errs, &oauth2.SettingError{Name: oauth2.SettingName(r.name, name), Err: err})
}

func (r *settingsReader) str(name, def string) string {
	v, err := r.cfg.Settings.Settings().StringE(r.name, name, def)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	return v
}

// own reads a string setting only under the backend's own name.
func (r *settingsReader) own(name, def string) string {
	if _, foundAs, ok := r.cfg.Settings.Settings().Lookup(r.name, name); !ok || foundAs != oauth2.SettingName(r.name, name) {
		return def
	}
	return r.str(name, def)
}

func (r *settingsReader) boolean(name string) bool {
	v, err := r.cfg.Settings.Settings().BoolE(r.name, name, false)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	return v
}

func (r *settingsReader) integer(name string) int {
	v, err := r.cfg.Settings.Settings().IntE(r.name, name, 0)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	return v
}

// fields reads a list of names, or of [name, alias] / [name, alias,
// discard] tuples.
func (r *settingsReader) fields(name string, def []oauth2.ExtraField) []oauth2.ExtraField {
	var raw []any
	ok, err := r.cfg.Settings.Settings().Decode(r.name, name, &raw)
	if err != nil {
		// A comma-separated environment value is a list of names.
		if v, serr := r.cfg.Settings.Settings().StringsE(r.name, name, nil); serr == nil {
			out := make([]oauth2.ExtraField, 0, len(v))
			for _, n := range v {
				out = append(out, oauth2.ExtraField{Name: n, Alias: n})
			}
			return out
		}
		r.add(name, err)
		return def
	}
	if !ok {
		return def
	}
	out := make([]oauth2.ExtraField, 0, len(raw))
	for i, item := range raw {
		var f oauth2.ExtraField
		switch x := item.(type) {
		case string:
			f.Name, f.Alias = x, x
		case []any:
			if len(x) < 1 || len(x) > 3 {
				r.add(name, fmt.Errorf("item %d: want [name], [name, alias] or [name, alias, discard]", i))
				continue
			}
			f.Name, _ = x[0].(string)
			f.Alias = f.Name
			if len(x) >= 2 {
				alias, ok := x[1].(string)
				if !ok {
					r.add(name, fmt.Errorf("item %d: alias must be a string", i))
					continue
				}
				f.Alias = cmp.Or(alias, f.Name)
			}
			if len(x) == 3 {
				d, ok := x[2].(bool)
				if !ok {
					r.add(name, fmt.Errorf("item %d: discard flag must be a boolean", i))
					continue
				}
				f.Discard = d
			}
		default:
			r.add(name, fmt.Errorf("item %d: want a name or a list, got %T", i, item))
			continue
		}
		if f.Name == "" {
			r.add(name, fmt.Errorf("item %d: empty name", i))
			continue
		}
		out = append(out, f)
	}
	return out
}

// parseNonce splits a response nonce into its time and its unique part.
func parseNonce(nonce string) (time.Time, string, error) {
	const stamp = len("2006-01-02T15:04:05Z")
	if len(nonce) < stamp || len(nonce) > 255 {
		return time.Time{}, "", errors.New("bad length")
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", nonce[:stamp])
	if err != nil {
		return time.Time{}, "", err
	}
	for i := 0; i < len(nonce); i++ {
		if nonce[i] < 33 || nonce[i] > 126 {
			return time.Time{}, "", errors.New("bad character")
		}
	}
	return t, nonce[stamp:], nil
}

// useNonce refuses a nonce too far from the clock or already used.
func (b *openidBackend) useNonce(ctx context.Context, endpoint, nonce string) error {
	t, salt, err := parseNonce(nonce)
	if err != nil {
		return b.refuse(fmt.Errorf("%w: %w", ErrBadNonce, err), "")
	}
	if d := b.now().Sub(t); d > NonceMaxAge || d < -NonceMaxAge {
		return b.refuse(fmt.Errorf("%w: issued at %s", ErrStaleNonce, t.Format(time.RFC3339)), "the provider's reply is too old")
	}
	err = b.nonces.UseNonce(ctx, store.Nonce{ServerURL: endpoint, Timestamp: t.Unix(), Salt: salt})
	switch {
	case errors.Is(err, store.ErrConflict):
		return b.refuse(fmt.Errorf("%w: %w", ErrReplayedNonce, err), "this reply was already used")
	case err != nil:
		return fmt.Errorf("openid: recording a nonce: %w", err)
	}
	return nil
}

// itoa is strconv.Itoa, named for the extension request code.
func itoa(n int) string { return strconv.Itoa(n) }
