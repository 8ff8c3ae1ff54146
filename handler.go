package socialauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/session"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// Session keys used by the engine. Application code should not touch them.
const (
	sessionUserID  = "_socialauth_user_id"
	sessionNext    = "next"
	sessionPartial = "partial_pipeline_token"
	flowKeyPrefix  = "_socialauth_flow:"
)

// flowTTL is how long a login may take between /login/ and /complete/.
const flowTTL = 15 * time.Minute

// maxFormBytes bounds the request bodies the handler parses.
const maxFormBytes = 64 << 10

// route is a parsed socialauth URL.
type route struct {
	action  string // "login", "complete" or "disconnect"
	backend string
	id      string // association id for disconnect
	prefix  string // the path before /{action}/
}

// parseRoute finds a socialauth route at the end of path, under any prefix:
// {prefix}/login/{backend}/, {prefix}/complete/{backend}/,
// {prefix}/disconnect/{backend}/ and {prefix}/disconnect/{backend}/{id}/ (the
// trailing slash is optional).
func parseRoute(path string) (route, bool) {
	trimmed := strings.TrimSuffix(path, "/")
	parts := strings.Split(trimmed, "/")
	n := len(parts)
	at := func(i int) string { return parts[i] }
	valid := func(s string) bool { return s != "" && s != "." && s != ".." && validSegment(s) }
	if n >= 3 && valid(at(n-1)) {
		switch at(n - 2) {
		case "login", "complete", "disconnect", "token":
			return route{action: at(n - 2), backend: at(n - 1), prefix: strings.Join(parts[:n-2], "/")}, true
		}
	}
	if n >= 4 && at(n-3) == "disconnect" && valid(at(n-2)) && valid(at(n-1)) {
		return route{action: "disconnect", backend: at(n - 2), id: at(n - 1), prefix: strings.Join(parts[:n-3], "/")}, true
	}
	return route{}, false
}

// validSegment accepts backend names and association ids: at most 64
// letters, digits, "-", "_" and ".". Anything else is not a socialauth
// route, so hostile names never reach logs or error redirects.
func validSegment(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// Handler serves socialauth's routes:
//
//	GET|POST /login/{backend}/           begin a login
//	GET|POST /complete/{backend}/        the provider's callback, and partial resumes
//	POST     /disconnect/{backend}/      remove the user's associations with a backend
//	POST     /disconnect/{backend}/{id}/ remove one association
//	POST     /token/{backend}/           log in from a client SDK's token (JSON reply)
//
// It finds them under any prefix, so it can be mounted as is on
// http.ServeMux, chi or gorilla/mux; other paths get 404.
func (a *Auth) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	disconnect := cop.Handler(http.HandlerFunc(a.serveDisconnect))
	token := cop.Handler(http.HandlerFunc(a.serveToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := parseRoute(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		switch rt.action {
		case "login", "complete":
			if r.Method != http.MethodGet && r.Method != http.MethodPost {
				w.Header().Set("Allow", "GET, POST")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
		case "disconnect", "token":
			if r.Method != http.MethodPost {
				w.Header().Set("Allow", "POST")
				http.Error(w, rt.action+" needs POST", http.StatusMethodNotAllowed)
				return
			}
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, rt))
		switch rt.action {
		case "login":
			a.serveLogin(w, r, rt)
		case "complete":
			a.serveComplete(w, r, rt)
		case "token":
			token.ServeHTTP(w, r)
		default:
			disconnect.ServeHTTP(w, r)
		}
	})
}

type routeKey struct{}

// request wraps what every handler needs.
type request struct {
	a    *Auth
	w    http.ResponseWriter
	r    *http.Request
	rt   route
	sess *session.Session
	be   backend.Backend
}

func (a *Auth) newRequest(w http.ResponseWriter, r *http.Request, rt route) (*request, error) {
	sess, err := a.sessions.Load(r.Context(), r)
	if err != nil {
		return &request{a: a, w: w, r: r, rt: rt, sess: session.New()}, fmt.Errorf("socialauth: loading session: %w", err)
	}
	req := &request{a: a, w: w, r: r, rt: rt, sess: sess}
	be, ok := a.backends[rt.backend]
	if !ok {
		return req, socialerr.New(socialerr.WrongBackend, rt.backend, "")
	}
	req.be = be
	return req, nil
}

// start loads the session, finds the backend and parses the request's
// data; on failure it has answered and returns false.
func (a *Auth) start(w http.ResponseWriter, r *http.Request, rt route) (*request, url.Values, bool) {
	req, err := a.newRequest(w, r, rt)
	if err == nil {
		var form url.Values
		if form, err = params(r); err == nil {
			return req, form, true
		}
	}
	a.fail(req, err)
	return nil, nil, false
}

// params returns the request's query and form values; form values win.
func params(r *http.Request) (url.Values, error) {
	if err := r.ParseForm(); err != nil {
		return nil, socialerr.Wrap(socialerr.AuthFailed, "", err, "malformed request")
	}
	return r.Form, nil
}

// absoluteURL builds an absolute URL on the request's host.
func (req *request) absoluteURL(path string) string {
	scheme := "http"
	if req.r.TLS != nil || req.a.settings.Bool(req.rt.backend, "REDIRECT_IS_HTTPS", false) {
		scheme = "https"
	}
	return scheme + "://" + req.r.Host + path
}

func (req *request) completeURL() string {
	return req.absoluteURL(req.rt.prefix + "/complete/" + req.rt.backend + "/")
}

func (a *Auth) serveLogin(w http.ResponseWriter, r *http.Request, rt route) {
	req, form, ok := a.start(w, r, rt)
	if !ok {
		return
	}
	ctx := r.Context()
	if h := a.cfg.Events.LoginStarted; h != nil {
		h(ctx, rt.backend)
	}
	// A new login abandons any paused one.
	if tok, ok := req.sess.Pop(sessionPartial); ok {
		_ = a.store.DeletePartial(ctx, tok)
	}
	req.sess.Delete(sessionNext)
	if next := form.Get("next"); next != "" {
		if safe, ok := a.safeRedirect(r, rt.backend, next); ok {
			req.sess.Set(sessionNext, safe)
		} else {
			a.logger.WarnContext(ctx, "socialauth: dropped an unsafe next URL", "backend", rt.backend)
		}
	}
	for _, field := range a.settings.Strings(rt.backend, "FIELDS_STORED_IN_SESSION", nil) {
		if field == sessionNext || field == sessionPartial || strings.HasPrefix(field, "_socialauth") {
			continue // the engine's own keys are never taken from the request
		}
		if v, ok := form[field]; ok && len(v) > 0 {
			req.sess.Set(field, v[0])
		}
	}
	state, err := randomToken(32)
	if err != nil {
		a.fail(req, err)
		return
	}
	res, err := req.be.Begin(ctx, &backend.BeginRequest{
		RedirectURI: req.completeURL(),
		State:       state,
		Params:      form,
		Request:     r,
	})
	if err != nil {
		a.fail(req, err)
		return
	}
	if res.Stash != nil {
		if err := a.saveFlow(req.sess, rt.backend, res.Stash); err != nil {
			a.fail(req, err)
			return
		}
	}
	if !a.saveSession(req) {
		return
	}
	noStore(w)
	switch {
	case res.Handler != nil:
		res.Handler.ServeHTTP(w, r)
	case res.RedirectURL != "":
		http.Redirect(w, r, res.RedirectURL, http.StatusFound)
	default:
		a.fail(req, fmt.Errorf("backend %s began without a redirect or a response", rt.backend))
	}
}

type flowRecord struct {
	Stash   backend.Stash `json:"s"`
	Expires int64         `json:"e"`
}

func (a *Auth) saveFlow(sess *session.Session, name string, stash backend.Stash) error {
	data, err := json.Marshal(flowRecord{Stash: stash, Expires: a.now().Add(flowTTL).Unix()})
	if err != nil {
		return err
	}
	sess.Set(flowKeyPrefix+name, string(data))
	return nil
}

// takeFlow removes and returns the backend's stash: a flow is used once. An
// absent, malformed or expired record gives nil.
func (a *Auth) takeFlow(sess *session.Session, name string) backend.Stash {
	raw, ok := sess.Pop(flowKeyPrefix + name)
	if !ok {
		return nil
	}
	var rec flowRecord
	if json.Unmarshal([]byte(raw), &rec) != nil || a.now().Unix() >= rec.Expires || rec.Stash == nil {
		return nil
	}
	return rec.Stash
}

func (a *Auth) serveComplete(w http.ResponseWriter, r *http.Request, rt route) {
	req, form, ok := a.start(w, r, rt)
	if !ok {
		return
	}
	ctx := r.Context()

	if resumed, err := a.resumeIfPaused(req, form); resumed || err != nil {
		if err != nil {
			a.fail(req, err)
		}
		return
	}

	stash := a.takeFlow(req.sess, rt.backend)
	ident, err := req.be.Complete(ctx, &backend.CompleteRequest{
		RedirectURI: req.completeURL(),
		Params:      form,
		Stash:       stash,
		Request:     r,
	})
	if err != nil {
		a.fail(req, err) // saves the session: the flow is spent either way
		return
	}
	current, err := a.currentUser(r, req.sess)
	if err != nil {
		a.fail(req, err)
		return
	}
	st := a.newState(req, form)
	st.Identity = ident
	st.User = current
	a.runAuth(req, st, 0)
}

// newState builds the parts of a pipeline state that are not saved in a
// partial.
func (a *Auth) newState(req *request, form url.Values) *pipeline.State {
	token, err := randomToken(32)
	if err != nil {
		panic("socialauth: crypto/rand failed: " + err.Error()) // crypto/rand.Read never fails on supported systems
	}
	return &pipeline.State{
		PartialToken: token,
		Backend:      req.be,
		Settings:     a.settings.For(req.rt.backend),
		Users:        a.users,
		Associations: a.store,
		Codes:        a.store,
		Request:      form,
		HTTPRequest:  req.r,
		Session:      req.sess,
		Logger:       a.logger.With("backend", req.rt.backend),
		Now:          a.now,
		CompleteURL:  req.completeURL(),

		SendValidation: a.validationSender(req.rt.backend),
	}
}

// runAuth runs the authentication pipeline from a step and answers.
func (a *Auth) runAuth(req *request, st *pipeline.State, from int) {
	ctx := req.r.Context()
	steps := a.pipelines[req.rt.backend]
	out, err := pipeline.Run(ctx, steps, from, st)
	if err != nil {
		a.fail(req, err)
		return
	}
	switch out.Result {
	case pipeline.Paused:
		if err := a.pause(req, st, partialAuth, out.Step); err != nil {
			a.fail(req, err)
			return
		}
		if !a.saveSession(req) {
			return
		}
		noStore(req.w)
		st.Reply().ServeHTTP(req.w, req.r)
		return
	case pipeline.Stopped:
		if !a.saveSession(req) {
			return
		}
		noStore(req.w)
		st.Reply().ServeHTTP(req.w, req.r)
		return
	}
	a.finishLogin(req, st)
}

// finishLogin logs the pipeline's user in and redirects.
func (a *Auth) finishLogin(req *request, st *pipeline.State) {
	ctx := req.r.Context()
	name := req.rt.backend
	u := st.User
	if u == nil {
		a.fail(req, socialerr.New(socialerr.AuthFailed, name, "the pipeline did not produce a user"))
		return
	}
	if st.IsNew {
		if h := a.cfg.Events.UserCreated; h != nil {
			h(ctx, name, u)
		}
	}
	if st.NewAssociation && st.Social != nil {
		if h := a.cfg.Events.Associated; h != nil {
			h(ctx, name, u, st.Social)
		}
	}
	if !u.IsActive {
		a.failTo(req, socialerr.New(socialerr.AuthInactiveUser, name, ""),
			a.settings.String(name, "INACTIVE_USER_URL", a.errorURL(name)))
		return
	}
	wasLoggedIn, _ := a.currentUser(req.r, req.sess)
	if err := a.login(req, u); err != nil {
		a.fail(req, err)
		return
	}
	if a.settings.Bool(name, "SESSION_EXPIRATION", false) && st.Social != nil {
		if secs := expiresSeconds(st.Social.ExtraData["expires"]); secs > 0 {
			req.sess.MaxAge = time.Duration(secs) * time.Second
		}
	}
	next, _ := req.sess.Pop(sessionNext)
	target := a.successURL(name, next, st.IsNew, st.NewAssociation && wasLoggedIn != nil)
	if !a.saveSession(req) {
		return
	}
	if h := a.cfg.Events.LoginCompleted; h != nil {
		h(ctx, name, u, st.IsNew)
	}
	noStore(req.w)
	http.Redirect(req.w, req.r, target, http.StatusFound)
}

func expiresSeconds(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case int:
		return int64(x)
	case int64:
		return x
	case json.Number:
		i, _ := x.Int64()
		return i
	case string:
		var i int64
		_, _ = fmt.Sscan(x, &i)
		return i
	}
	return 0
}

// successURL picks where a finished login goes.
func (a *Auth) successURL(name, next string, isNew, newAssociation bool) string {
	withNext := func(base string) string {
		if next == "" {
			return base
		}
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		return base + sep + "next=" + url.QueryEscape(next)
	}
	if isNew {
		if u := a.settings.String(name, "NEW_USER_REDIRECT_URL", ""); u != "" {
			return withNext(u)
		}
	}
	if newAssociation {
		if u := a.settings.String(name, "NEW_ASSOCIATION_REDIRECT_URL", ""); u != "" {
			return withNext(u)
		}
	}
	if next != "" {
		return next
	}
	return a.settings.String(name, "LOGIN_REDIRECT_URL", "/")
}

func (a *Auth) errorURL(name string) string {
	if u := a.settings.String(name, "LOGIN_ERROR_URL", ""); u != "" {
		return u
	}
	return a.settings.String(name, "LOGIN_URL", "/")
}

// login runs the login function.
func (a *Auth) login(req *request, u *store.User) error {
	if a.cfg.Login != nil {
		return a.cfg.Login(req.w, req.r, req.sess, u)
	}
	req.sess.Renew()
	req.sess.Set(sessionUserID, u.ID)
	return nil
}

// currentUser returns the logged-in user, or nil.
func (a *Auth) currentUser(r *http.Request, sess *session.Session) (*store.User, error) {
	if a.cfg.CurrentUser != nil {
		return a.cfg.CurrentUser(r)
	}
	id, ok := sess.Get(sessionUserID)
	if !ok || id == "" {
		return nil, nil
	}
	u, err := a.users.GetUser(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		sess.Delete(sessionUserID)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !u.IsActive {
		return nil, nil
	}
	return u, nil
}

func (a *Auth) serveDisconnect(w http.ResponseWriter, r *http.Request) {
	rt, _ := r.Context().Value(routeKey{}).(route)
	req, form, ok := a.start(w, r, rt)
	if !ok {
		return
	}
	if resumed, err := a.resumeIfPaused(req, form); resumed || err != nil {
		if err != nil {
			a.fail(req, err)
		}
		return
	}
	u, err := a.currentUser(r, req.sess)
	if err != nil {
		a.fail(req, err)
		return
	}
	if u == nil {
		a.fail(req, socialerr.New(socialerr.AuthForbidden, rt.backend, "log in before disconnecting an account"))
		return
	}
	if next := form.Get("next"); next != "" {
		if safe, ok := a.safeRedirect(r, rt.backend, next); ok {
			req.sess.Set(sessionNext, safe)
		}
	}
	st := a.newState(req, form)
	st.User = u
	st.AssociationID = rt.id
	a.runDisconnect(req, st, 0)
}

func (a *Auth) runDisconnect(req *request, st *pipeline.State, from int) {
	ctx := req.r.Context()
	name := req.rt.backend
	out, err := pipeline.Run(ctx, a.disconnect[name], from, st)
	if err != nil {
		a.fail(req, err)
		return
	}
	switch out.Result {
	case pipeline.Paused, pipeline.Stopped:
		if out.Result == pipeline.Paused {
			if err := a.pause(req, st, partialDisconnect, out.Step); err != nil {
				a.fail(req, err)
				return
			}
		}
		if !a.saveSession(req) {
			return
		}
		noStore(req.w)
		st.Reply().ServeHTTP(req.w, req.r)
		return
	}
	if h := a.cfg.Events.Disconnected; h != nil {
		h(ctx, name, st.User, st.Entries)
	}
	next, _ := req.sess.Pop(sessionNext)
	target := next
	if target == "" {
		target = a.settings.String(name, "DISCONNECT_REDIRECT_URL", "")
	}
	if target == "" {
		target = a.settings.String(name, "LOGIN_REDIRECT_URL", "/")
	}
	if !a.saveSession(req) {
		return
	}
	http.Redirect(req.w, req.r, target, http.StatusFound)
}

// saveSession writes the session; on failure it answers with an error and
// returns false.
func (a *Auth) saveSession(req *request) bool {
	if err := a.sessions.Save(req.r.Context(), req.w, req.r, req.sess); err != nil {
		a.logger.ErrorContext(req.r.Context(), "socialauth: saving session", "err", err)
		http.Error(req.w, "session error", http.StatusInternalServerError)
		return false
	}
	return true
}

// fail answers a failed request: a redirect to LOGIN_ERROR_URL with message
// and backend parameters, or, with RAISE_EXCEPTIONS, the error handler.
func (a *Auth) fail(req *request, err error) {
	a.failTo(req, err, a.errorURL(req.rt.backend))
}

func (a *Auth) failTo(req *request, err error, target string) {
	name := req.rt.backend
	ctx := req.r.Context()
	kind := socialerr.KindOf(err)
	if kind == "" {
		a.logger.ErrorContext(ctx, "socialauth: request failed", "backend", name, "err", err)
	} else {
		a.logger.WarnContext(ctx, "socialauth: login failed", "backend", name, "kind", string(kind), "err", err)
	}
	if h := a.cfg.Events.LoginFailed; h != nil {
		h(ctx, name, err)
	}
	if req.sess != nil {
		req.sess.Delete(sessionNext)
		_ = a.sessions.Save(ctx, req.w, req.r, req.sess)
	}
	noStore(req.w)
	if a.settings.Bool(name, "RAISE_EXCEPTIONS", false) {
		if a.cfg.ErrorHandler != nil {
			a.cfg.ErrorHandler(req.w, req.r, err)
			return
		}
		http.Error(req.w, publicMessage(err), statusOf(kind))
		return
	}
	q := url.Values{}
	q.Set("message", publicMessage(err))
	if name != "" {
		q.Set("backend", name)
	}
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	http.Redirect(req.w, req.r, target+sep+q.Encode(), http.StatusFound)
}

// publicMessage is the text of an error that may be shown to the person.
func publicMessage(err error) string {
	var e *socialerr.Error
	if errors.As(err, &e) {
		return e.PublicMessage()
	}
	var p *socialerr.ProviderError
	if errors.As(err, &p) {
		return p.PublicMessage()
	}
	return "authentication failed"
}

func statusOf(kind socialerr.Kind) int {
	switch kind {
	case "":
		return http.StatusInternalServerError
	case socialerr.WrongBackend:
		return http.StatusNotFound
	case socialerr.AuthForbidden, socialerr.AuthAlreadyAssociated, socialerr.NotAllowedToDisconnect,
		socialerr.AuthStateForbidden, socialerr.AuthInactiveUser:
		return http.StatusForbidden
	case socialerr.AuthUnreachableProvider:
		return http.StatusBadGateway
	case socialerr.AuthCanceled, socialerr.AuthTokenError, socialerr.AuthTokenRevoked:
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
