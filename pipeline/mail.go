package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// EmailValidationRequired is a backend that asks [MailValidation] to
// validate the email of its logins: python-social-auth's
// REQUIRES_EMAIL_VALIDATION backend flag. The email backend of package
// form implements it.
type EmailValidationRequired interface {
	RequiresEmailValidation() bool
}

// ErrNoValidationSender is matched by the error of [MailValidation] when it
// must send a validation code and State.SendValidation is nil (no
// EMAIL_VALIDATION_FUNCTION is configured).
var ErrNoValidationSender = errors.New("pipeline: mail_validation: EMAIL_VALIDATION_FUNCTION not configured")

// VerificationCodeParam is the request parameter carrying an email
// validation code back to /complete/{backend}/.
const VerificationCodeParam = "verification_code"

// SessionEmailValidationAddress is the session key holding the address a
// validation code was sent to, for the page at EMAIL_VALIDATION_URL.
const SessionEmailValidationAddress = "email_validation_address"

// DefaultEmailValidationTTL is how long a validation code stays usable
// unless EMAIL_VALIDATION_TTL (seconds) says otherwise.
const DefaultEmailValidationTTL = 24 * time.Hour

// MailValidation makes the person prove they control the email in
// s.Details before the login goes on. It is python-social-auth's
// social_core.pipeline.mail.mail_validation; insert it after GetUsername,
// before AssociateByEmail and CreateUser, so that nothing is stored for an
// address nobody has confirmed.
//
// It applies when the backend requires validation
// ([EmailValidationRequired]) or FORCE_EMAIL_VALIDATION is true (globally
// or for the backend, e.g. SOCIAL_AUTH_TWITTER_FORCE_EMAIL_VALIDATION), and
// then, unless PASSWORDLESS is true, only to an account that is not linked
// yet: SocialUser found no association. python-social-auth asks only new
// users; socialauth also asks a logged-in user linking a new account, so
// that nobody can attach an address they do not control to their
// account. Forced validation with no email in the details fails with
// [socialerr.AuthMissingParameter]; a backend that merely requires it lets
// a login without email through, as python-social-auth does.
//
// Without a "verification_code" in the request, the step creates a code
// (256 random bits, URL-safe), has State.SendValidation send the link
//
//	{CompleteURL}?verification_code={code}&partial_token={PartialToken}
//
// (nil SendValidation is [ErrNoValidationSender]), puts the address in
// the session under "email_validation_address", sets State.ResumeCode to
// the code so that the link may also be opened in another browser (the
// engine asks that browser to confirm first), and pauses with a redirect
// to EMAIL_VALIDATION_URL, or with a small built-in page saying where the
// message went when that setting is empty.
//
// When the link brings the code back, the code must exist, be for the
// same address (compared without regard to case), not be verified yet and
// be younger than EMAIL_VALIDATION_TTL (seconds, default one day);
// anything else is [socialerr.InvalidEmail]. The code is then marked
// verified, s.Details.EmailVerified and s.EmailValidated become true
// (AssociateByEmail may then trust the address), and the login goes on.
// A state already validated goes on at once.
//
// # PASSWORDLESS
//
// With PASSWORDLESS true, a code is sent to returning users as well, so
// every login of a backend that requires validation happens through the
// emailed link: a passwordless login. With the form backend "email", use
// the default pipeline with MailValidation inserted after GetUsername and
// no password step. Without PASSWORDLESS, returning users are not asked
// again and something else must prove who they are (form.PasswordStep for
// the form backends; the provider itself for social backends).
func MailValidation(ctx context.Context, s *State) (Result, error) {
	name := backendName(s)
	if s.EmailValidated {
		return Continue, nil
	}
	flag := func(setting string) (bool, error) {
		return s.Settings.Settings().BoolE(s.Settings.Name(), setting, false)
	}
	forced, err := flag("FORCE_EMAIL_VALIDATION")
	if err != nil {
		return Continue, fmt.Errorf("mail_validation: %w", err)
	}
	required := forced
	if !required && s.Backend != nil {
		if r, ok := s.Backend.(EmailValidationRequired); ok {
			required = r.RequiresEmailValidation()
		}
	}
	if !required {
		return Continue, nil
	}
	email := strings.TrimSpace(s.Details.Email)
	if email == "" {
		if forced {
			return Continue, socialerr.Missing(name, "email")
		}
		return Continue, nil
	}
	passwordless, err := flag("PASSWORDLESS")
	if err != nil {
		return Continue, fmt.Errorf("mail_validation: %w", err)
	}
	if s.Social != nil && !s.NewAssociation && !passwordless {
		return Continue, nil // a returning account
	}
	if s.Codes == nil {
		return Continue, errors.New("mail_validation: no code store")
	}
	if code := s.Request.Get(VerificationCodeParam); code != "" {
		return Continue, verifyEmailCode(ctx, s, name, email, code)
	}
	return sendEmailCode(ctx, s, email)
}

// maxCodeLength bounds a verification code looked up in the store; the
// codes MailValidation makes have 43 characters.
const maxCodeLength = 128

// verifyEmailCode checks a code brought back by a validation link.
func verifyEmailCode(ctx context.Context, s *State, name, email, code string) error {
	invalid := socialerr.New(socialerr.InvalidEmail, name, "")
	if len(code) > maxCodeLength {
		return invalid
	}
	c, err := s.Codes.GetCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return invalid
	}
	if err != nil {
		return fmt.Errorf("mail_validation: %w", err)
	}
	ttl, err := s.Settings.Settings().SecondsE(s.Settings.Name(), "EMAIL_VALIDATION_TTL", DefaultEmailValidationTTL)
	if err != nil {
		return fmt.Errorf("mail_validation: %w", err)
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	if c.Verified || !strings.EqualFold(strings.TrimSpace(c.Email), email) || !now().Before(c.CreatedAt.Add(ttl)) {
		return invalid
	}
	if err := s.Codes.VerifyCode(ctx, code); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return invalid // gone, or used by a concurrent request
		}
		return fmt.Errorf("mail_validation: %w", err)
	}
	if s.Session != nil {
		s.Session.Delete(SessionEmailValidationAddress)
	}
	s.Details.EmailVerified = true
	s.EmailValidated = true
	return nil
}

// sendEmailCode stores a new code, sends the link and pauses.
func sendEmailCode(ctx context.Context, s *State, email string) (Result, error) {
	if s.SendValidation == nil {
		return Continue, ErrNoValidationSender
	}
	if s.CompleteURL == "" || s.PartialToken == "" {
		return Continue, errors.New("mail_validation: the state has no CompleteURL or PartialToken to build the link")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Continue, fmt.Errorf("mail_validation: %w", err)
	}
	c := &store.Code{Code: base64.RawURLEncoding.EncodeToString(raw), Email: email}
	if err := s.Codes.CreateCode(ctx, c); err != nil {
		return Continue, fmt.Errorf("mail_validation: storing the code: %w", err)
	}
	sep := "?"
	if strings.Contains(s.CompleteURL, "?") {
		sep = "&"
	}
	link := s.CompleteURL + sep + VerificationCodeParam + "=" + url.QueryEscape(c.Code) +
		"&partial_token=" + url.QueryEscape(s.PartialToken)
	s.ResumeCode = c.Code
	if err := s.SendValidation(ctx, s, c, link); err != nil {
		return Continue, fmt.Errorf("mail_validation: sending the code: %w", err)
	}
	if s.Session != nil {
		s.Session.Set(SessionEmailValidationAddress, email)
	}
	if target := strings.TrimSpace(s.Settings.String("EMAIL_VALIDATION_URL", "")); target != "" {
		return s.PauseRedirect(target)
	}
	return s.Pause(validationSentPage(email))
}

// validationSentPageHTML tells the person where the link went.
const validationSentPageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Check your email</title>
<style>:root{color-scheme:light dark}body{margin:0;min-height:100vh;display:grid;place-items:center;font:16px/1.5 system-ui,sans-serif;padding:1rem}
main{max-width:26rem;border:1px solid #8884;border-radius:16px;padding:2rem}h1{font-size:1.4rem;margin-top:0}</style>
</head><body><main>
<h1>Check your email</h1>
<p role="status">We sent a link to <strong>{{.}}</strong>. Open it to finish signing in; you may close this page.</p>
</main></body></html>
`

// validationSentPage answers with the built-in "check your email" page.
func validationSentPage(email string) http.Handler {
	page := template.Must(template.New("sent").Parse(validationSentPageHTML))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		_ = page.Execute(w, email)
	})
}
