package socialauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/session"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// TokenLogin is the outcome of a login from a client SDK's credentials.
type TokenLogin struct {
	User           *store.User
	Association    *store.Association
	IsNew          bool // the user was created by this login
	NewAssociation bool // the association was created by this login
}

// credentialParams are the request parameters a token login reads.
func credentialParams() []string {
	return []string{"access_token", "oauth_token", "oauth_token_secret", "id_token", "nonce",
		// VK Open API sessions (vk-openapi).
		"expire", "mid", "secret", "sid", "sig", "vk_session"}
}

// AuthenticateToken logs a person in from credentials a mobile or
// JavaScript SDK obtained from the provider (python-social-auth's
// do_auth): "access_token" for OAuth 2.0, "oauth_token" and
// "oauth_token_secret" (or an "access_token" holding both as a query
// string) for OAuth 1.0a, "id_token" for OpenID Connect. The backend checks
// the credentials at the provider, and that they were issued to this
// application where the provider allows it; then the backend's pipeline
// runs as for a browser login, with current as the logged-in user (nil for
// none). A step that pauses makes it fail: there is no browser to answer.
// It does not log anybody in: that is the caller's business (the
// /token/{backend}/ route does it with Config.Login).
func (a *Auth) AuthenticateToken(ctx context.Context, backendName string, creds url.Values, current *store.User) (*TokenLogin, error) {
	be, ok := a.backends[backendName]
	if !ok {
		return nil, socialerr.New(socialerr.WrongBackend, backendName, "")
	}
	ta, ok := be.(backend.TokenAuthenticator)
	if !ok {
		return nil, socialerr.New(socialerr.WrongBackend, backendName, "this service does not accept client tokens")
	}
	ident, err := ta.AuthenticateToken(ctx, creds)
	if err != nil {
		return nil, err
	}
	st := &pipeline.State{
		Backend:        be,
		Settings:       a.settings.For(backendName),
		Users:          a.users,
		Associations:   a.store,
		Codes:          a.store,
		Request:        url.Values{},
		Session:        session.New(),
		Logger:         a.logger.With("backend", backendName),
		Now:            a.now,
		SendValidation: a.validationSender(backendName),
		Identity:       ident,
		User:           current,
	}
	out, err := pipeline.Run(ctx, a.pipelines[backendName], 0, st)
	if err != nil {
		return nil, err
	}
	if out.Result != pipeline.Continue {
		return nil, socialerr.New(socialerr.AuthFailed, backendName, "this sign-in needs a browser to continue")
	}
	if st.User == nil {
		return nil, socialerr.New(socialerr.AuthFailed, backendName, "the pipeline did not produce a user")
	}
	if !st.User.IsActive {
		return nil, socialerr.New(socialerr.AuthInactiveUser, backendName, "")
	}
	if st.IsNew {
		if h := a.cfg.Events.UserCreated; h != nil {
			h(ctx, backendName, st.User)
		}
	}
	if st.NewAssociation && st.Social != nil {
		if h := a.cfg.Events.Associated; h != nil {
			h(ctx, backendName, st.User, st.Social)
		}
	}
	return &TokenLogin{User: st.User, Association: st.Social, IsNew: st.IsNew, NewAssociation: st.NewAssociation}, nil
}

// tokenUser is the user in the /token/ route's reply.
type tokenUser struct {
	ID        string `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type tokenReply struct {
	User           *tokenUser `json:"user,omitempty"`
	IsNew          bool       `json:"is_new"`
	NewAssociation bool       `json:"new_association"`
	Error          string     `json:"error,omitempty"`
	Message        string     `json:"message,omitempty"`
}

// serveToken serves POST /token/{backend}/: a login from a client SDK's
// credentials, answered in JSON. The user is logged in with the login
// function (the session cookie by default).
func (a *Auth) serveToken(w http.ResponseWriter, r *http.Request) {
	rt, _ := r.Context().Value(routeKey{}).(route)
	ctx := r.Context()
	answer := func(status int, reply tokenReply) {
		noStore(w)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(reply)
	}
	failed := func(err error) {
		kind := socialerr.KindOf(err)
		a.logger.WarnContext(ctx, "socialauth: token login failed", "backend", rt.backend, "kind", string(kind), "err", err)
		if h := a.cfg.Events.LoginFailed; h != nil {
			h(ctx, rt.backend, err)
		}
		name := string(kind)
		if name == "" {
			name = "Error"
		}
		answer(statusOf(kind), tokenReply{Error: name, Message: publicMessage(err)})
	}
	sess, err := a.sessions.Load(ctx, r)
	if err != nil {
		failed(err)
		return
	}
	form, err := params(r)
	if err != nil {
		failed(err)
		return
	}
	creds := url.Values{}
	for _, k := range credentialParams() {
		if v := form.Get(k); v != "" {
			creds.Set(k, v)
		}
	}
	if len(creds) == 0 {
		failed(socialerr.Missing(rt.backend, "access_token"))
		return
	}
	current, err := a.currentUser(r, sess)
	if err != nil {
		failed(err)
		return
	}
	res, err := a.AuthenticateToken(ctx, rt.backend, creds, current)
	if err != nil {
		failed(err)
		return
	}
	req := &request{a: a, w: w, r: r, rt: rt, sess: sess}
	if err := a.login(req, res.User); err != nil {
		failed(err)
		return
	}
	if err := a.sessions.Save(ctx, w, r, sess); err != nil {
		failed(errors.Join(errors.New("saving session"), err))
		return
	}
	if h := a.cfg.Events.LoginCompleted; h != nil {
		h(ctx, rt.backend, res.User, res.IsNew)
	}
	u := res.User
	answer(http.StatusOK, tokenReply{
		User:  &tokenUser{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName},
		IsNew: res.IsNew, NewAssociation: res.NewAssociation,
	})
}
