package localidp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// tokenError is an RFC 6749 §5.2 error reply.
type tokenError struct {
	status      int
	code        string
	description string
}

func (e *tokenError) Error() string { return e.code + ": " + e.description }

func invalidRequest(desc string) *tokenError {
	return &tokenError{http.StatusBadRequest, "invalid_request", desc}
}

func invalidGrant(desc string) *tokenError {
	return &tokenError{http.StatusBadRequest, "invalid_grant", desc}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "cannot encode reply", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeTokenError(w http.ResponseWriter, e *tokenError) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if e.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="localidp", charset="UTF-8"`)
	}
	body := map[string]string{"error": e.code}
	if e.description != "" {
		body["error_description"] = e.description
	}
	writeJSON(w, e.status, body)
}

// readForm parses a capped urlencoded body and refuses repeated parameters
// (RFC 6749 §3.2).
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) (url.Values, *tokenError) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &tokenError{http.StatusRequestEntityTooLarge, "invalid_request", "request body too large"}
		}
		return nil, invalidRequest("malformed request body")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return nil, invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 {
			return nil, invalidRequest(k + " is repeated")
		}
	}
	return r.PostForm, nil
}

// authenticateClient checks client_secret_basic or client_secret_post.
func (s *Server) authenticateClient(r *http.Request, form url.Values) (string, *tokenError) {
	unauthorized := &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication failed"}
	basicID, basicSecret, hasBasic := r.BasicAuth()
	_, hasPostSecret := form["client_secret"]
	if _, hasAssertion := form["client_assertion"]; hasAssertion && s.oidc != nil {
		return s.authenticateAssertion(r, form)
	}
	var id, secret string
	var method AuthMethod
	switch {
	case hasBasic && hasPostSecret:
		return "", invalidRequest("use one client authentication method only")
	case hasBasic:
		// RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(basicID)
		secret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return "", unauthorized
		}
		if formID := form.Get("client_id"); formID != "" && formID != id {
			return "", invalidRequest("client_id differs from the authenticated client")
		}
		method = ClientSecretBasic
	case hasPostSecret:
		id, secret = form.Get("client_id"), form.Get("client_secret")
		method = ClientSecretPost
	default:
		return "", unauthorized
	}
	client, known := s.Client(id)
	want := client.Secret
	if !known || want == "" {
		want = "\x00unknown client" // compare anyway: same work either way
	}
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(want))
	match := subtle.ConstantTimeCompare(a[:], b[:]) == 1
	if !known || client.Secret == "" || !match {
		return "", unauthorized
	}
	if client.AuthMethod != AuthMethodAny && client.AuthMethod != method {
		return "", &tokenError{http.StatusUnauthorized, "invalid_client", "the client must authenticate with " + string(client.AuthMethod)}
	}
	return id, nil
}

// token handles POST /token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	form, terr := s.readForm(w, r)
	if terr == nil {
		var clientID string
		clientID, terr = s.authenticateClient(r, form)
		if terr == nil {
			var reply map[string]any
			switch gt := form.Get("grant_type"); gt {
			case "authorization_code":
				reply, terr = s.redeemCode(r, clientID, form)
			case "refresh_token":
				reply, terr = s.refresh(r, clientID, form)
			case "":
				terr = invalidRequest("grant_type is missing")
			default:
				terr = &tokenError{http.StatusBadRequest, "unsupported_grant_type", "supported: authorization_code, refresh_token"}
			}
			if terr == nil {
				h := w.Header()
				h.Set("Cache-Control", "no-store")
				h.Set("Pragma", "no-cache")
				writeJSON(w, http.StatusOK, reply)
				return
			}
		}
	}
	s.cfg.Logger.InfoContext(r.Context(), "localidp: token request refused", "error", terr.code, "description", terr.description)
	writeTokenError(w, terr)
}

// redeemCode exchanges an authorization code. The code is spent by any
// attempt of its own client, successful or not; a second attempt revokes
// what the first one obtained.
func (s *Server) redeemCode(r *http.Request, clientID string, form url.Values) (map[string]any, *tokenError) {
	code := form.Get("code")
	if code == "" {
		return nil, invalidRequest("code is missing")
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[grantKey(code)]
	if !ok || g.kind != kindCode {
		return nil, invalidGrant("unknown, expired or already used code")
	}
	if g.clientID != clientID {
		return nil, invalidGrant("the code was issued to another client")
	}
	if g.spent {
		n := s.revokeFamilyLocked(g.family)
		s.cfg.Logger.WarnContext(r.Context(), "localidp: authorization code replayed; tokens issued from it revoked", "client_id", clientID, "revoked", n)
		return nil, invalidGrant("unknown, expired or already used code")
	}
	if !now.Before(g.expires) {
		delete(s.grants, grantKey(code))
		return nil, invalidGrant("unknown, expired or already used code")
	}
	// Spend it now: whatever happens next, it is not usable again.
	g.spent = true
	g.family = randomToken()
	g.deadline = now.Add(s.cfg.RefreshTTL)

	redirect, given := form["redirect_uri"]
	switch {
	case g.redirectGiven && !given:
		return nil, invalidGrant("redirect_uri is missing")
	case g.redirectGiven && redirect[0] != g.redirectURI:
		return nil, invalidGrant("redirect_uri differs from the authorization request's")
	case !g.redirectGiven && given && redirect[0] != g.redirectURI:
		return nil, invalidGrant("redirect_uri differs from the registered one")
	}
	verifier, hasVerifier := form["code_verifier"]
	switch {
	case g.challenge != "" && !hasVerifier:
		return nil, invalidGrant("code_verifier is missing")
	case g.challenge != "" && !validVerifier(verifier[0]):
		return nil, invalidGrant("code_verifier is malformed")
	case g.challenge != "" && !s256Matches(verifier[0], g.challenge):
		return nil, invalidGrant("code_verifier does not match the code challenge")
	case g.challenge == "" && hasVerifier:
		return nil, invalidGrant("code_verifier sent but the authorization request had no code challenge")
	}
	reply, err := s.issueTokensLocked(now, g, g.scope)
	if err != nil {
		return nil, err
	}
	s.cfg.Logger.InfoContext(r.Context(), "localidp: code redeemed", "client_id", clientID, "user", g.user.ID)
	return reply, nil
}

// refresh handles grant_type=refresh_token, rotating the refresh token. A
// rotated token presented again revokes its whole family.
func (s *Server) refresh(r *http.Request, clientID string, form url.Values) (map[string]any, *tokenError) {
	token := form.Get("refresh_token")
	if token == "" {
		return nil, invalidRequest("refresh_token is missing")
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[grantKey(token)]
	if !ok || g.kind != kindRefresh {
		return nil, invalidGrant("unknown, expired or revoked refresh token")
	}
	if g.clientID != clientID {
		return nil, invalidGrant("the refresh token was issued to another client")
	}
	if g.spent {
		n := s.revokeFamilyLocked(g.family)
		s.cfg.Logger.WarnContext(r.Context(), "localidp: rotated refresh token replayed; its grant revoked", "client_id", clientID, "revoked", n)
		return nil, invalidGrant("unknown, expired or revoked refresh token")
	}
	if !now.Before(g.expires) {
		delete(s.grants, grantKey(token))
		return nil, invalidGrant("unknown, expired or revoked refresh token")
	}
	scope := g.scope
	if asked, ok := form["scope"]; ok {
		scope = normalizeScope(asked[0])
		granted := strings.Fields(g.scope)
		for _, v := range strings.Fields(scope) {
			if !slices.Contains(granted, v) {
				return nil, &tokenError{http.StatusBadRequest, "invalid_scope", "scope exceeds the original grant"}
			}
		}
	}
	reply, err := s.issueTokensLocked(now, g, scope)
	if err != nil {
		return nil, err
	}
	g.spent = true
	g.expires = now // kept only while its family lives
	return reply, nil
}

// issueTokensLocked issues an access token and a refresh token in from's
// family.
func (s *Server) issueTokensLocked(now time.Time, from *grant, scope string) (map[string]any, *tokenError) {
	if len(s.grants)+2 > s.cfg.MaxGrants {
		s.sweepLocked(now, true)
	}
	if len(s.grants)+2 > s.cfg.MaxGrants || !now.Before(from.deadline) {
		if now.Before(from.deadline) {
			return nil, &tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "the provider is busy, try again later"}
		}
		return nil, invalidGrant("the grant has expired")
	}
	base := grant{clientID: from.clientID, user: from.user, scope: scope, family: from.family, deadline: from.deadline, authTime: from.authTime}
	access := base
	access.kind = kindAccess
	access.expires = now.Add(s.cfg.TokenTTL)
	refresh := base
	refresh.kind = kindRefresh
	refresh.expires = from.deadline
	accessToken, err := s.storeLocked(now, &access)
	if err != nil {
		return nil, &tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "the provider is busy, try again later"}
	}
	refreshToken, err := s.storeLocked(now, &refresh)
	if err != nil {
		delete(s.grants, grantKey(accessToken))
		return nil, &tokenError{http.StatusServiceUnavailable, "temporarily_unavailable", "the provider is busy, try again later"}
	}
	reply := map[string]any{
		"access_token":  accessToken,
		"token_type":    "Bearer",
		"expires_in":    int64(s.cfg.TokenTTL / time.Second),
		"refresh_token": refreshToken,
	}
	if scope != "" {
		reply["scope"] = scope
	}
	idToken, ierr := s.idTokenLocked(now, from, scope, accessToken)
	if ierr != nil {
		delete(s.grants, grantKey(accessToken))
		delete(s.grants, grantKey(refreshToken))
		return nil, &tokenError{http.StatusInternalServerError, "server_error", "cannot sign the ID token"}
	}
	if idToken != "" {
		reply["id_token"] = idToken
	}
	return reply, nil
}

// validVerifier checks RFC 7636 §4.1: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
		default:
			return false
		}
	}
	return true
}

func s256Matches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// revoke handles POST /revoke (RFC 7009). Revoking a refresh token revokes
// its whole grant; revoking an access token revokes that token.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	form, terr := s.readForm(w, r)
	var clientID string
	if terr == nil {
		clientID, terr = s.authenticateClient(r, form)
	}
	if terr == nil && form.Get("token") == "" {
		terr = invalidRequest("token is missing")
	}
	if terr == nil {
		s.mu.Lock()
		key := grantKey(form.Get("token"))
		if g, ok := s.grants[key]; ok && g.kind != kindCode && !g.spent {
			switch {
			case g.clientID != clientID:
				terr = &tokenError{http.StatusBadRequest, "unauthorized_client", "the token was issued to another client"}
			case g.kind == kindRefresh:
				s.revokeFamilyLocked(g.family)
			default:
				delete(s.grants, key)
			}
		}
		s.mu.Unlock()
	}
	if terr != nil {
		writeTokenError(w, terr)
		return
	}
	// RFC 7009 §2.2: 200 whether or not the token was known.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
