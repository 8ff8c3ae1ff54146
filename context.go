package socialauth

import (
	"net/http"

	"github.com/socialauth/socialauth/store"
)

// BackendInfo describes an enabled backend for templates.
type BackendInfo struct {
	Name       string // "github"
	Title      string // "GitHub"
	LoginURL   string // BasePath + "/login/github/"
	Disconnect string // BasePath + "/disconnect/github/"
}

// TemplateData is what a page needs to offer logins and show the user's
// accounts: python-social-auth's `backends` context (backends, associated,
// not_associated) plus the user.
type TemplateData struct {
	User *store.User
	// Backends are all enabled backends, in AUTHENTICATION_BACKENDS order.
	Backends []BackendInfo
	// Associated are the user's associations with enabled backends.
	Associated []*store.Association
	// NotAssociated are the enabled backends the user has no association
	// with (all of them when nobody is logged in).
	NotAssociated []BackendInfo
}

// CurrentUser returns the request's logged-in user, or nil when nobody is
// logged in.
func (a *Auth) CurrentUser(r *http.Request) (*store.User, error) {
	sess, err := a.sessions.Load(r.Context(), r)
	if err != nil {
		return nil, err
	}
	return a.currentUser(r, sess)
}

// Logout forgets the logged-in user (and everything else socialauth kept
// for this browser). It does not disconnect any account. Call it from a
// POST handler of the application.
func (a *Auth) Logout(w http.ResponseWriter, r *http.Request) error {
	sess, err := a.sessions.Load(r.Context(), r)
	if err != nil {
		return err
	}
	if tok, ok := sess.Get(sessionPartial); ok {
		_ = a.store.DeletePartial(r.Context(), tok)
	}
	sess.Clear()
	return a.sessions.Save(r.Context(), w, r, sess)
}

// Info returns the template description of an enabled backend.
func (a *Auth) Info(name string) (BackendInfo, bool) {
	if _, ok := a.backends[name]; !ok {
		return BackendInfo{}, false
	}
	title := a.titles[name]
	if title == "" {
		title = name
	}
	return BackendInfo{
		Name:       name,
		Title:      title,
		LoginURL:   a.cfg.BasePath + "/login/" + name + "/",
		Disconnect: a.cfg.BasePath + "/disconnect/" + name + "/",
	}, true
}

// TemplateData returns the login and account data for a page.
func (a *Auth) TemplateData(r *http.Request) (*TemplateData, error) {
	u, err := a.CurrentUser(r)
	if err != nil {
		return nil, err
	}
	td := &TemplateData{User: u}
	linked := map[string]bool{}
	if u != nil {
		all, err := a.store.AssociationsForUser(r.Context(), u.ID, "")
		if err != nil {
			return nil, err
		}
		for _, as := range all {
			if _, ok := a.backends[as.Provider]; ok {
				td.Associated = append(td.Associated, as)
				linked[as.Provider] = true
			}
		}
	}
	for _, name := range a.order {
		info, _ := a.Info(name)
		td.Backends = append(td.Backends, info)
		if !linked[name] {
			td.NotAssociated = append(td.NotAssociated, info)
		}
	}
	return td, nil
}
