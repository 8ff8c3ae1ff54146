package localidp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what an authorization request and the login form may carry.
const (
	maxStateLen    = 1024
	maxScopeLen    = 1024
	maxUsernameLen = 150
	maxNameLen     = 200
	maxEmailLen    = 254
	maxNonceLen    = 512
)

// authError is an RFC 6749 §4.1.2.1 error sent back to the client.
type authError struct {
	code, description string
}

// pageError is a request that cannot be sent back to the client (unknown
// client, unregistered redirect URI): it is shown to the person instead.
type pageError struct {
	status  int
	message string
}

// parseAuthorization validates the query of an authorization request. A
// *pageError means the redirect URI cannot be trusted; an *authError comes
// with a request whose RedirectURI and State are usable.
func (s *Server) parseAuthorization(q url.Values) (AuthorizationRequest, *pageError, *authError) {
	var req AuthorizationRequest
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(q[name]) > 1 {
			return req, &pageError{http.StatusBadRequest, "The request repeats the " + name + " parameter."}, nil
		}
	}
	req.ClientID = q.Get("client_id")
	if req.ClientID == "" {
		return req, &pageError{http.StatusBadRequest, "The request does not name a client (client_id is missing)."}, nil
	}
	client, ok := s.Client(req.ClientID)
	if !ok {
		return req, &pageError{http.StatusBadRequest, "The application asking you to sign in is not registered with this provider."}, nil
	}
	if raw, given := q["redirect_uri"]; given {
		if !slices.Contains(client.RedirectURIs, raw[0]) {
			return req, &pageError{http.StatusBadRequest, "The address the application wants you sent back to is not registered for it, so this provider will not send you there."}, nil
		}
		req.RedirectURI, req.RedirectURIGiven = raw[0], true
	} else {
		if len(client.RedirectURIs) != 1 {
			return req, &pageError{http.StatusBadRequest, "The request does not say where to send you back (redirect_uri is missing)."}, nil
		}
		req.RedirectURI = client.RedirectURIs[0]
	}
	// From here on, errors go back to the client's redirect URI.
	req.State = q.Get("state")
	for _, name := range []string{"response_type", "state", "scope", "code_challenge", "code_challenge_method", "login_hint", "nonce"} {
		if len(q[name]) > 1 {
			return req, nil, &authError{"invalid_request", name + " is repeated"}
		}
	}
	if len(req.State) > maxStateLen {
		req.State = ""
		return req, nil, &authError{"invalid_request", "state is too long"}
	}
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		return req, nil, &authError{"invalid_request", "response_type is missing"}
	default:
		return req, nil, &authError{"unsupported_response_type", "only response_type=code is supported"}
	}
	req.Scope = normalizeScope(q.Get("scope"))
	if len(req.Scope) > maxScopeLen {
		return req, nil, &authError{"invalid_scope", "scope is too long"}
	}
	if bad := s.unknownScope(req.Scope); bad != "" {
		return req, nil, &authError{"invalid_scope", "unknown scope " + strconv.Quote(bad)}
	}
	req.CodeChallenge = q.Get("code_challenge")
	req.CodeChallengeMethod = q.Get("code_challenge_method")
	switch {
	case req.CodeChallenge == "" && req.CodeChallengeMethod != "":
		return req, nil, &authError{"invalid_request", "code_challenge_method without code_challenge"}
	case req.CodeChallenge == "" && s.cfg.RequirePKCE:
		return req, nil, &authError{"invalid_request", "code challenge required (PKCE with S256)"}
	case req.CodeChallenge != "" && req.CodeChallengeMethod != "S256":
		return req, nil, &authError{"invalid_request", "transform algorithm not supported: code_challenge_method must be S256"}
	case req.CodeChallenge != "" && !validS256Challenge(req.CodeChallenge):
		return req, nil, &authError{"invalid_request", "code_challenge is not a base64url SHA-256 digest"}
	}
	req.Nonce = q.Get("nonce")
	if len(req.Nonce) > maxNonceLen {
		return req, nil, &authError{"invalid_request", "nonce is too long"}
	}
	req.LoginHint = q.Get("login_hint")
	if len(req.LoginHint) > maxUsernameLen || !utf8.ValidString(req.LoginHint) {
		req.LoginHint = ""
	}
	return req, nil, nil
}

// normalizeScope collapses the space-separated scope list.
func normalizeScope(scope string) string {
	return strings.Join(strings.Fields(scope), " ")
}

// unknownScope returns a scope value not in Config.Scopes, if any.
func (s *Server) unknownScope(scope string) string {
	for _, v := range strings.Fields(scope) {
		if !validScopeToken(v) {
			return v
		}
		if s.cfg.Scopes != nil && !slices.Contains(s.cfg.Scopes, v) {
			return v
		}
	}
	return ""
}

// validScopeToken checks RFC 6749 §3.3's scope-token characters.
func validScopeToken(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return v != ""
}

// validS256Challenge checks that c is 32 bytes in unpadded base64url.
func validS256Challenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// authorize handles GET /authorize.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	req, perr, aerr := s.parseAuthorization(r.URL.Query())
	if perr != nil {
		s.cfg.Logger.InfoContext(r.Context(), "localidp: authorization request refused", "client_id", req.ClientID, "reason", perr.message)
		s.renderError(w, perr.status, perr.message)
		return
	}
	if aerr != nil {
		s.redirectError(w, r, req, aerr.code, aerr.description, http.StatusFound)
		return
	}
	// HEAD (link previews, prefetchers) never gets a code.
	if s.cfg.Approve != nil && r.Method == http.MethodGet {
		d := s.cfg.Approve(r, req)
		switch d.Outcome {
		case Approve:
			s.issueCode(w, r, req, d.User, http.StatusFound)
			return
		case Deny:
			code := d.Error
			if code == "" {
				code = "access_denied"
			}
			s.redirectError(w, r, req, code, d.ErrorDescription, http.StatusFound)
			return
		}
	}
	s.renderLogin(w, http.StatusOK, loginForm{Username: req.LoginHint}, req, nil)
}

// authorizeSubmit handles POST /authorize, the login form.
func (s *Server) authorizeSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			s.renderError(w, http.StatusRequestEntityTooLarge, "The form sent is too large.")
			return
		}
		s.renderError(w, http.StatusBadRequest, "The form sent could not be read.")
		return
	}
	f := r.PostForm
	req, err := s.openPending(f.Get("request"), f.Get("mac"))
	if err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "localidp: login form refused", "reason", err.Error())
		s.renderError(w, http.StatusBadRequest, "This sign-in form is invalid or has expired. Go back to the application and start again.")
		return
	}
	// The registration may have changed since the form was shown.
	client, ok := s.Client(req.ClientID)
	if !ok || !slices.Contains(client.RedirectURIs, req.RedirectURI) {
		s.renderError(w, http.StatusBadRequest, "The application asking you to sign in is no longer registered with this provider.")
		return
	}
	switch f.Get("action") {
	case "cancel":
		s.redirectError(w, r, req, "access_denied", "the person cancelled the sign-in", http.StatusSeeOther)
	case "approve":
		in := loginForm{
			Username: strings.TrimSpace(f.Get("username")),
			Name:     strings.TrimSpace(f.Get("name")),
			Email:    strings.TrimSpace(f.Get("email")),
			Verified: f.Get("email_verified") != "",
		}
		if problems := in.validate(); len(problems) > 0 {
			s.renderLogin(w, http.StatusBadRequest, in, req, problems)
			return
		}
		s.issueCode(w, r, req, in.user(), http.StatusSeeOther)
	default:
		s.renderError(w, http.StatusBadRequest, "The form was sent without choosing to sign in or to cancel.")
	}
}

// loginForm is what the person typed.
type loginForm struct {
	Username, Name, Email string
	Verified              bool
}

// fieldProblem is a validation message for one input.
type fieldProblem struct {
	Field, Message string
}

func (in loginForm) validate() []fieldProblem {
	var p []fieldProblem
	switch {
	case in.Username == "":
		p = append(p, fieldProblem{"username", "Enter a username."})
	case len(in.Username) > maxUsernameLen || !printable(in.Username):
		p = append(p, fieldProblem{"username", "Use at most 150 printable characters for the username."})
	}
	if len(in.Name) > maxNameLen || !printable(in.Name) {
		p = append(p, fieldProblem{"name", "Use at most 200 printable characters for the display name."})
	}
	if in.Email != "" {
		a, err := mail.ParseAddress(in.Email)
		if err != nil || a.Address != in.Email || len(in.Email) > maxEmailLen {
			p = append(p, fieldProblem{"email", "Enter an email address like name@example.com, or leave it empty."})
		}
	}
	if in.Verified && in.Email == "" {
		p = append(p, fieldProblem{"email", "Enter the email address to mark as verified."})
	}
	return p
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// user turns the form into a User whose ID is derived from the username,
// so that the same username always is the same account.
func (in loginForm) user() User {
	sum := sha256.Sum256([]byte("localidp user\x00" + strings.ToLower(in.Username)))
	u := User{
		ID:            "u" + hex.EncodeToString(sum[:8]),
		Username:      in.Username,
		Name:          in.Name,
		Email:         in.Email,
		EmailVerified: in.Verified && in.Email != "",
	}
	if u.Name == "" {
		u.Name = u.Username
	}
	if given, family, ok := strings.Cut(u.Name, " "); ok {
		u.GivenName, u.FamilyName = given, strings.TrimSpace(family)
	} else {
		u.GivenName = u.Name
	}
	return u
}

// sealPending encodes req for the login form's hidden fields: the request
// and an HMAC over it with the server's random key.
func (s *Server) sealPending(req AuthorizationRequest) (payload, mac string) {
	v := url.Values{}
	v.Set("client_id", req.ClientID)
	v.Set("redirect_uri", req.RedirectURI)
	if req.RedirectURIGiven {
		v.Set("redirect_given", "1")
	}
	v.Set("state", req.State)
	v.Set("scope", req.Scope)
	v.Set("code_challenge", req.CodeChallenge)
	v.Set("code_challenge_method", req.CodeChallengeMethod)
	v.Set("nonce", req.Nonce)
	v.Set("exp", strconv.FormatInt(s.cfg.Now().Add(s.cfg.FormTTL).Unix(), 10))
	payload = base64.RawURLEncoding.EncodeToString([]byte(v.Encode()))
	return payload, base64.RawURLEncoding.EncodeToString(s.pendingMAC(payload))
}

func (s *Server) pendingMAC(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("localidp pending authorization v1\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

var (
	errBadPending     = errors.New("pending request fails its integrity check")
	errExpiredPending = errors.New("pending request expired")
)

// openPending checks and decodes what sealPending produced.
func (s *Server) openPending(payload, mac string) (AuthorizationRequest, error) {
	var req AuthorizationRequest
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, s.pendingMAC(payload)) {
		return req, errBadPending
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return req, errBadPending
	}
	v, err := url.ParseQuery(string(raw))
	if err != nil {
		return req, errBadPending
	}
	exp, err := strconv.ParseInt(v.Get("exp"), 10, 64)
	if err != nil {
		return req, errBadPending
	}
	if !s.cfg.Now().Before(time.Unix(exp, 0)) {
		return req, errExpiredPending
	}
	req = AuthorizationRequest{
		ClientID:            v.Get("client_id"),
		RedirectURI:         v.Get("redirect_uri"),
		RedirectURIGiven:    v.Get("redirect_given") == "1",
		State:               v.Get("state"),
		Scope:               v.Get("scope"),
		CodeChallenge:       v.Get("code_challenge"),
		CodeChallengeMethod: v.Get("code_challenge_method"),
		Nonce:               v.Get("nonce"),
	}
	return req, nil
}

// issueCode stores a code for user and sends the browser back with it.
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, req AuthorizationRequest, user User, status int) {
	now := s.cfg.Now()
	g := &grant{
		kind:          kindCode,
		clientID:      req.ClientID,
		user:          cloneUser(user),
		scope:         req.Scope,
		expires:       now.Add(s.cfg.CodeTTL),
		redirectURI:   req.RedirectURI,
		redirectGiven: req.RedirectURIGiven,
		challenge:     req.CodeChallenge,
		nonce:         req.Nonce,
		authTime:      now,
	}
	s.mu.Lock()
	code, err := s.storeLocked(now, g)
	s.mu.Unlock()
	if err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "localidp: cannot issue a code", "client_id", req.ClientID, "err", err)
		s.redirectError(w, r, req, "temporarily_unavailable", "the provider is busy, try again later", status)
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "localidp: code issued", "client_id", req.ClientID, "user", user.ID)
	s.redirectBack(w, r, req, url.Values{"code": {code}}, status)
}

// redirectError sends an RFC 6749 §4.1.2.1 error to the client.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req AuthorizationRequest, code, description string, status int) {
	v := url.Values{"error": {code}}
	if description != "" {
		v.Set("error_description", description)
	}
	s.redirectBack(w, r, req, v, status)
}

// redirectBack redirects to the request's registered redirect URI, keeping
// its query, adding params, state and iss.
func (s *Server) redirectBack(w http.ResponseWriter, r *http.Request, req AuthorizationRequest, params url.Values, status int) {
	u, err := url.Parse(req.RedirectURI)
	if err != nil { // registered URIs are validated; this cannot happen
		s.renderError(w, http.StatusInternalServerError, "The application's address is invalid.")
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if req.State != "" {
		q.Set("state", req.State)
	}
	if s.cfg.Issuer != "" {
		q.Set("iss", s.cfg.Issuer)
	}
	u.RawQuery = q.Encode()
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Location", u.String())
	w.WriteHeader(status)
}
