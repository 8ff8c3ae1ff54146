package socialtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/localidp"
)

// sdkRedirectURI is where the codes of IssueToken are sent; it is never
// fetched.
const sdkRedirectURI = "https://sdk-client.invalid/callback"

// IssueToken obtains an access token for the provider's current user as a
// mobile or JavaScript SDK of the application clientID would, by running
// the authorization-code flow against the provider over HTTP. A client id
// other than the provider's own is registered on first use, so tests can
// hold a token issued to another application.
func (p *Provider) IssueToken(clientID string) (string, error) {
	secret := "sdk-secret-" + clientID
	if clientID == p.ClientID {
		secret = p.ClientSecret
		if err := p.AllowRedirect(sdkRedirectURI); err != nil {
			return "", err
		}
	} else if _, ok := p.IDP.Client(clientID); !ok {
		if err := p.IDP.RegisterClient(clientID, localidp.Client{Secret: secret, RedirectURIs: []string{sdkRedirectURI}}); err != nil {
			return "", err
		}
	}
	c := p.server.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {sdkRedirectURI}, "state": {"sdk"}}
	res, err := c.Get(p.AuthorizeURL() + "?" + q.Encode())
	if err != nil {
		return "", err
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", fmt.Errorf("socialtest: authorize answered %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {sdkRedirectURI}, "client_id": {clientID}, "client_secret": {secret}}
	res, err = c.Post(p.TokenURL(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	var reply struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &reply); err != nil || reply.AccessToken == "" {
		return "", fmt.Errorf("socialtest: token endpoint answered %d %s", res.StatusCode, body)
	}
	return reply.AccessToken, nil
}
