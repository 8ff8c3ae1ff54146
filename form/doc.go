// Package form holds socialauth's backends for forms: [Email] and
// [Username], python-social-auth's EmailAuth and UsernameAuth. No provider
// is involved: the person types an email address or a username into a
// form that posts to /complete/email/ (or /complete/username/), and that
// value becomes the account's uid.
//
// # Begin: the form
//
// /login/email/ answers, in this order:
//
//   - a redirect to FORM_URL (SOCIAL_AUTH_EMAIL_FORM_URL) when it is set:
//     the application serves its own form there;
//   - else the html/template file named by FORM_HTML
//     (SOCIAL_AUTH_EMAIL_FORM_HTML), parsed when the backend is built and
//     executed with a [PageData];
//   - else a built-in page: accessible, styled inline, working without
//     JavaScript.
//
// Whatever serves it, the form must post (method POST, same origin) at
// least the field named "email" (or "username") to /complete/email/.
// FORM_PASSWORD (default false) adds a password input to the built-in
// page, for pipelines that check passwords with [PasswordStep].
//
// # Complete: the posted value
//
// Complete accepts only a POST from the same origin: a GET is
// [socialerr.AuthMissingParameter], and a cross-site POST (Sec-Fetch-Site,
// or an Origin that is not the request's host) is [socialerr.AuthForbidden],
// so that another site cannot log a visitor into an account of its
// choosing. Origins listed in FORM_TRUSTED_ORIGINS (for a form served by
// another origin of the same application) are accepted too.
//
// The field is read from the request body only (never the query string),
// must be present once, and is checked:
//
//   - email: trimmed, at most [MaxEmailLength] bytes, one bare address
//     that net/mail parses back to itself (no display name, no comments),
//     its domain lower-cased. The local part keeps its case (RFC 5321
//     leaves it to the mail server).
//   - username: trimmed, at most [MaxUsernameLength] characters, made only
//     of what the CLEAN_USERNAMES rule keeps ([pipeline.CleanUsername]:
//     letters, digits and . @ + - _).
//
// The same rules apply to the optional "username" field of the email form
// and "email" field of the username form; "first_name", "last_name" and
// "fullname" are taken when posted (at most 150 characters, no control
// characters). A missing field is AuthMissingParameter; a malformed one is
// [socialerr.AuthFailed]. The identity's UID is the value, Details.Email is
// never marked verified (only [pipeline.MailValidation] may verify it), and
// Response holds the posted fields except anything named like a password
// or a CSRF token.
//
// # Email validation
//
// Both backends implement [pipeline.EmailValidationRequired]. The email
// backend requires validation by default, as python-social-auth's
// EmailAuth does (REQUIRES_EMAIL_VALIDATION = True); the username backend
// does not. The REQUIRES_EMAIL_VALIDATION setting changes either. It takes
// effect only in a pipeline that has [pipeline.MailValidation].
//
// # Passwords
//
// Like python-social-auth, the backends do not handle passwords: a
// pipeline step does. [PasswordStep] is the documented one, with
// [HashPassword] and [CheckPassword] (PBKDF2-SHA256, Django's encoding).
//
// A login by email or username alone proves nothing: put either
// [PasswordStep] or [pipeline.MailValidation] with PASSWORDLESS in the
// pipeline of these backends.
package form
