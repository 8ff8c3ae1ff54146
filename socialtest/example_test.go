package socialtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/socialauth/socialauth/socialtest"
)

// A whole login against the fake provider, driven with no browser: the
// application under test is a tiny OAuth 2.0 client here; in a real test
// it is your site with its backend pointed at the provider's URLs.
func Example() {
	p, err := socialtest.StartOAuth2Provider(socialtest.WithUser(map[string]any{
		"id": 583231, "login": "octocat", "email": "octocat@example.com",
	}))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	mux := http.NewServeMux()
	site := httptest.NewServer(mux)
	defer site.Close()
	callback := site.URL + "/complete/fake/"
	p.AllowRedirect(callback) // exact match, as real providers do

	mux.HandleFunc("/login/fake/", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"response_type": {"code"}, "client_id": {p.ClientID},
			"redirect_uri": {callback}, "state": {"xyz"}, "scope": {"read:user"}}
		http.Redirect(w, r, p.AuthorizeURL()+"?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("/complete/fake/", func(w http.ResponseWriter, r *http.Request) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {r.FormValue("code")},
			"redirect_uri": {callback}}
		req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(p.ClientID, p.ClientSecret)
		var token struct {
			AccessToken string `json:"access_token"`
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		json.NewDecoder(res.Body).Decode(&token)
		res.Body.Close()

		req, _ = http.NewRequest(http.MethodGet, p.UserURL(), nil)
		req.Header.Set("Authorization", "Bearer "+token.AccessToken)
		var profile map[string]any
		if res, err = http.DefaultClient.Do(req); err == nil {
			json.NewDecoder(res.Body).Decode(&profile)
			res.Body.Close()
		}
		fmt.Fprintf(w, "welcome %v", profile["login"])
	})

	// One Get: the provider approves at once and redirects back.
	res, err := socialtest.NewBrowser(nil).Get(site.URL + "/login/fake/")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.Status, string(body))

	// What the site sent to the provider.
	auth := p.RequestsTo(socialtest.AuthorizePath)[0]
	fmt.Println("state sent:", auth.Query.Get("state"))
	tok := p.RequestsTo(socialtest.TokenPath)[0]
	_, _, basic := tok.BasicAuth()
	fmt.Println("client authenticated with HTTP Basic:", basic)
	// Output:
	// 200 OK welcome octocat
	// state sent: xyz
	// client authenticated with HTTP Basic: true
}
