package socialauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// PartialTokenParam is the request parameter that names a paused pipeline
// when a step's form posts back to /complete/{backend}/.
const PartialTokenParam = "partial_token"

// partialTTL is how long a paused pipeline may wait unless PARTIAL_TTL
// (seconds) says otherwise.
const partialTTL = 24 * time.Hour

const (
	partialAuth       = "auth"
	partialDisconnect = "disconnect"
)

// partialData is what a paused pipeline keeps in the partial store. Tokens
// stay server-side: only the partial's random token goes to the session.
type partialData struct {
	Kind           string            `json:"kind"`
	Identity       *backend.Identity `json:"identity,omitempty"`
	UID            string            `json:"uid,omitempty"`
	Details        backend.Details   `json:"details"`
	Response       map[string]any    `json:"response,omitempty"`
	UserID         string            `json:"user_id,omitempty"`
	SocialID       string            `json:"social_id,omitempty"`
	IsNew          bool              `json:"is_new,omitempty"`
	NewAssociation bool              `json:"new_association,omitempty"`
	Username       string            `json:"username,omitempty"`
	EmailValidated bool              `json:"email_validated,omitempty"`
	Data           map[string]any    `json:"data,omitempty"`
	AssociationID  string            `json:"association_id,omitempty"`
	// ResumeCodeHash is the SHA-256 of State.ResumeCode, hex.
	ResumeCodeHash string `json:"resume_code_hash,omitempty"`
}

// pause keeps a paused pipeline under its token and binds the token to the
// browser's session.
func (a *Auth) pause(req *request, st *pipeline.State, kind string, step int) error {
	ctx := req.r.Context()
	pd := partialData{
		Kind: kind, Identity: st.Identity, UID: st.UID, Details: st.Details, Response: st.Response,
		IsNew: st.IsNew, NewAssociation: st.NewAssociation, Username: st.Username,
		EmailValidated: st.EmailValidated, Data: st.Data, AssociationID: st.AssociationID,
	}
	if st.ResumeCode != "" {
		sum := sha256.Sum256([]byte(st.ResumeCode))
		pd.ResumeCodeHash = hex.EncodeToString(sum[:])
	}
	if st.User != nil {
		pd.UserID = st.User.ID
	}
	if st.Social != nil {
		pd.SocialID = st.Social.ID
	}
	data, err := json.Marshal(pd)
	if err != nil {
		return fmt.Errorf("socialauth: saving partial pipeline (pipeline.State.Data must encode to JSON): %w", err)
	}
	if err := a.store.SavePartial(ctx, &store.Partial{
		Token: st.PartialToken, Backend: req.rt.backend, NextStep: step, Data: data, CreatedAt: a.now(),
	}); err != nil {
		return fmt.Errorf("socialauth: saving partial pipeline: %w", err)
	}
	req.sess.Set(sessionPartial, st.PartialToken)
	if h := a.cfg.Events.PipelinePaused; h != nil {
		h(ctx, req.rt.backend, step)
	}
	return nil
}

// resumeIfPaused resumes the session's paused pipeline when the request
// comes back for it. It reports whether it handled the request.
//
// A partial is bound to the browser that started it: its token must be in
// that browser's session. A partial_token parameter naming another token,
// or coming from a browser without one, is refused with AuthForbidden.
func (a *Auth) resumeIfPaused(req *request, form url.Values) (bool, error) {
	ctx := req.r.Context()
	name := req.rt.backend
	wantKind := partialAuth
	if req.rt.action == "disconnect" {
		wantKind = partialDisconnect
	}
	sessTok, inSession := req.sess.Get(sessionPartial)
	reqTok := form.Get(PartialTokenParam)
	if reqTok != "" && (!inSession || subtle.ConstantTimeCompare([]byte(reqTok), []byte(sessTok)) != 1) {
		// Another browser may take the run over only by presenting the
		// code the paused step sent out (a validation link opened on
		// another device), and only after confirming it.
		handled, err := a.transferPartial(req, form, reqTok)
		if err != nil || handled {
			return handled, err
		}
		sessTok, inSession = reqTok, true
	}
	if !inSession {
		return false, nil
	}
	p, err := a.store.GetPartial(ctx, sessTok)
	if errors.Is(err, store.ErrNotFound) {
		req.sess.Delete(sessionPartial)
		if reqTok != "" {
			return false, socialerr.New(socialerr.AuthStateMissing, name, "this sign-in has expired; please start again")
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var pd partialData
	if err := json.Unmarshal(p.Data, &pd); err != nil {
		return false, fmt.Errorf("socialauth: reading partial pipeline: %w", err)
	}
	if p.Backend != name || pd.Kind != wantKind {
		if reqTok != "" {
			return false, socialerr.New(socialerr.AuthForbidden, name, "this sign-in belongs to another service")
		}
		return false, nil // another backend's pause; this request is a fresh callback
	}
	if pd.Kind == partialDisconnect {
		// A paused disconnect belongs to the user who asked for it.
		cur, err := a.currentUser(req.r, req.sess)
		if err != nil {
			return false, err
		}
		if cur == nil || cur.ID != pd.UserID {
			return false, socialerr.New(socialerr.AuthForbidden, name, "log in as the account owner to continue")
		}
	}
	// Used once: a step that pauses again saves it anew.
	req.sess.Delete(sessionPartial)
	if err := a.store.DeletePartial(ctx, sessTok); err != nil {
		return false, err
	}
	ttl := a.settings.Seconds(name, "PARTIAL_TTL", partialTTL)
	if a.now().After(p.CreatedAt.Add(ttl)) {
		return false, socialerr.New(socialerr.AuthStateMissing, name, "this sign-in has expired; please start again")
	}

	// python-social-auth copies FIELDS_STORED_IN_SESSION back into the
	// request data on resume.
	data := url.Values{}
	for k, v := range form {
		data[k] = v
	}
	for _, field := range a.settings.Strings(name, "FIELDS_STORED_IN_SESSION", nil) {
		if v, ok := req.sess.Get(field); ok && data.Get(field) == "" {
			data.Set(field, v)
		}
	}
	st := a.newState(req, data)
	st.PartialToken = sessTok
	st.Identity, st.UID, st.Details, st.Response = pd.Identity, pd.UID, pd.Details, pd.Response
	st.IsNew, st.NewAssociation, st.Username = pd.IsNew, pd.NewAssociation, pd.Username
	st.EmailValidated, st.Data, st.AssociationID = pd.EmailValidated, pd.Data, pd.AssociationID
	if pd.UserID != "" {
		if st.User, err = a.users.GetUser(ctx, pd.UserID); err != nil {
			return false, fmt.Errorf("socialauth: resuming: %w", err)
		}
	}
	if pd.SocialID != "" {
		if st.Social, err = a.store.GetAssociationByID(ctx, pd.SocialID); err != nil {
			return false, fmt.Errorf("socialauth: resuming: %w", err)
		}
	}
	if pd.Kind == partialDisconnect {
		a.runDisconnect(req, st, p.NextStep)
	} else {
		a.runAuth(req, st, p.NextStep)
	}
	return true, nil
}

// ResumeCodeParam is the parameter carrying a paused step's ResumeCode.
const ResumeCodeParam = "verification_code"

// transferPartial lets a browser that does not hold a partial take it over
// when it presents the partial's resume code: GET shows a confirmation
// page, a same-origin POST of that page binds the partial to this browser
// and reports handled=false so that the caller resumes it. Anything else
// is AuthForbidden.
func (a *Auth) transferPartial(req *request, form url.Values, token string) (handled bool, err error) {
	name := req.rt.backend
	forbidden := socialerr.New(socialerr.AuthForbidden, name,
		"this sign-in must be continued from the browser that started it")
	code := form.Get(ResumeCodeParam)
	if code == "" {
		return false, forbidden
	}
	p, err := a.store.GetPartial(req.r.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		return false, socialerr.New(socialerr.AuthStateMissing, name, "this sign-in has expired; please start again")
	}
	if err != nil {
		return false, err
	}
	var pd partialData
	if json.Unmarshal(p.Data, &pd) != nil || pd.ResumeCodeHash == "" || p.Backend != name {
		return false, forbidden
	}
	sum := sha256.Sum256([]byte(code))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(pd.ResumeCodeHash)) != 1 {
		return false, forbidden
	}
	if req.r.Method != http.MethodPost || form.Get("confirm") != "yes" {
		noStore(req.w)
		req.w.Header().Set("Content-Type", "text/html; charset=utf-8")
		req.w.Header().Set("X-Frame-Options", "DENY")
		req.w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
		err := a.confirmPage.Execute(req.w, map[string]string{
			"Action": req.rt.prefix + "/complete/" + name + "/", "Token": token, "Code": code,
			"Email": pd.Details.Email,
		})
		return true, err
	}
	if err := http.NewCrossOriginProtection().Check(req.r); err != nil {
		return false, socialerr.Wrap(socialerr.AuthForbidden, name, err, "cross-site request refused")
	}
	req.sess.Set(sessionPartial, token)
	return false, nil
}

const confirmPageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Continue signing in?</title>
<style>body{font:16px/1.5 system-ui,sans-serif;background:#f5f7fb;color:#1d2330;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;border:1px solid #e3e6ee;border-radius:14px;padding:2rem;max-width:26rem;box-shadow:0 6px 24px rgba(20,30,70,.07)}
button{font:inherit;font-weight:600;padding:.6rem 1.1rem;border-radius:10px;border:1px solid #3355ff;background:#3355ff;color:#fff;cursor:pointer}</style>
</head><body><main>
<h1 style="font-size:1.3rem;margin-top:0">Continue signing in on this device?</h1>
<p>The sign-in{{with .Email}} for <strong>{{.}}</strong>{{end}} was started in another browser. Continue here only if you started it.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="partial_token" value="{{.Token}}">
<input type="hidden" name="verification_code" value="{{.Code}}">
<input type="hidden" name="confirm" value="yes">
<button type="submit">Continue signing in</button>
</form></main></body></html>
`
