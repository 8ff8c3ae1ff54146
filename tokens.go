package socialauth

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// expiryMargin is how long before its expiry a token is refreshed.
const expiryMargin = time.Minute

// refreshLocks serialises refreshes of one association in this process,
// so that two requests do not spend a rotating refresh token twice.
type refreshLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (l *refreshLocks) lock(id string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*sync.Mutex{}
	}
	m, ok := l.locks[id]
	if !ok {
		m = &sync.Mutex{}
		l.locks[id] = m
	}
	l.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// TokenExpiry returns when an association's access token expires, from its
// extra data (auth_time + expires, python-social-auth's fields); ok is false
// when the token does not say.
func TokenExpiry(assoc *store.Association) (expiry time.Time, ok bool) {
	secs := expiresSeconds(assoc.ExtraData["expires"])
	authTime := expiresSeconds(assoc.ExtraData["auth_time"])
	if secs <= 0 || authTime <= 0 {
		return time.Time{}, false
	}
	return time.Unix(authTime+secs, 0), true
}

// AccessToken returns a usable access token of an association, refreshing
// it first (and saving the refreshed token) when it has expired or is about
// to.
func (a *Auth) AccessToken(ctx context.Context, assoc *store.Association) (string, error) {
	if exp, ok := TokenExpiry(assoc); ok && !a.now().Add(expiryMargin).Before(exp) {
		if err := a.RefreshToken(ctx, assoc); err != nil {
			return "", err
		}
	}
	tok, _ := assoc.ExtraData["access_token"].(string)
	if tok == "" {
		return "", socialerr.New(socialerr.AuthTokenError, assoc.Provider, "this account has no access token")
	}
	return tok, nil
}

// RefreshToken refreshes an association's access token at the provider
// (REFRESH_TOKEN_URL) and saves the new token, expiry and, when the
// provider rotates it, refresh token. assoc is updated in place.
func (a *Auth) RefreshToken(ctx context.Context, assoc *store.Association) error {
	name := assoc.Provider
	be, ok := a.backends[name]
	if !ok {
		return socialerr.New(socialerr.WrongBackend, name, "")
	}
	ref, ok := be.(backend.Refresher)
	if !ok {
		return socialerr.New(socialerr.AuthTokenError, name, "this service cannot refresh tokens")
	}
	unlock := a.refreshing.lock(assoc.ID)
	defer unlock()
	// Another request may have refreshed it meanwhile.
	if fresh, err := a.store.GetAssociationByID(ctx, assoc.ID); err == nil {
		if exp, ok := TokenExpiry(fresh); ok && a.now().Add(expiryMargin).Before(exp) {
			*assoc = *fresh
			return nil
		}
		*assoc = *fresh
	}
	refresh, _ := assoc.ExtraData["refresh_token"].(string)
	if refresh == "" {
		return socialerr.New(socialerr.AuthTokenError, name, "this account has no refresh token")
	}
	tok, err := ref.Refresh(ctx, refresh)
	if err != nil {
		return err
	}
	if assoc.ExtraData == nil {
		assoc.ExtraData = map[string]any{}
	}
	assoc.ExtraData["access_token"] = tok.AccessToken
	if tok.TokenType != "" {
		assoc.ExtraData["token_type"] = tok.TokenType
	}
	if tok.RefreshToken != "" {
		assoc.ExtraData["refresh_token"] = tok.RefreshToken
	}
	now := a.now()
	assoc.ExtraData["auth_time"] = now.Unix()
	if !tok.Expiry.IsZero() {
		assoc.ExtraData["expires"] = int64(tok.Expiry.Sub(now).Round(time.Second) / time.Second)
	} else {
		delete(assoc.ExtraData, "expires")
	}
	if err := a.store.UpdateAssociation(ctx, assoc); err != nil {
		return fmt.Errorf("socialauth: saving refreshed token: %w", err)
	}
	if h := a.cfg.Events.TokenRefreshed; h != nil {
		h(ctx, name, assoc)
	}
	return nil
}

// APIClient returns an HTTP client for calling the provider's API on behalf
// of an association: every request carries "Authorization: Bearer" with
// the association's access token, refreshed and saved first when it has
// expired (the equivalent of an oauth2.TokenSource that saves by itself).
// base makes the requests (timeouts, proxies); nil means a client with a
// 30-second timeout.
func (a *Auth) APIClient(assoc *store.Association, base *http.Client) *http.Client {
	if base == nil {
		base = &http.Client{Timeout: 30 * time.Second}
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c := *base
	c.Transport = &bearerTransport{auth: a, assoc: assoc, next: next}
	return &c
}

// bearerTransport adds the association's current access token to each
// request.
type bearerTransport struct {
	auth  *Auth
	assoc *store.Association
	mu    sync.Mutex
	next  http.RoundTripper
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	tok, err := t.auth.AccessToken(req.Context(), t.assoc)
	t.mu.Unlock()
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return t.next.RoundTrip(r)
}
