package openid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/socialerr"
)

// MaxReplySize is the most bytes read from any reply of a provider or an
// identifier's host; a bigger reply is refused.
const MaxReplySize = 1 << 20

// ErrReplyTooLarge is the cause of the error for a reply bigger than
// [MaxReplySize].
var ErrReplyTooLarge = errors.New("openid: reply exceeds the size limit")

// reply is a fetched HTTP reply.
type reply struct {
	url    *url.URL // the final URL, after redirects
	status int
	header http.Header
	body   []byte
}

// client makes the backend's HTTP calls.
type client struct {
	backend   string
	http      *http.Client
	userAgent string
}

// get fetches a URL for discovery.
func (c *client) get(ctx context.Context, rawURL, accept string) (*reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, socialerr.Wrap(socialerr.AuthFailed, c.backend, err, "the OpenID identifier is not a valid URL")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return c.do(req)
}

// post sends a direct request (associate, check_authentication) to an OP
// endpoint.
func (c *client) post(ctx context.Context, endpoint string, form url.Values) (*reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, socialerr.Wrap(socialerr.AuthUnknownError, c.backend, err, "")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) do(req *http.Request) (*reply, error) {
	req.Header.Set("User-Agent", c.userAgent)
	endpoint := stripQuery(req.URL)
	resp, err := c.http.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			ue.URL = endpoint
		}
		return nil, socialerr.Wrap(socialerr.AuthUnreachableProvider, c.backend, err, "")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxReplySize+1))
	if err != nil {
		return nil, socialerr.Wrap(socialerr.AuthUnreachableProvider, c.backend, err, "")
	}
	if len(data) > MaxReplySize {
		pe := socialerr.NewProviderError(socialerr.AuthUnknownError, c.backend, endpoint, resp.StatusCode, data)
		pe.Err = ErrReplyTooLarge
		return nil, pe
	}
	return &reply{url: resp.Request.URL, status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// asError returns a provider error for an unexpected reply.
func (c *client) asError(r *reply, kind socialerr.Kind, cause error) error {
	pe := socialerr.NewProviderError(kind, c.backend, stripQuery(r.url), r.status, r.body)
	pe.Err = cause
	return pe
}

func stripQuery(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.Fragment, c.User = "", "", nil
	return c.String()
}

// GetJSON is what provider hooks use to call a provider's web API: a GET
// through the backend's HTTP client with the size cap, decoding a JSON
// reply into dst. A 401 or 403 is AuthTokenError, another non-2xx status
// or a malformed body AuthUnknownError.
func (c *Caller) GetJSON(ctx context.Context, rawURL string, dst any) error {
	r, err := c.c.get(ctx, rawURL, "application/json")
	if err != nil {
		return err
	}
	switch {
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		return c.c.asError(r, socialerr.AuthTokenError, nil)
	case r.status < 200 || r.status > 299:
		return c.c.asError(r, socialerr.AuthUnknownError, nil)
	}
	if err := decodeJSON(r.body, dst); err != nil {
		return c.c.asError(r, socialerr.AuthUnknownError, fmt.Errorf("malformed JSON reply: %w", err))
	}
	return nil
}

// Caller lets provider hooks call the provider's web API with the
// backend's HTTP client, User-Agent and reply size cap.
type Caller struct {
	c *client
}

// Backend returns the name of the backend the calls are made for.
func (c *Caller) Backend() string { return c.c.backend }
