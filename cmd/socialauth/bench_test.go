package main

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/sqlstore"
)

// BenchmarkCompleteCallback measures the /complete/{backend}/ callback of
// a login: the engine checks the state against the sealed session, trades
// the code for tokens, fetches the user data, runs the default pipeline
// against the SQLite store (sqlstore on a temporary file, with the demo's
// pragmas) and seals the logged-in session. The provider is a local
// socialtest OAuth 2.0 provider on a loopback port that approves at once.
//
// Sub-benchmarks:
//
//   - ReturningUser: the account exists, so the pipeline looks it up and
//     updates its extra data (the common case).
//   - NewUser: every login is a new account: a user and an association
//     are created.
//   - HandWrittenClient: the baseline, no engine: the same two calls
//     (POST to the token endpoint, GET of the user data) written with
//     net/http and encoding/json.
//
// ReturningUser minus HandWrittenClient is what the engine adds to the two
// network calls. The /login/ request and the authorization redirect that
// produce a fresh code and state happen with the timer stopped. The
// provider runs in the same process, so its allocations count in every
// sub-benchmark alike. Run it with:
//
//	go test -run '^$' -bench CompleteCallback -benchmem ./cmd/socialauth
func BenchmarkCompleteCallback(b *testing.B) {
	// The provider's clock jumps a month after every login, so that the
	// codes and tokens of earlier iterations expire and are swept instead
	// of filling its grant table (DefaultMaxGrants) on long runs.
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	forget := func() { skew.Add(int64(31 * 24 * time.Hour)) }

	const app = "http://app.test"
	newProvider := func(b *testing.B) *socialtest.Provider {
		return socialtest.NewOAuth2Provider(b, socialtest.WithClock(clock),
			socialtest.WithRedirectURI(app+"/complete/oauth2/"))
	}
	// authorizer goes through the authorization endpoint without following
	// the redirect back, like the browser's last hop before the callback.
	authorizer := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	b.Cleanup(authorizer.CloseIdleConnections)

	b.Run("ReturningUser", func(b *testing.B) {
		p := newProvider(b)
		e := newBenchEngine(b, p)
		e.login(b, app, authorizer) // the account exists from now on
		forget()
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			req := e.callback(b, app, authorizer)
			rec := httptest.NewRecorder()
			b.StartTimer()
			e.handler.ServeHTTP(rec, req)
			b.StopTimer()
			e.checkLoggedIn(b, rec)
			forget()
			b.StartTimer()
		}
		b.StopTimer()
		e.checkAccounts(b, 1)
	})

	b.Run("NewUser", func(b *testing.B) {
		p := newProvider(b)
		e := newBenchEngine(b, p)
		n := 0
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			n++
			p.SetUser(map[string]any{"id": fmt.Sprint("new-", n), "username": fmt.Sprint("user", n),
				"email": fmt.Sprintf("user%d@example.com", n), "name": "New User"})
			req := e.callback(b, app, authorizer)
			rec := httptest.NewRecorder()
			b.StartTimer()
			e.handler.ServeHTTP(rec, req)
			b.StopTimer()
			e.checkLoggedIn(b, rec)
			forget()
			b.StartTimer()
		}
		b.StopTimer()
		e.checkAccounts(b, n)
	})

	b.Run("HandWrittenClient", func(b *testing.B) {
		p := newProvider(b)
		client := &http.Client{Timeout: 30 * time.Second}
		b.Cleanup(client.CloseIdleConnections)
		redirectURI := app + "/complete/oauth2/"
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			verifier := rand.Text() + rand.Text()
			sum := sha256.Sum256([]byte(verifier))
			q := url.Values{"response_type": {"code"}, "client_id": {p.ClientID}, "redirect_uri": {redirectURI},
				"state": {rand.Text()}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
				"code_challenge_method": {"S256"}}
			code := authorizationCode(b, authorizer, p.AuthorizeURL()+"?"+q.Encode())
			b.StartTimer()

			profile := handWrittenLogin(b, client, p, code, redirectURI, verifier)

			b.StopTimer()
			if profile["id"] != socialtest.DefaultUser()["id"] {
				b.Fatalf("profile %v", profile)
			}
			forget()
			b.StartTimer()
		}
	})
}

// handWrittenLogin is the baseline: the token exchange and the user-data
// call, with nothing around them.
func handWrittenLogin(b *testing.B, client *http.Client, p *socialtest.Provider, code, redirectURI, verifier string) map[string]any {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, p.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var token struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	err = json.NewDecoder(res.Body).Decode(&token)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || token.AccessToken == "" {
		b.Fatalf("token: %d %+v %v", res.StatusCode, token, err)
	}

	req, err = http.NewRequestWithContext(b.Context(), http.MethodGet, p.UserURL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token.AccessToken)
	req.Header.Set("Accept", "application/json")
	res, err = client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var profile map[string]any
	err = json.NewDecoder(res.Body).Decode(&profile)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("user: %d %v", res.StatusCode, err)
	}
	return profile
}

// authorizationCode follows an authorization URL that the provider
// approves at once and returns the code it sends back.
func authorizationCode(b *testing.B, c *http.Client, authorizeURL string) string {
	loc := redirectTarget(b, c, authorizeURL)
	code := loc.Query().Get("code")
	if code == "" {
		b.Fatalf("the provider sent no code: %s", loc)
	}
	return code
}

func redirectTarget(b *testing.B, c *http.Client, rawURL string) *url.URL {
	res, err := c.Get(rawURL)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	loc, err := res.Location()
	if err != nil || res.StatusCode != http.StatusFound {
		b.Fatalf("GET %s: %d %v", rawURL, res.StatusCode, err)
	}
	return loc
}

// benchEngine is the engine under measurement, on a SQLite file.
type benchEngine struct {
	auth    *socialauth.Auth
	handler http.Handler
	db      *sql.DB
}

func newBenchEngine(b *testing.B, p *socialtest.Provider) *benchEngine {
	ctx := b.Context()
	db, err := sql.Open("sqlite", demoDSN(filepath.Join(b.TempDir(), "bench.db")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	st, err := sqlstore.New(ctx, db, sqlstore.SQLite, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS":         "oauth2",
			"SOCIAL_AUTH_SECRET_KEY":                      strings.Repeat("b", 64),
			"SOCIAL_AUTH_UNSAFE_SESSION_COOKIE_OVER_HTTP": true,
			"SOCIAL_AUTH_OAUTH2_KEY":                      p.ClientID,
			"SOCIAL_AUTH_OAUTH2_SECRET":                   p.ClientSecret,
			"SOCIAL_AUTH_OAUTH2_AUTHORIZATION_URL":        p.AuthorizeURL(),
			"SOCIAL_AUTH_OAUTH2_ACCESS_TOKEN_URL":         p.TokenURL(),
			"SOCIAL_AUTH_OAUTH2_USER_DATA_URL":            p.UserURL(),
		}),
		Store: st,
	})
	if err != nil {
		b.Fatal(err)
	}
	return &benchEngine{auth: auth, handler: auth.Handler(), db: db}
}

// callback starts a login at /login/oauth2/, has the provider approve it,
// and returns the callback request the browser would send, with its
// session cookie.
func (e *benchEngine) callback(b *testing.B, app string, authorizer *http.Client) *http.Request {
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, app+"/login/oauth2/", nil))
	res := rec.Result()
	loc, err := res.Location()
	if err != nil || res.StatusCode != http.StatusFound {
		b.Fatalf("/login/oauth2/: %d %v", res.StatusCode, err)
	}
	back := redirectTarget(b, authorizer, loc.String())
	if back.Query().Get("code") == "" {
		b.Fatalf("the provider sent back %s", back)
	}
	req := httptest.NewRequest(http.MethodGet, back.String(), nil)
	for _, c := range res.Cookies() {
		req.AddCookie(c)
	}
	return req
}

// login runs a whole login.
func (e *benchEngine) login(b *testing.B, app string, authorizer *http.Client) {
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, e.callback(b, app, authorizer))
	e.checkLoggedIn(b, rec)
}

func (e *benchEngine) checkLoggedIn(b *testing.B, rec *httptest.ResponseRecorder) {
	res := rec.Result()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/" || len(res.Cookies()) == 0 {
		b.Fatalf("callback: %d to %q (want a login and a redirect to /)", res.StatusCode, res.Header.Get("Location"))
	}
}

// checkAccounts checks how many users and associations the runs left.
func (e *benchEngine) checkAccounts(b *testing.B, want int) {
	var users, associations int
	if err := e.db.QueryRowContext(b.Context(), "SELECT (SELECT count(*) FROM socialauth_users), (SELECT count(*) FROM socialauth_associations)").Scan(&users, &associations); err != nil {
		b.Fatal(err)
	}
	if users != want || associations != want {
		b.Fatalf("%d users and %d associations, want %d of each", users, associations, want)
	}
}
