package oauth1

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/internal/provider"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// Stash keys.
const (
	stashToken       = "oauth_token"
	stashTokenSecret = "oauth_token_secret"
	stashRedirectURI = "redirect_uri"
)

// oauth1Backend is the backend New returns.
type oauth1Backend struct {
	name string

	requestTokenURL  string
	authorizationURL string
	accessTokenURL   string

	authExtra         map[string]string
	requestTokenExtra map[string]string

	idKey     string
	details   oauth2.DetailsMapping
	extraData []provider.ExtraField
	hooks     Hooks

	caller *Caller
	logger *slog.Logger
	now    func() time.Time
}

var (
	_ backend.Backend            = (*oauth1Backend)(nil)
	_ backend.TokenAuthenticator = (*oauth1Backend)(nil)
)

// Name implements backend.Backend.
func (b *oauth1Backend) Name() string { return b.name }

// Begin implements backend.Backend: it obtains a request token with the
// redirect URI as oauth_callback, checks that the provider confirmed the
// callback, stashes the request token and its secret, and redirects to the
// authorization URL with the token.
func (b *oauth1Backend) Begin(ctx context.Context, req *backend.BeginRequest) (*backend.BeginResult, error) {
	if req == nil || req.RedirectURI == "" {
		return nil, socialerr.Missing(b.name, "redirect_uri")
	}
	var form url.Values
	if len(b.requestTokenExtra) > 0 {
		form = url.Values{}
		for k, v := range b.requestTokenExtra {
			form.Set(k, v)
		}
	}
	reply, err := b.caller.call(ctx, http.MethodPost, b.requestTokenURL, "", "", form,
		url.Values{"oauth_callback": {req.RedirectURI}})
	if err != nil {
		return nil, err
	}
	fields, err := tokenReply(reply)
	if err != nil {
		return nil, err
	}
	token, secret := fields["oauth_token"], fields["oauth_token_secret"]
	if token == "" {
		pe := reply.AsError(socialerr.AuthTokenError)
		pe.Err = errors.New("no oauth_token in the request-token reply")
		return nil, pe
	}
	// RFC 5849 section 2.1: oauth_callback_confirmed MUST be "true". A
	// provider that does not confirm may have ignored the callback (an
	// OAuth 1.0 provider, open to session fixation).
	if fields["oauth_callback_confirmed"] != "true" {
		pe := reply.AsError(socialerr.AuthFailed)
		pe.Err = errors.New("the provider did not confirm the callback (oauth_callback_confirmed is not true)")
		return nil, pe
	}
	u, err := url.Parse(b.authorizationURL)
	if err != nil { // validated by New
		return nil, socialerr.Wrap(socialerr.AuthUnknownError, b.name, err, "")
	}
	q := u.Query()
	for k, v := range b.authExtra {
		q.Set(k, v)
	}
	q.Set("oauth_token", token)
	u.RawQuery = q.Encode()
	return &backend.BeginResult{
		RedirectURL: u.String(),
		Stash: backend.Stash{
			stashToken:       token,
			stashTokenSecret: secret,
			stashRedirectURI: req.RedirectURI,
		},
	}, nil
}

// Complete implements backend.Backend: it checks the reply against the
// stashed request token, exchanges the verifier for token credentials and
// fetches the user data.
func (b *oauth1Backend) Complete(ctx context.Context, req *backend.CompleteRequest) (*backend.Identity, error) {
	if req == nil || req.Stash == nil {
		return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
	}
	params := req.Params
	if params.Has("denied") {
		return nil, &socialerr.ProviderError{Kind: socialerr.AuthCanceled, Backend: b.name,
			Endpoint: stripQuery(b.authorizationURL), Code: "denied"}
	}
	want := req.Stash[stashToken]
	if want == "" {
		return nil, socialerr.New(socialerr.AuthStateMissing, b.name, "")
	}
	got := params.Get("oauth_token")
	if got == "" {
		return nil, socialerr.Missing(b.name, "oauth_token")
	}
	verifier := params.Get("oauth_verifier")
	if verifier == "" {
		return nil, socialerr.Missing(b.name, "oauth_verifier")
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return nil, socialerr.New(socialerr.AuthStateForbidden, b.name,
			"the reply carries a verifier for another token")
	}
	reply, err := b.caller.call(ctx, http.MethodPost, b.accessTokenURL, want, req.Stash[stashTokenSecret], nil,
		url.Values{"oauth_verifier": {verifier}})
	if err != nil {
		return nil, err
	}
	fields, err := tokenReply(reply)
	if err != nil {
		return nil, err
	}
	tok := &backend.Token{AccessToken: fields["oauth_token"], Secret: fields["oauth_token_secret"], Raw: rawFields(fields)}
	if tok.AccessToken == "" || tok.Secret == "" {
		pe := reply.AsError(socialerr.AuthTokenError)
		pe.Err = errors.New("no oauth_token and oauth_token_secret in the access-token reply")
		return nil, pe
	}
	return b.identity(ctx, tok)
}

// AuthenticateToken implements backend.TokenAuthenticator: creds hold
// oauth_token and oauth_token_secret, or access_token as the query string
// "oauth_token=…&oauth_token_secret=…" (python-social-auth's form). The
// user data call, signed with them, proves they are valid and issued to
// this consumer.
func (b *oauth1Backend) AuthenticateToken(ctx context.Context, creds url.Values) (*backend.Identity, error) {
	token, secret := creds.Get("oauth_token"), creds.Get("oauth_token_secret")
	if token == "" && secret == "" {
		if raw := creds.Get("access_token"); raw != "" {
			q, err := url.ParseQuery(raw)
			if err != nil {
				return nil, socialerr.Wrap(socialerr.AuthTokenError, b.name, fmt.Errorf("access_token is not a query string: %w", err), "")
			}
			token, secret = q.Get("oauth_token"), q.Get("oauth_token_secret")
		}
	}
	if token == "" {
		return nil, socialerr.Missing(b.name, "oauth_token")
	}
	if secret == "" {
		return nil, socialerr.Missing(b.name, "oauth_token_secret")
	}
	return b.identity(ctx, &backend.Token{AccessToken: token, Secret: secret})
}

// identity fetches the user data for tok and builds the Identity.
func (b *oauth1Backend) identity(ctx context.Context, tok *backend.Token) (*backend.Identity, error) {
	var resp map[string]any
	var err error
	if b.hooks.UserData != nil {
		resp, err = b.hooks.UserData(ctx, b.caller, tok)
	} else {
		resp, err = b.caller.UserData(ctx, tok)
	}
	if err != nil {
		return nil, err
	}
	if resp == nil {
		resp = map[string]any{}
	}
	extra, keep := b.loadExtraData(resp, tok)
	return provider.NewIdentity(b.name, b.idKey, resp, oauth2.MapDetails(resp, b.details, b.hooks.MapDetails), b.hooks.UID, tok, extra, keep)
}

// loadExtraData builds the association's extra data the way
// python-social-auth stores an OAuth 1.0a login: access_token is the
// token pair {"oauth_token", "oauth_token_secret"}, then auth_time and
// each EXTRA_DATA field, taken from the user data and else from the
// access-token reply.
func (b *oauth1Backend) loadExtraData(resp map[string]any, tok *backend.Token) (map[string]any, map[string]bool) {
	data := map[string]any{
		"access_token": map[string]any{"oauth_token": tok.AccessToken, "oauth_token_secret": tok.Secret},
		"auth_time":    b.now().Unix(),
	}
	keep := provider.LoadExtraData(data, b.extraData, resp, tok.Raw)
	return data, keep
}

// rawFields keeps a token reply as the Token's Raw map, without the
// secret.
func rawFields(fields map[string]string) map[string]any {
	raw := make(map[string]any, len(fields))
	for k, v := range fields {
		if k != "oauth_token_secret" {
			raw[k] = v
		}
	}
	return raw
}

func stripQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
