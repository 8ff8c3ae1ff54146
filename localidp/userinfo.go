package localidp

import (
	"errors"
	"net/http"
	"strings"
)

// Errors of [BearerToken].
var (
	// ErrNoToken: the request carries no access token.
	ErrNoToken = errors.New("localidp: no access token in the request")
	// ErrManyTokens: the request carries the token in more than one way
	// (RFC 6750 §2 forbids it).
	ErrManyTokens = errors.New("localidp: access token sent in more than one way")
)

// BearerToken returns the access token of a request: the Authorization
// header with the "Bearer" scheme (or GitHub's "token" scheme, so that
// catalogue backends using it work against a local provider), or an
// access_token query or urlencoded form parameter (RFC 6750 §2.2, §2.3).
// The caller caps the body before calling it when it reads forms.
func BearerToken(r *http.Request) (string, error) {
	var found []string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token") {
			found = append(found, strings.TrimSpace(token))
		}
	}
	if vs := r.URL.Query()["access_token"]; len(vs) > 0 {
		found = append(found, vs...)
	}
	if r.Method == http.MethodPost && strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err == nil {
			found = append(found, r.PostForm["access_token"]...)
		}
	}
	switch {
	case len(found) == 0:
		return "", ErrNoToken
	case len(found) > 1:
		return "", ErrManyTokens
	case found[0] == "":
		return "", ErrNoToken
	}
	return found[0], nil
}

// userinfo handles /userinfo.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	token, err := BearerToken(r)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	switch {
	case errors.Is(err, ErrManyTokens):
		h.Set("WWW-Authenticate", `Bearer realm="localidp", error="invalid_request"`)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "send the access token one way only"})
		return
	case err != nil:
		h.Set("WWW-Authenticate", `Bearer realm="localidp"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "an access token is required"})
		return
	}
	info, ok := s.Introspect(token)
	if !ok {
		h.Set("WWW-Authenticate", `Bearer realm="localidp", error="invalid_token", error_description="the access token is unknown, expired or revoked"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "the access token is unknown, expired or revoked"})
		return
	}
	writeJSON(w, http.StatusOK, Profile(info.User))
}

// Profile is the JSON object /userinfo returns for u: u.Claims when set,
// else id, sub, username, name, given_name, family_name, email and
// email_verified.
func Profile(u User) map[string]any {
	if u.Claims != nil {
		return cloneUser(u).Claims
	}
	return map[string]any{
		"id":             u.ID,
		"sub":            u.ID,
		"username":       u.Username,
		"name":           u.Name,
		"given_name":     u.GivenName,
		"family_name":    u.FamilyName,
		"email":          u.Email,
		"email_verified": u.EmailVerified,
	}
}
