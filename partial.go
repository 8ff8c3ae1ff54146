package socialauth

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
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
		return false, socialerr.New(socialerr.AuthForbidden, name,
			"this sign-in must be continued from the browser that started it")
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
