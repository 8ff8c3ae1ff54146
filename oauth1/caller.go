package oauth1

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/internal/provider"
	"github.com/socialauth/socialauth/oauth2"
	"github.com/socialauth/socialauth/socialerr"
)

// Caller makes signed calls to a provider's API on behalf of a backend,
// with the backend's HTTP client, User-Agent, reply size cap
// ([oauth2.MaxReplySize]) and error mapping. Hooks receive one. A Caller
// is safe for concurrent use.
type Caller struct {
	backend     string
	client      *http.Client
	userAgent   string
	signer      *Signer
	apiBase     *url.URL
	userDataURL string
	now         func() time.Time
}

// Backend returns the name of the backend the calls are made for.
func (c *Caller) Backend() string { return c.backend }

// UserDataURL returns the user data endpoint, or "".
func (c *Caller) UserDataURL() string { return c.userDataURL }

// Resolve resolves ref against the API base URL; an absolute ref is
// returned as is.
func (c *Caller) Resolve(ref string) (string, error) {
	return provider.Resolve("oauth1", c.backend, c.apiBase, ref)
}

// Do makes a signed call: method on rawURL with the token credentials of
// tok (AccessToken and Secret; nil for none) and form as the parameters
// (in the query for GET, as a form-encoded body otherwise; both signed).
// It fails only when the provider cannot be reached
// (AuthUnreachableProvider) or the reply is too big; the caller judges
// the status.
func (c *Caller) Do(ctx context.Context, method, rawURL string, tok *backend.Token, form url.Values) (*oauth2.Reply, error) {
	var token, secret string
	if tok != nil {
		token, secret = tok.AccessToken, tok.Secret
	}
	return c.call(ctx, method, rawURL, token, secret, form, nil)
}

// call signs and sends one request; protocol holds extra oauth_*
// parameters for the Authorization header.
func (c *Caller) call(ctx context.Context, method, rawURL, token, secret string, form, protocol url.Values) (*oauth2.Reply, error) {
	method = strings.ToUpper(method)
	if method == http.MethodGet && len(form) > 0 {
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("oauth1: %w", err)
		}
		q := u.Query()
		for k, vs := range form {
			q[k] = append(q[k], vs...)
		}
		u.RawQuery = q.Encode()
		rawURL, form = u.String(), nil
	}
	var body url.Values
	if method != http.MethodGet && method != http.MethodHead {
		body = form
	}
	auth, err := c.signer.Authorization(method, rawURL, body, token, secret, protocol, c.now())
	if err != nil {
		return nil, socialerr.Wrap(socialerr.AuthUnknownError, c.backend, err, "")
	}
	header := http.Header{}
	header.Set("Authorization", auth)
	if body == nil && method == http.MethodPost {
		body = url.Values{} // an empty form body, so that the Content-Type is sent
	}
	return oauth2.Send(ctx, c.client, c.backend, c.userAgent, method, rawURL, header, body)
}

// GetJSON makes a signed GET of rawURL with tok and decodes the JSON reply
// into dst (numbers in interface values become json.Number). A 401 or 403
// is AuthTokenError, any other non-2xx status or a malformed body is
// AuthUnknownError, both as *socialerr.ProviderError.
func (c *Caller) GetJSON(ctx context.Context, rawURL string, tok *backend.Token, dst any) error {
	reply, err := c.Do(ctx, http.MethodGet, rawURL, tok, nil)
	if err != nil {
		return err
	}
	return reply.DecodeJSON(dst)
}

// UserData is the default user data call: a signed GET of the user data
// URL, decoding a JSON object.
func (c *Caller) UserData(ctx context.Context, tok *backend.Token) (map[string]any, error) {
	if c.userDataURL == "" {
		return nil, socialerr.New(socialerr.AuthUnknownError, c.backend, "")
	}
	var data map[string]any
	if err := c.GetJSON(ctx, c.userDataURL, tok, &data); err != nil {
		return nil, err
	}
	if data == nil {
		return nil, socialerr.Wrap(socialerr.AuthUnknownError, c.backend, errors.New("the user data is not a JSON object"), "")
	}
	return data, nil
}

// tokenReply reads a request-token or access-token reply: non-2xx is
// AuthTokenError; the body is a form (RFC 5849 section 2.1), or a JSON
// object for the few providers that answer JSON; an unreadable body is
// AuthUnknownError. Values are strings.
func tokenReply(reply *oauth2.Reply) (map[string]string, error) {
	if !reply.OK() {
		return nil, reply.AsError(socialerr.AuthTokenError)
	}
	mediaType, _, _ := mime.ParseMediaType(reply.Header.Get("Content-Type"))
	body := bytes.TrimSpace(reply.Body)
	fields := map[string]string{}
	if mediaType == "application/json" || bytes.HasPrefix(body, []byte("{")) {
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
			pe := reply.AsError(socialerr.AuthUnknownError)
			pe.Err = errors.New("malformed JSON token reply")
			return nil, pe
		}
		for k, v := range obj {
			fields[k] = oauth2.String(v)
		}
		return fields, nil
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		pe := reply.AsError(socialerr.AuthUnknownError)
		pe.Err = fmt.Errorf("malformed token reply: %w", err)
		return nil, pe
	}
	for k := range values {
		fields[k] = values.Get(k)
	}
	return fields, nil
}
