package oauth2

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/internal/provider"
	"github.com/socialauth/socialauth/socialerr"
)

// Stash keys.
const (
	stashState       = "state"
	stashVerifier    = "verifier"
	stashRedirectURI = "redirect_uri"
)

// oauth2Backend is the backend New returns.
type oauth2Backend struct {
	name         string
	clientID     string
	clientSecret string

	authorizationURL string
	accessTokenURL   string
	refreshTokenURL  string
	revokeTokenURL   string

	scope          []string
	scopeSeparator string
	scopeParameter string
	responseType   string
	authExtra      map[string]string

	stateParameter bool
	redirectState  bool
	pkce           bool

	tokenAuth   TokenAuthMethod
	tokenMethod string

	idKey     string
	details   DetailsMapping
	extraData []provider.ExtraField
	hooks     Hooks

	// unsafeClientTokens accepts client SDK tokens without checking whom
	// they were issued to (UNSAFE_CLIENT_TOKEN_WITHOUT_AUDIENCE_CHECK).
	unsafeClientTokens bool

	caller *Caller
	logger *slog.Logger
	now    func() time.Time
}

var (
	_ backend.Backend   = (*oauth2Backend)(nil)
	_ backend.Refresher = (*oauth2Backend)(nil)
	_ backend.Revoker   = (*oauth2Backend)(nil)

	_ backend.TokenAuthenticator = (*oauth2Backend)(nil)
)

// Name implements backend.Backend.
func (b *oauth2Backend) Name() string { return b.name }

// checksState reports whether the reply carries a state to check.
func (b *oauth2Backend) checksState() bool { return b.stateParameter || b.redirectState }

// Begin implements backend.Backend: it returns the authorization URL and
// stashes the state, the PKCE verifier and the redirect URI sent.
func (b *oauth2Backend) Begin(ctx context.Context, req *backend.BeginRequest) (*backend.BeginResult, error) {
	if req == nil || req.RedirectURI == "" {
		return nil, socialerr.Missing(b.name, "redirect_uri")
	}
	state := req.State
	if state == "" {
		state = randomToken()
	}
	ends, err := b.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	stash := backend.Stash{}
	redirectURI := req.RedirectURI
	q := url.Values{}
	if len(b.scope) > 0 {
		q.Set(b.scopeParameter, strings.Join(b.scope, b.scopeSeparator))
	}
	for k, v := range b.authExtra {
		q.Set(k, v)
	}
	if b.hooks.AuthorizationParams != nil {
		if err := b.hooks.AuthorizationParams(ctx, req, q, stash); err != nil {
			return nil, err
		}
	}
	q.Set("client_id", b.clientID)
	q.Set("response_type", b.responseType)
	switch {
	case b.stateParameter:
		q.Set("state", state)
		stash[stashState] = state
	case b.redirectState:
		u, err := url.Parse(redirectURI)
		if err != nil {
			return nil, socialerr.Wrap(socialerr.AuthFailed, b.name, err, "invalid redirect URI")
		}
		rq := u.Query()
		rq.Set("redirect_state", state)
		u.RawQuery = rq.Encode()
		redirectURI = u.String()
		stash[stashState] = state
	}
	q.Set("redirect_uri", redirectURI)
	stash[stashRedirectURI] = redirectURI
	if b.pkce {
		verifier := randomToken()
		sum := sha256.Sum256([]byte(verifier))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
		stash[stashVerifier] = verifier
	}
	u, err := url.Parse(ends.Authorization)
	if err != nil { // validated by New or the Endpoints hook
		return nil, socialerr.Wrap(socialerr.AuthUnknownError, b.name, err, "")
	}
	existing := u.Query()
	for k, vs := range q {
		existing[k] = vs
	}
	u.RawQuery = existing.Encode()
	return &backend.BeginResult{RedirectURL: u.String(), Stash: stash}, nil
}

// Complete implements backend.Backend.
func (b *oauth2Backend) Complete(ctx context.Context, req *backend.CompleteRequest) (*backend.Identity, error) {
	if req == nil {
		return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
	}
	params := req.Params
	if code := params.Get("error"); code != "" {
		pe := &socialerr.ProviderError{Kind: socialerr.AuthFailed, Backend: b.name,
			Endpoint: stripQuery(b.authorizationURL), Code: code,
			Description: params.Get("error_description"), URI: params.Get("error_uri")}
		if code == "access_denied" {
			pe.Kind = socialerr.AuthCanceled
		}
		return nil, pe
	}
	if req.Stash == nil {
		return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
	}
	if b.checksState() {
		want := req.Stash[stashState]
		param := "state"
		if !b.stateParameter {
			param = "redirect_state"
		}
		got := params.Get(param)
		if want == "" || got == "" {
			return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return nil, socialerr.New(socialerr.AuthStateForbidden, b.name, "")
		}
	}
	if b.hooks.CheckCallback != nil {
		if err := b.hooks.CheckCallback(ctx, req); err != nil {
			return nil, err
		}
	}
	code := params.Get("code")
	if code == "" {
		return nil, socialerr.Missing(b.name, "code")
	}
	form := url.Values{}
	form.Set("grant_type", "authorization_code")
	form.Set("code", code)
	form.Set("redirect_uri", cmp.Or(req.Stash[stashRedirectURI], req.RedirectURI))
	if b.pkce {
		verifier := req.Stash[stashVerifier]
		if verifier == "" {
			return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
		}
		form.Set("code_verifier", verifier)
	}
	ends, err := b.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := b.tokenRequest(ctx, ends.Token, form)
	if err != nil {
		return nil, err
	}
	if b.hooks.LoginData != nil {
		resp, err := b.hooks.LoginData(ctx, b.callerFor(ends), tok, req)
		if err != nil {
			return nil, err
		}
		return b.identityFrom(tok, resp)
	}
	return b.identity(ctx, b.callerFor(ends), tok)
}

// endpoints returns the endpoints for one call: the configured ones, with
// those a Hooks.Endpoints hook returns in their place.
func (b *oauth2Backend) endpoints(ctx context.Context) (Endpoints, error) {
	e := Endpoints{Authorization: b.authorizationURL, Token: b.accessTokenURL, Refresh: b.refreshTokenURL,
		Revoke: b.revokeTokenURL, UserData: b.caller.userDataURL}
	if b.hooks.Endpoints == nil {
		return e, nil
	}
	found, err := b.hooks.Endpoints(ctx)
	if err != nil {
		return e, err
	}
	e.Authorization = cmp.Or(found.Authorization, e.Authorization)
	e.Token = cmp.Or(found.Token, e.Token)
	e.Refresh = cmp.Or(found.Refresh, e.Refresh)
	e.Revoke = cmp.Or(found.Revoke, e.Revoke)
	e.UserData = cmp.Or(found.UserData, e.UserData)
	if e.Authorization == "" || e.Token == "" {
		return e, socialerr.New(socialerr.AuthUnknownError, b.name, "the provider has no authorization or token endpoint")
	}
	return e, nil
}

// callerFor returns the backend's Caller, with the user data URL of ends.
func (b *oauth2Backend) callerFor(ends Endpoints) *Caller {
	if ends.UserData == b.caller.userDataURL {
		return b.caller
	}
	c := *b.caller
	c.userDataURL = ends.UserData
	return &c
}

// identity fetches the user data for tok and builds the Identity.
func (b *oauth2Backend) identity(ctx context.Context, c *Caller, tok *backend.Token) (*backend.Identity, error) {
	var resp map[string]any
	var err error
	if b.hooks.UserData != nil {
		resp, err = b.hooks.UserData(ctx, c, tok)
	} else {
		resp, err = c.UserData(ctx, tok)
	}
	if err != nil {
		return nil, err
	}
	return b.identityFrom(tok, resp)
}

// identityFrom builds the Identity of tok from user data already fetched.
func (b *oauth2Backend) identityFrom(tok *backend.Token, resp map[string]any) (*backend.Identity, error) {
	if resp == nil {
		resp = map[string]any{}
	}
	extra, keep := b.loadExtraData(resp, tok)
	return provider.NewIdentity(b.name, b.idKey, resp, b.mapDetails(resp), b.hooks.UID, tok, extra, keep)
}

// tokenRequest calls a token endpoint with client authentication and
// parses the token reply.
func (b *oauth2Backend) tokenRequest(ctx context.Context, endpoint string, form url.Values) (*backend.Token, error) {
	header, err := b.authenticateClient(ctx, endpoint, form)
	if err != nil {
		return nil, err
	}
	reply, err := send(ctx, b.caller.client, b.name, b.caller.userAgent, b.tokenMethod, endpoint, header, form)
	if err != nil {
		return nil, err
	}
	fields, perr := parseFields(reply.Header.Get("Content-Type"), reply.Body)
	if !reply.OK() || (perr == nil && fields["error"] != nil && fields["error"] != "") {
		return nil, reply.AsError(socialerr.AuthTokenError)
	}
	if perr != nil {
		pe := reply.AsError(socialerr.AuthUnknownError)
		pe.Err = perr
		return nil, pe
	}
	tok := &backend.Token{
		AccessToken:  stringField(fields, "access_token"),
		TokenType:    stringField(fields, "token_type"),
		RefreshToken: stringField(fields, "refresh_token"),
		Raw:          fields,
	}
	if tok.AccessToken == "" {
		pe := reply.AsError(socialerr.AuthTokenError)
		pe.Err = errors.New("no access_token in the token reply")
		return nil, pe
	}
	if secs, ok := integer(fields["expires_in"]); ok && secs > 0 {
		tok.Expiry = b.now().Add(time.Duration(secs) * time.Second)
	}
	return tok, nil
}

// Refresh implements backend.Refresher: a refresh_token grant at the
// refresh URL (the token URL when none). When the reply has no new
// refresh token, the one given is kept in the result.
func (b *oauth2Backend) Refresh(ctx context.Context, refreshToken string) (*backend.Token, error) {
	if refreshToken == "" {
		return nil, socialerr.Missing(b.name, "refresh_token")
	}
	form := url.Values{}
	form.Set("grant_type", "refresh_token")
	form.Set("refresh_token", refreshToken)
	ends, err := b.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := b.tokenRequest(ctx, cmp.Or(ends.Refresh, ends.Token), form)
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}

// Revoke implements backend.Revoker. With a Revoke hook it runs the hook.
// Otherwise it sends the association's access token to the revocation URL
// (RFC 7009) with client authentication. A backend without a revocation
// URL has nothing to call: Revoke returns nil, as python-social-auth does,
// and logs it at debug level. An association without an access token has
// nothing to revoke either: nil.
func (b *oauth2Backend) Revoke(ctx context.Context, extraData map[string]any) error {
	if b.hooks.Revoke != nil {
		return b.hooks.Revoke(ctx, b.caller, extraData)
	}
	token, _ := extraData["access_token"].(string)
	revokeURL := b.revokeTokenURL
	if token != "" && b.hooks.Endpoints != nil {
		ends, err := b.endpoints(ctx)
		if err != nil {
			return err
		}
		revokeURL = ends.Revoke
	}
	if revokeURL == "" || token == "" {
		b.logger.DebugContext(ctx, "oauth2: nothing to revoke", "backend", b.name,
			"has_revocation_url", revokeURL != "", "has_token", token != "")
		return nil
	}
	form := url.Values{}
	form.Set("token", token)
	form.Set("token_type_hint", "access_token")
	header, err := b.authenticateClient(ctx, revokeURL, form)
	if err != nil {
		return err
	}
	reply, err := send(ctx, b.caller.client, b.name, b.caller.userAgent, http.MethodPost, revokeURL, header, form)
	if err != nil {
		return err
	}
	return reply.RevokeError()
}

// randomToken returns 32 random bytes, base64url without padding (43
// characters, a valid RFC 7636 verifier).
func randomToken() string {
	var buf [32]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

// authenticateClient adds the client's credentials to a request to the
// token or revocation endpoint: form fields, or the header it returns.
func (b *oauth2Backend) authenticateClient(ctx context.Context, endpoint string, form url.Values) (http.Header, error) {
	header := http.Header{}
	if b.hooks.AuthenticateClient != nil {
		return header, b.hooks.AuthenticateClient(ctx, endpoint, form, header)
	}
	AuthenticateWithSecret(b.tokenAuth, b.clientID, b.clientSecret, form, header)
	return header, nil
}

// AuthenticateWithSecret adds client_secret_post form fields, or for any
// other method a client_secret_basic Authorization header, to a request
// to a token or revocation endpoint.
func AuthenticateWithSecret(method TokenAuthMethod, clientID, secret string, form url.Values, header http.Header) {
	if method == ClientSecretPost {
		form.Set("client_id", clientID)
		form.Set("client_secret", secret)
		return
	}
	// RFC 6749 section 2.3.1: both are form-encoded before Basic encoding.
	header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(
		[]byte(url.QueryEscape(clientID)+":"+url.QueryEscape(secret))))
}
