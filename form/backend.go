package form

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
)

// The backend names, which are also the names of the fields their forms
// post.
const (
	EmailBackend    = "email"
	UsernameBackend = "username"
)

// The settings the form backends read, beyond the common ones.
const (
	// SettingFormURL is where /login/{backend}/ redirects when set.
	SettingFormURL = "FORM_URL"
	// SettingFormHTML names an html/template file rendered as the form,
	// executed with a PageData. A relative path is relative to the
	// process's working directory. The file is parsed when the backend
	// is built; it is ignored when FORM_URL is set.
	SettingFormHTML = "FORM_HTML"
	// SettingFormPassword adds a password input to the built-in form.
	SettingFormPassword = "FORM_PASSWORD"
	// SettingTrustedOrigins lists further origins ("https://www.example.com")
	// whose forms may post to /complete/{backend}/.
	SettingTrustedOrigins = "FORM_TRUSTED_ORIGINS"
	// SettingRequiresEmailValidation overrides whether the backend asks
	// pipeline.MailValidation to validate the email.
	SettingRequiresEmailValidation = "REQUIRES_EMAIL_VALIDATION"
)

// PageData is what a FORM_HTML template is executed with.
type PageData struct {
	// Action is where the form posts: the absolute /complete/{backend}/
	// URL.
	Action string
	// Field is the name of the input identifying the person: "email" or
	// "username".
	Field string
	// Backend is the backend's name.
	Backend string
	// Next is the "next" parameter given to /login/{backend}/ when it is a
	// local path ("/account"), else empty. The engine already remembers a
	// safe next URL from /login/, so forms need not post it back.
	Next string
	// Password reports whether FORM_PASSWORD asks for a password input.
	Password bool
}

// kind describes one form backend.
type kind struct {
	name, title, python string
	field               string
	validate            func(string) (string, error)
	// validationByDefault is REQUIRES_EMAIL_VALIDATION's default.
	validationByDefault bool
}

// Email returns the spec of the "email" backend: login by email address,
// python-social-auth's social_core.backends.email.EmailAuth. It requires
// email validation unless REQUIRES_EMAIL_VALIDATION is false.
func Email() backend.Spec {
	return kind{name: EmailBackend, title: "Email", python: "social_core.backends.email.EmailAuth",
		field: EmailBackend, validate: NormalizeEmail, validationByDefault: true}.spec()
}

// Username returns the spec of the "username" backend: login by username,
// python-social-auth's social_core.backends.username.UsernameAuth.
func Username() backend.Spec {
	return kind{name: UsernameBackend, title: "Username", python: "social_core.backends.username.UsernameAuth",
		field: UsernameBackend, validate: NormalizeUsername}.spec()
}

func (k kind) spec() backend.Spec {
	return backend.Spec{
		Name:     k.name,
		Protocol: "form",
		Title:    k.title,
		Aliases:  []string{k.python, "social." + strings.TrimPrefix(k.python, "social_core.")},
		NeedsKey: false,
		Reads: []string{SettingFormURL, SettingFormHTML, SettingFormPassword, SettingTrustedOrigins,
			SettingRequiresEmailValidation},
		Build: k.build,
	}
}

// formBackend is a built form backend.
type formBackend struct {
	kind
	name               string
	formURL            string
	page               *template.Template
	builtin            bool
	password           bool
	requiresValidation bool
	origins            *http.CrossOriginProtection
}

var (
	_ backend.Backend                  = (*formBackend)(nil)
	_ pipeline.EmailValidationRequired = (*formBackend)(nil)
)

// build reads the backend's settings; every problem is reported at once.
func (k kind) build(cfg backend.Config) (backend.Backend, error) {
	name := cfg.Name
	if name == "" {
		name = k.name
	}
	s := cfg.Settings.Settings()
	b := &formBackend{kind: k, name: name, origins: http.NewCrossOriginProtection()}
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	b.formURL, err = s.StringE(name, SettingFormURL, "")
	note(err)
	if b.formURL = strings.TrimSpace(b.formURL); b.formURL != "" {
		note(checkFormURL(name, b.formURL))
	}
	htmlPath, err := s.StringE(name, SettingFormHTML, "")
	note(err)
	if htmlPath = strings.TrimSpace(htmlPath); htmlPath != "" && b.formURL == "" {
		b.page, err = template.New(filepath.Base(htmlPath)).ParseFiles(htmlPath)
		if err != nil {
			note(fmt.Errorf("%s: %w", settingName(name, SettingFormHTML), err))
		}
	}
	if b.page == nil {
		b.page = template.Must(template.New("form").Parse(builtinPageHTML))
		b.builtin = true
	}
	b.password, err = s.BoolE(name, SettingFormPassword, false)
	note(err)
	b.requiresValidation, err = s.BoolE(name, SettingRequiresEmailValidation, k.validationByDefault)
	note(err)
	origins, err := s.StringsE(name, SettingTrustedOrigins, nil)
	note(err)
	for _, o := range origins {
		if err := b.origins.AddTrustedOrigin(strings.TrimSpace(o)); err != nil {
			note(fmt.Errorf("%s: %w", settingName(name, SettingTrustedOrigins), err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("form: backend %s: %w", name, errors.Join(errs...))
	}
	return b, nil
}

// settingName is the full name of a backend's setting.
func settingName(backendName, name string) string {
	return settings.Names(backendName, name)[0]
}

// checkFormURL accepts a local path or an absolute http(s) URL.
func checkFormURL(name, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", settingName(name, SettingFormURL), err)
	case u.IsAbs() && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "":
		return nil
	case !u.IsAbs() && u.Host == "" && strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//"):
		return nil
	}
	return fmt.Errorf("%s: %q is neither a local path nor an http(s) URL", settingName(name, SettingFormURL), raw)
}

// Name implements backend.Backend.
func (b *formBackend) Name() string { return b.name }

// RequiresEmailValidation implements pipeline.EmailValidationRequired.
func (b *formBackend) RequiresEmailValidation() bool { return b.requiresValidation }

// Begin implements backend.Backend: it redirects to FORM_URL or serves the
// form. It remembers nothing (the Stash is nil).
func (b *formBackend) Begin(ctx context.Context, req *backend.BeginRequest) (*backend.BeginResult, error) {
	if b.formURL != "" {
		return &backend.BeginResult{RedirectURL: b.formURL}, nil
	}
	data := PageData{Action: req.RedirectURI, Field: b.field, Backend: b.name, Password: b.password,
		Next: localPath(req.Params.Get("next"))}
	var buf bytes.Buffer
	if err := b.page.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("form: backend %s: rendering the form: %w", b.name, err)
	}
	return &backend.BeginResult{Handler: page{body: buf.Bytes(), strict: b.builtin}}, nil
}

// localPath returns p when it is a path on this site, else "".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n\t\\") {
		return ""
	}
	return p
}

// page serves a rendered form.
type page struct {
	body   []byte
	strict bool // the built-in page: nothing but inline styles is allowed
}

func (p page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if p.strict {
		h.Set("Content-Security-Policy",
			"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	} else {
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	}
	_, _ = w.Write(p.body)
}

// Complete implements backend.Backend: it checks the posted form and
// returns the identity it names. It needs no Stash.
func (b *formBackend) Complete(ctx context.Context, req *backend.CompleteRequest) (*backend.Identity, error) {
	r := req.Request
	if r == nil || r.Method != http.MethodPost {
		e := socialerr.Missing(b.name, b.field)
		e.Message = "the " + b.field + " form must be posted"
		return nil, e
	}
	if err := b.origins.Check(r); err != nil {
		return nil, socialerr.Wrap(socialerr.AuthForbidden, b.name, err, "cross-site form post refused")
	}
	if r.PostForm == nil {
		if err := r.ParseForm(); err != nil {
			return nil, socialerr.Wrap(socialerr.AuthFailed, b.name, err, "malformed form")
		}
	}
	posted := r.PostForm
	value, err := b.optionalField(posted, b.field, b.validate)
	if err != nil {
		return nil, err
	}
	if value == "" {
		return nil, socialerr.Missing(b.name, b.field)
	}
	id := &backend.Identity{
		UID:       value,
		Response:  response(posted),
		ExtraData: map[string]any{b.field: value},
	}
	id.Response[b.field] = value
	d := &id.Details
	if b.field == EmailBackend {
		d.Email = value
		if d.Username, err = b.optionalField(posted, UsernameBackend, NormalizeUsername); err != nil {
			return nil, err
		}
	} else {
		d.Username = value
		if d.Email, err = b.optionalField(posted, EmailBackend, NormalizeEmail); err != nil {
			return nil, err
		}
	}
	for field, dst := range map[string]*string{"first_name": &d.FirstName, "last_name": &d.LastName, "fullname": &d.FullName} {
		if *dst, err = b.optionalField(posted, field, normalizeName); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// optionalField returns the normalised value of an optional posted field, "" when
// absent or blank. A field posted twice or failing validation is
// AuthFailed.
func (b *formBackend) optionalField(posted url.Values, field string, validate func(string) (string, error)) (string, error) {
	vals := posted[field]
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", socialerr.New(socialerr.AuthFailed, b.name, "the field "+field+" was posted more than once")
	}
	if strings.TrimSpace(vals[0]) == "" {
		return "", nil
	}
	v, err := validate(vals[0])
	if err != nil {
		return "", socialerr.Wrap(socialerr.AuthFailed, b.name, err, "enter a valid "+strings.ReplaceAll(field, "_", " "))
	}
	return v, nil
}

// Limits on the Response copy of the posted form.
const (
	maxResponseFields = 32
	maxResponseKey    = 64
	maxResponseValue  = 1024
)

// response copies the posted fields worth keeping: never a password, a
// CSRF token or the engine's own parameters, and within size limits.
func response(posted url.Values) map[string]any {
	out := map[string]any{}
	for k, vals := range posted {
		if len(out) == maxResponseFields {
			break
		}
		if len(vals) != 1 || len(k) > maxResponseKey || len(vals[0]) > maxResponseValue || secretField(k) {
			continue
		}
		out[k] = vals[0]
	}
	return out
}

// secretField reports whether a field must never be kept.
func secretField(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"password", "passwd", "pwd", "csrf", "secret", "token", "verification_code"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return strings.HasPrefix(n, "_")
}
