package socialauth

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/providers"
	"github.com/socialauth/socialauth/session"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store"
)

// Version is socialauth's version, sent in the default User-Agent.
const Version = "0.1.0"

// DefaultUserAgent is sent to providers unless USER_AGENT is set.
const DefaultUserAgent = "socialauth/" + Version

// Config is everything New needs. Settings and Store are required; the
// rest has secure defaults.
type Config struct {
	// Settings holds the SOCIAL_AUTH_* settings. Required.
	Settings *settings.Settings
	// Store keeps associations, partials, codes, nonces and, unless Users
	// is set, users. Required.
	Store store.Store
	// Users, when set, is the application's own user model; Store then
	// keeps only the rest.
	Users store.UserStore
	// Sessions keeps the per-browser data. Default: a sealed cookie
	// session keyed by SOCIAL_AUTH_SECRET_KEY (a JSON list of keys, or one
	// key, is accepted; the first seals).
	Sessions session.Store
	// Catalogue is the set of backends AUTHENTICATION_BACKENDS chooses
	// from. Default: providers.Catalogue().
	Catalogue []backend.Spec
	// Backends are further backends of the application's own, added to
	// the catalogue (replacing a catalogue entry of the same name).
	Backends []backend.Spec
	// Pipeline is the authentication pipeline. When nil, the
	// SOCIAL_AUTH_PIPELINE setting's step names are used, else
	// pipeline.Default(). SOCIAL_AUTH_<BACKEND>_PIPELINE and
	// BackendPipelines override it per backend.
	Pipeline []pipeline.Step
	// BackendPipelines are per-backend pipelines, by backend name.
	BackendPipelines map[string][]pipeline.Step
	// DisconnectPipeline is the disconnect pipeline; the same rules apply
	// with DISCONNECT_PIPELINE.
	DisconnectPipeline []pipeline.Step
	// Steps are the application's steps that pipeline settings may name,
	// beside the built-in ones of pipeline.Registry.
	Steps map[string]pipeline.Step
	// SendValidationEmail sends email validation codes for the
	// mail_validation step: python-social-auth's
	// EMAIL_VALIDATION_FUNCTION.
	SendValidationEmail pipeline.ValidationSender
	// ValidationSenders are named senders; the EMAIL_VALIDATION_FUNCTION
	// setting (per backend too) picks one by name, overriding
	// SendValidationEmail.
	ValidationSenders map[string]pipeline.ValidationSender
	// HTTPClient makes every call to providers. Default: a client with the
	// URLOPEN_TIMEOUT timeout (30 seconds when unset). Never
	// http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives diagnostics. Default: discard.
	Logger *slog.Logger
	// Login logs a user in once the pipeline has finished: python-social-
	// auth's LOGIN_FUNCTION. Default: the user's id is kept in the
	// socialauth session, and CurrentUser reads it back.
	Login func(w http.ResponseWriter, r *http.Request, sess *session.Session, u *store.User) error
	// CurrentUser returns the logged-in user of a request, or nil. Set it
	// together with Login when the application logs users in itself.
	CurrentUser func(r *http.Request) (*store.User, error)
	// ErrorHandler answers a failed request when RAISE_EXCEPTIONS is set.
	// Default: a plain-text error with a status matching the error kind.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// BasePath is where the handler is mounted ("" or "/auth"), used to
	// build links in templates; the handler itself finds its routes under
	// any prefix.
	BasePath string
	// Events receives notifications for metrics, audit logs and tracing.
	Events Events
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Events are optional callbacks. They run synchronously on the request's
// goroutine, so keep them fast.
type Events struct {
	LoginStarted   func(ctx context.Context, backend string)
	LoginCompleted func(ctx context.Context, backend string, u *store.User, isNew bool)
	LoginFailed    func(ctx context.Context, backend string, err error)
	UserCreated    func(ctx context.Context, backend string, u *store.User)
	Associated     func(ctx context.Context, backend string, u *store.User, a *store.Association)
	Disconnected   func(ctx context.Context, backend string, u *store.User, removed []*store.Association)
	PipelinePaused func(ctx context.Context, backend string, step int)
	TokenRefreshed func(ctx context.Context, backend string, a *store.Association)
}

// Auth is a configured socialauth engine. It is safe for concurrent use.
type Auth struct {
	cfg        Config
	settings   *settings.Settings
	users      store.UserStore
	store      store.Store
	sessions   session.Store
	backends   map[string]backend.Backend
	order      []string // enabled backend names, in AUTHENTICATION_BACKENDS order
	titles     map[string]string
	pipelines  map[string][]pipeline.Step
	disconnect map[string][]pipeline.Step
	logger     *slog.Logger
	now        func() time.Time
	refreshing refreshLocks
	// confirmPage asks a browser to confirm taking over a paused login.
	confirmPage *template.Template
}

// ConfigError lists every problem New found.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "socialauth: invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// New validates cfg and returns an engine. Every problem found (unknown
// backend, missing key or secret, unknown pipeline step, malformed setting)
// is listed in one *ConfigError.
func New(cfg Config) (*Auth, error) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if cfg.Settings == nil {
		cfg.Settings = settings.New()
		add("Config.Settings is nil")
	}
	if cfg.Store == nil {
		add("Config.Store is nil")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Auth{
		cfg:        cfg,
		settings:   cfg.Settings,
		store:      cfg.Store,
		users:      cfg.Users,
		logger:     cfg.Logger,
		now:        cfg.Now,
		backends:   map[string]backend.Backend{},
		titles:     map[string]string{},
		pipelines:  map[string][]pipeline.Step{},
		disconnect: map[string][]pipeline.Step{},

		confirmPage: template.Must(template.New("confirm").Parse(confirmPageHTML)),
	}
	if a.users == nil {
		a.users = cfg.Store
	}
	for _, p := range checkGlobalSettings(cfg.Settings) {
		add("%s", p)
	}

	a.sessions = cfg.Sessions
	if a.sessions == nil {
		st, err := defaultSessions(cfg.Settings, cfg.Now)
		if err != nil {
			add("%v", err)
		}
		a.sessions = st
	}

	catalogue := cfg.Catalogue
	if catalogue == nil {
		catalogue = providers.Catalogue()
	}
	specs := map[string]backend.Spec{}
	aliases := map[string]string{}
	for _, s := range catalogue {
		specs[s.Name] = s
		for _, alias := range s.Aliases {
			aliases[alias] = s.Name
		}
	}
	for _, s := range cfg.Backends {
		if s.Name == "" || s.Build == nil {
			add("Config.Backends has a spec without a name or Build function")
			continue
		}
		specs[s.Name] = s
	}

	names, err := cfg.Settings.StringsE("", "AUTHENTICATION_BACKENDS", nil)
	if err != nil {
		add("%v", err)
	}
	if len(names) == 0 {
		add("no backend enabled: set SOCIAL_AUTH_AUTHENTICATION_BACKENDS to a list of backend names")
	}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if canonical, ok := aliases[name]; ok {
			name = canonical // a python-social-auth class path
		}
		if _, dup := a.backends[name]; dup {
			continue // python-social-auth: the first listed wins
		}
		spec, ok := specs[name]
		if !ok {
			add("unknown backend %q in SOCIAL_AUTH_AUTHENTICATION_BACKENDS", name)
			continue
		}
		b, err := a.buildBackend(spec, name)
		if err != nil {
			for line := range strings.SplitSeq(err.Error(), "\n") {
				// "oauth2: backend github: X" reads "backend github: X".
				if _, rest, ok := strings.Cut(line, ": backend "+name+": "); ok && !strings.Contains(line[:len(line)-len(rest)-len(": backend "+name+": ")], " ") {
					line = rest
				}
				add("backend %s: %s", name, line)
			}
			continue
		}
		a.backends[name] = b
		a.order = append(a.order, name)
		a.titles[name] = spec.Title
		if err := a.resolvePipelines(name); err != nil {
			add("backend %s: %v", name, err)
		}
		if fn := cfg.Settings.String(name, "EMAIL_VALIDATION_FUNCTION", ""); fn != "" {
			if _, ok := cfg.ValidationSenders[fn]; !ok {
				add("backend %s: EMAIL_VALIDATION_FUNCTION names %q, which is not in Config.ValidationSenders", name, fn)
			}
		}
	}
	// Pipeline names are checked even when no backend could be built.
	for _, setting := range []string{"PIPELINE", "DISCONNECT_PIPELINE"} {
		if len(a.order) == 0 && a.settings.Has("", setting) {
			if _, err := a.stepsFromSetting("", setting); err != nil {
				add("%s: %v", settings.Prefix+setting, err)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	return a, nil
}

func (a *Auth) buildBackend(spec backend.Spec, name string) (backend.Backend, error) {
	view := a.settings.For(name)
	client := a.cfg.HTTPClient
	if client == nil {
		timeout, err := a.settings.SecondsE(name, "URLOPEN_TIMEOUT", 30*time.Second)
		if err != nil {
			return nil, err
		}
		client = &http.Client{Timeout: timeout}
	}
	b, err := spec.Build(backend.Config{
		Name:       name,
		Settings:   view,
		HTTPClient: client,
		UserAgent:  view.String("USER_AGENT", DefaultUserAgent),
		Logger:     a.logger.With("backend", name),
		Now:        a.now,

		Nonces:             a.store,
		OpenIDAssociations: a.store,
	})
	if err != nil {
		return nil, err
	}
	if b.Name() != name {
		return nil, fmt.Errorf("spec built a backend named %q", b.Name())
	}
	return b, nil
}

// resolvePipelines picks the authentication and disconnect pipelines of a
// backend: backend-specific first (Go, then setting), then global (Go,
// then setting), then the default.
func (a *Auth) resolvePipelines(name string) error {
	var errs []error
	pick := func(goBackend []pipeline.Step, goGlobal []pipeline.Step, setting string, def func() []pipeline.Step) []pipeline.Step {
		if goBackend != nil {
			return goBackend
		}
		if isBackendSpecific(a.settings, name, setting) {
			steps, err := a.stepsFromSetting(name, setting)
			if err != nil {
				errs = append(errs, err)
			}
			return steps
		}
		if goGlobal != nil {
			return goGlobal
		}
		if a.settings.Has("", setting) {
			steps, err := a.stepsFromSetting("", setting)
			if err != nil {
				errs = append(errs, err)
			}
			return steps
		}
		return def()
	}
	a.pipelines[name] = pick(a.cfg.BackendPipelines[name], a.cfg.Pipeline, "PIPELINE", pipeline.Default)
	a.disconnect[name] = pick(nil, a.cfg.DisconnectPipeline, "DISCONNECT_PIPELINE", pipeline.DefaultDisconnect)
	return errors.Join(errs...)
}

func isBackendSpecific(s *settings.Settings, backendName, name string) bool {
	_, foundAs, ok := s.Lookup(backendName, name)
	return ok && foundAs == settings.Names(backendName, name)[0]
}

func (a *Auth) stepsFromSetting(backendName, setting string) ([]pipeline.Step, error) {
	names, err := a.settings.StringsE(backendName, setting, nil)
	if err != nil {
		return nil, err
	}
	return pipeline.Resolve(names, a.cfg.Steps)
}

// checkGlobalSettings reports malformed values of the typed settings the
// engine and default steps read globally.
func checkGlobalSettings(s *settings.Settings) []string {
	var problems []string
	note := func(err error) {
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, name := range []string{"RAISE_EXCEPTIONS", "REDIRECT_IS_HTTPS", "SESSION_EXPIRATION",
		"USERNAME_IS_FULL_EMAIL", "SLUGIFY_USERNAMES", "CLEAN_USERNAMES", "UNSAFE_SESSION_COOKIE_OVER_HTTP",
		"REVOKE_TOKENS_ON_DISCONNECT", "FORCE_EMAIL_VALIDATION", "PASSWORDLESS"} {
		_, err := s.BoolE("", name, false)
		note(err)
	}
	for _, name := range []string{"UUID_LENGTH", "UID_LENGTH", "USERNAME_MAX_LENGTH"} {
		_, err := s.IntE("", name, 0)
		note(err)
	}
	for _, name := range []string{"URLOPEN_TIMEOUT", "EMAIL_VALIDATION_TTL", "PARTIAL_TTL"} {
		_, err := s.SecondsE("", name, 0)
		note(err)
	}
	for _, name := range []string{"WHITELISTED_DOMAINS", "WHITELISTED_EMAILS", "PROTECTED_USER_FIELDS",
		"FIELDS_STORED_IN_SESSION", "ALLOWED_REDIRECT_HOSTS"} {
		_, err := s.StringsE("", name, nil)
		note(err)
	}
	return problems
}

func defaultSessions(s *settings.Settings, now func() time.Time) (session.Store, error) {
	keys, err := s.StringsE("", "SECRET_KEY", nil)
	if err != nil {
		return nil, err
	}
	if raw := s.String("", "SECRET_KEY", ""); len(keys) > 0 && !strings.HasPrefix(strings.TrimSpace(raw), "[") {
		keys = []string{raw} // one key may contain commas
	}
	if len(keys) == 0 {
		return nil, errors.New("SOCIAL_AUTH_SECRET_KEY is not set (at least 32 random bytes; it seals the session cookie)")
	}
	insecure, err := s.BoolE("", "UNSAFE_SESSION_COOKIE_OVER_HTTP", false)
	if err != nil {
		return nil, err
	}
	return session.NewCookieStore(session.CookieConfig{
		Name:              s.String("", "SESSION_COOKIE_NAME", "socialauth"),
		Secrets:           keys,
		InsecureAllowHTTP: insecure,
		Now:               now,
	})
}

// Backend returns an enabled backend by name.
func (a *Auth) Backend(name string) (backend.Backend, bool) {
	b, ok := a.backends[name]
	return b, ok
}

// BackendNames returns the enabled backends, in AUTHENTICATION_BACKENDS
// order.
func (a *Auth) BackendNames() []string { return slices.Clone(a.order) }

// Settings returns the engine's settings.
func (a *Auth) Settings() *settings.Settings { return a.settings }

// Users returns the user store in use.
func (a *Auth) Users() store.UserStore { return a.users }

// Store returns the store in use.
func (a *Auth) Store() store.Store { return a.store }

// Sessions returns the session store in use.
func (a *Auth) Sessions() session.Store { return a.sessions }

// validationSender returns the email validation sender of a backend.
func (a *Auth) validationSender(name string) pipeline.ValidationSender {
	if fn := a.settings.String(name, "EMAIL_VALIDATION_FUNCTION", ""); fn != "" {
		return a.cfg.ValidationSenders[fn]
	}
	return a.cfg.SendValidationEmail
}
