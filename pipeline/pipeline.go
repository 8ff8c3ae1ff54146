// Package pipeline runs the steps that turn a provider's answer into a
// logged-in user, and the steps that disconnect a social account.
//
// A step is a plain function over a typed [State]. The default pipeline,
// [Default], has python-social-auth's steps in python-social-auth's order:
//
//	SocialDetails, SocialUID, AuthAllowed, SocialUser, GetUsername,
//	CreateUser, AssociateUser, LoadExtraData, UserDetails
//
// with [AssociateByEmail] and [MailValidation] available to insert after
// GetUsername. The
// disconnect pipeline, [DefaultDisconnect], is AllowedToDisconnect,
// GetEntries, RevokeTokens, Disconnect. Customise with ordinary slice
// operations, or name steps in the SOCIAL_AUTH_PIPELINE setting (see
// [Registry]).
//
// A step pauses the pipeline by returning [State.Pause] with a response to
// serve (a form, a redirect); the engine stores the state as a partial and
// resumes at the same step when the browser that started the login comes
// back to /complete/{backend}/.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store"
)

// Step is one pipeline step. It reads and writes s, and returns [Continue]
// to go on, or the result of [State.Pause] / [State.Stop] to answer the
// request now. An error aborts the pipeline.
type Step func(ctx context.Context, s *State) (Result, error)

// Result tells the runner what to do after a step.
type Result int

const (
	// Continue runs the next step.
	Continue Result = iota
	// Paused stops the pipeline, serves State.Reply and keeps the state
	// as a partial so that it can be resumed at the same step.
	Paused
	// Stopped stops the pipeline and serves State.Reply; it cannot be
	// resumed.
	Stopped
)

// Session is the part of the browser session steps may use
// (python-social-auth's strategy.session_get/session_set/session_pop).
type Session interface {
	Get(key string) (string, bool)
	Set(key, value string)
	Delete(key string)
}

// ValidationSender sends an email validation code to code.Email; link is
// the absolute URL that completes the validation.
type ValidationSender func(ctx context.Context, s *State, code *store.Code, link string) error

// State is everything the steps share. Fields marked "saved" survive a
// pause; the rest are set again by the engine on resume.
type State struct {
	// Backend is the backend of this login. Not saved.
	Backend backend.Backend
	// Settings is the settings view for the backend. Not saved.
	Settings settings.Backend
	// Users keeps users; Associations keeps social associations; Codes
	// keeps email validation codes. Not saved.
	Users        store.UserStore
	Associations store.AssociationStore
	Codes        store.CodeStore
	// Request is the current request's data (query and form), plus, on
	// resume, the FIELDS_STORED_IN_SESSION values. Not saved.
	Request url.Values
	// HTTPRequest is the current request. Not saved.
	HTTPRequest *http.Request
	// Session is the browser session. Not saved.
	Session Session
	// Logger receives diagnostics; never nil. Not saved.
	Logger *slog.Logger
	// Now is the clock; never nil. Not saved.
	Now func() time.Time
	// CompleteURL is the absolute /complete/{backend}/ URL, for steps that
	// build links back into the flow. Not saved.
	CompleteURL string

	// Identity is what the provider answered (nil in the disconnect
	// pipeline). Saved.
	Identity *backend.Identity
	// UID is the provider's account id, set by SocialUID. Saved.
	UID string
	// Details is the normalised profile, set by SocialDetails. Saved.
	Details backend.Details
	// Response is the provider's raw user data. Saved.
	Response map[string]any
	// User is the logged-in user when the flow began (association mode),
	// then the user found or created. Saved by ID.
	User *store.User
	// Social is the association found or created. Saved by ID.
	Social *store.Association
	// IsNew is true when CreateUser created User. Saved.
	IsNew bool
	// NewAssociation is true when AssociateUser created Social. Saved.
	NewAssociation bool
	// Username is the username GetUsername chose. Saved.
	Username string
	// EmailValidated is set once mail validation succeeded. Saved.
	EmailValidated bool
	// Data is free for application steps; values must encode to JSON.
	// Saved.
	Data map[string]any

	// PartialToken identifies this run once it has been paused; a step
	// that renders a form includes it so that the resume finds the run.
	PartialToken string
	// ResumeCode, when a step sets it before pausing, lets a browser other
	// than the one that started the run resume it by presenting the code
	// as the "verification_code" parameter together with the partial
	// token, after an explicit confirmation page (mail validation links
	// opened on another device). Only a hash of it is kept. Saved.
	ResumeCode string
	// SendValidation sends an email validation code: python-social-auth's
	// EMAIL_VALIDATION_FUNCTION. Set by the engine. Not saved.
	SendValidation ValidationSender

	// AssociationID is the association named in /disconnect/{backend}/{id}/
	// (disconnect pipeline only).
	AssociationID string
	// Entries are the associations to disconnect, set by GetEntries.
	Entries []*store.Association

	// Response to serve when a step paused or stopped.
	response http.Handler
}

// Pause answers the request with h and keeps the state so that the
// pipeline resumes at the current step. Use it as
// `return s.Pause(h)`.
func (s *State) Pause(h http.Handler) (Result, error) {
	s.response = h
	return Paused, nil
}

// PauseRedirect is Pause with a redirect to target, which may be relative.
func (s *State) PauseRedirect(target string) (Result, error) {
	return s.Pause(http.RedirectHandler(target, http.StatusFound))
}

// Stop answers the request with h and ends the pipeline for good.
func (s *State) Stop(h http.Handler) (Result, error) {
	s.response = h
	return Stopped, nil
}

// Reply returns the response set by Pause or Stop.
func (s *State) Reply() http.Handler { return s.response }

// Outcome is how a run ended.
type Outcome struct {
	Result Result // Continue when every step ran
	Step   int    // the index of the step that paused or stopped
}

// Run runs steps[from:] over s. It returns the outcome, or the first error
// wrapped with the step's index.
func Run(ctx context.Context, steps []Step, from int, s *State) (Outcome, error) {
	if s.Data == nil {
		s.Data = map[string]any{}
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	for i := from; i < len(steps); i++ {
		if err := ctx.Err(); err != nil {
			return Outcome{}, err
		}
		res, err := steps[i](ctx, s)
		if err != nil {
			return Outcome{Step: i}, fmt.Errorf("pipeline step %d: %w", i, err)
		}
		switch res {
		case Continue:
		case Paused, Stopped:
			if s.response == nil {
				return Outcome{Step: i}, fmt.Errorf("pipeline step %d paused without a response", i)
			}
			return Outcome{Result: res, Step: i}, nil
		default:
			return Outcome{Step: i}, fmt.Errorf("pipeline step %d: unknown result %d", i, res)
		}
	}
	return Outcome{Result: Continue, Step: len(steps)}, nil
}
