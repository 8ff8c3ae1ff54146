package oauth2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/internal/provider"
	"github.com/socialauth/socialauth/socialerr"
)

// MaxReplySize is the most bytes read from any reply of a provider; a
// bigger reply fails with [ErrReplyTooLarge].
const MaxReplySize = 1 << 20

// ErrReplyTooLarge is the cause of the error for a reply bigger than
// [MaxReplySize].
var ErrReplyTooLarge = errors.New("oauth2: reply exceeds the size limit")

// Caller makes calls to a provider's API on behalf of a backend, with the
// backend's HTTP client, User-Agent, reply size cap and error mapping.
// Hooks receive one. A Caller is safe for concurrent use.
type Caller struct {
	backend     string
	client      *http.Client
	userAgent   string
	apiURL      string
	apiBase     *url.URL
	userDataURL string
	placement   TokenPlacement
}

// Backend returns the name of the backend the calls are made for.
func (c *Caller) Backend() string { return c.backend }

// APIURL returns the API base URL (with a trailing slash), or "".
func (c *Caller) APIURL() string { return c.apiURL }

// UserDataURL returns the user data endpoint, or "".
func (c *Caller) UserDataURL() string { return c.userDataURL }

// Resolve resolves ref against the API base URL ("user/emails" →
// "https://api.github.com/user/emails"). An absolute ref is returned as
// is.
func (c *Caller) Resolve(ref string) (string, error) {
	return provider.Resolve("oauth2", c.backend, c.apiBase, ref)
}

// Reply is a provider's reply, its body read through the size cap.
type Reply struct {
	// Endpoint is the URL called, without its query.
	Endpoint   string
	StatusCode int         // the HTTP status
	Header     http.Header // the reply's headers
	Body       []byte      // at most MaxReplySize bytes
	backend    string
}

// OK reports a 2xx status.
func (r *Reply) OK() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// AsError returns a *socialerr.ProviderError of a kind for this reply, with
// the RFC 6749 error fields when the body has them.
func (r *Reply) AsError(kind socialerr.Kind) *socialerr.ProviderError {
	pe := socialerr.NewProviderError(kind, r.backend, r.Endpoint, r.StatusCode, r.Body)
	if fields, err := parseFields(r.Header.Get("Content-Type"), r.Body); err == nil {
		pe.Code = stringField(fields, "error")
		pe.Description = stringField(fields, "error_description")
		pe.URI = stringField(fields, "error_uri")
	}
	return pe
}

// Do calls the provider: method on rawURL with the access token of tok
// (when not nil) placed as the backend says, form as the body (or nil),
// Accept: application/json and the User-Agent. It fails only when the
// provider cannot be reached (AuthUnreachableProvider, wrapping the cause)
// or the reply is too big; the caller judges the status.
func (c *Caller) Do(ctx context.Context, method, rawURL string, tok *backend.Token, form url.Values) (*Reply, error) {
	target := rawURL
	header := http.Header{}
	if tok != nil {
		switch c.placement {
		case TokenInQuery:
			u, err := url.Parse(rawURL)
			if err != nil {
				return nil, fmt.Errorf("oauth2: %w", err)
			}
			q := u.Query()
			q.Set("access_token", tok.AccessToken)
			u.RawQuery = q.Encode()
			target = u.String()
		default:
			header.Set("Authorization", "Bearer "+tok.AccessToken)
		}
	}
	return send(ctx, c.client, c.backend, c.userAgent, method, target, header, form)
}

// GetJSON GETs rawURL with the access token and decodes the JSON reply
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

// DecodeJSON maps the reply's status like [Caller.GetJSON] and decodes a
// 2xx body into dst.
func (r *Reply) DecodeJSON(dst any) error {
	switch {
	case r.StatusCode == http.StatusUnauthorized || r.StatusCode == http.StatusForbidden:
		return r.AsError(socialerr.AuthTokenError)
	case !r.OK():
		return r.AsError(socialerr.AuthUnknownError)
	}
	if err := decodeJSON(r.Body, dst); err != nil {
		pe := r.AsError(socialerr.AuthUnknownError)
		pe.Err = fmt.Errorf("malformed JSON reply: %w", err)
		return pe
	}
	return nil
}

// UserData is the default user data call: GET the user data URL and
// decode a JSON object.
func (c *Caller) UserData(ctx context.Context, tok *backend.Token) (map[string]any, error) {
	if c.userDataURL == "" {
		return nil, socialerr.New(socialerr.AuthUnknownError, c.backend, "")
	}
	var data map[string]any
	if err := c.GetJSON(ctx, c.userDataURL, tok, &data); err != nil {
		return nil, err
	}
	if data == nil {
		return nil, socialerr.NewProviderError(socialerr.AuthUnknownError, c.backend, stripQuery(c.userDataURL), http.StatusOK, []byte("null"))
	}
	return data, nil
}

// send does one HTTP round trip with the size cap and the transport error
// mapping.
func send(ctx context.Context, client *http.Client, backendName, userAgent, method, target string, header http.Header, form url.Values) (*Reply, error) {
	var body io.Reader
	if form != nil {
		if method == http.MethodGet {
			u, err := url.Parse(target)
			if err != nil {
				return nil, fmt.Errorf("oauth2: %w", err)
			}
			q := u.Query()
			for k, vs := range form {
				q[k] = vs
			}
			u.RawQuery = q.Encode()
			target = u.String()
		} else {
			body = strings.NewReader(form.Encode())
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("oauth2: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	return roundTrip(client, backendName, req)
}

// roundTrip sends req and reads the reply through the size cap.
func roundTrip(client *http.Client, backendName string, req *http.Request) (*Reply, error) {
	endpoint := stripQuery(req.URL.String())
	resp, err := client.Do(req)
	if err != nil {
		return nil, unreachable(backendName, endpoint, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxReplySize+1))
	if err != nil {
		return nil, unreachable(backendName, endpoint, err)
	}
	if len(data) > MaxReplySize {
		pe := socialerr.NewProviderError(socialerr.AuthUnknownError, backendName, endpoint, resp.StatusCode, data)
		pe.Err = ErrReplyTooLarge
		return nil, pe
	}
	return &Reply{Endpoint: endpoint, StatusCode: resp.StatusCode, Header: resp.Header, Body: data, backend: backendName}, nil
}

// unreachable wraps a transport error, removing the query from the URL it
// names so that no token leaks into logs.
func unreachable(backendName, endpoint string, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		ue.URL = stripQuery(ue.URL)
	}
	return socialerr.Wrap(socialerr.AuthUnreachableProvider, backendName, err, "")
}

func stripQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			return raw[:i]
		}
		return raw
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

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

// parseFields reads a token-endpoint style reply: a JSON object, or an
// application/x-www-form-urlencoded body (told by the Content-Type, or
// tried when the body is not JSON).
func parseFields(contentType string, body []byte) (map[string]any, error) {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	form := mediaType == "application/x-www-form-urlencoded" || mediaType == "text/plain"
	if !form {
		var fields map[string]any
		err := decodeJSON(body, &fields)
		if err == nil && fields != nil {
			return fields, nil
		}
		if err == nil {
			err = errors.New("JSON reply is not an object")
		}
		if mediaType == "application/json" || looksLikeJSON(body) {
			return nil, err
		}
	}
	values, err := url.ParseQuery(strings.TrimSpace(string(body)))
	if err != nil {
		return nil, fmt.Errorf("reply is neither JSON nor a form: %w", err)
	}
	if len(values) == 0 {
		return nil, errors.New("empty reply")
	}
	fields := make(map[string]any, len(values))
	for k := range values {
		fields[k] = values.Get(k)
	}
	return fields, nil
}

func looksLikeJSON(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[' || b[0] == '"')
}

func stringField(m map[string]any, key string) string {
	if s, ok := m[key].(string); ok {
		return s
	}
	return ""
}

// RevokeError maps the reply of a revocation call: nil for 2xx,
// AuthTokenError for a 4xx (the token was refused), AuthUnknownError
// otherwise.
func (r *Reply) RevokeError() error {
	switch {
	case r.OK():
		return nil
	case r.StatusCode >= 400 && r.StatusCode < 500:
		return r.AsError(socialerr.AuthTokenError)
	}
	return r.AsError(socialerr.AuthUnknownError)
}

// DoJSON calls the provider's API with a JSON body (nil for none) and the
// given extra headers, with the same cap and error mapping as [Caller.Do].
// The caller judges the status.
func (c *Caller) DoJSON(ctx context.Context, method, rawURL string, header http.Header, body any) (*Reply, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("oauth2: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, fmt.Errorf("oauth2: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	return roundTrip(c.client, c.backend, req)
}
