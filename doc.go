// Package socialauth is social login and registration for Go web
// applications: "Sign in with GitHub, Google, Facebook…" with local users
// linked to any number of social accounts, and a pipeline the application
// can bend to its needs. It is the Go successor of python-social-auth and
// keeps its vocabulary and setting names.
//
// # Getting started
//
// Build one [Auth] from a [Config] and mount its handler:
//
//	auth, err := socialauth.New(socialauth.Config{
//		Settings: settings.New(settings.FromEnv()), // SOCIAL_AUTH_GITHUB_KEY, …
//		Store:    store,                           // memstore, sqlstore, or your own
//	})
//	if err != nil {
//		log.Fatal(err) // every configuration problem, listed at once
//	}
//	mux.Handle("/", auth.Handler()) // /login/github/, /complete/github/, /disconnect/github/
//
// New validates everything up front: the backends named by
// SOCIAL_AUTH_AUTHENTICATION_BACKENDS exist, their keys and secrets are set,
// pipeline step names resolve, typed settings parse.
//
// # The flow
//
// /login/{backend}/ remembers a safe `next` URL, begins the backend's
// protocol (state and PKCE for OAuth 2.0) and redirects to the provider. The
// provider sends the browser back to /complete/{backend}/, where the backend
// verifies the reply against what /login/ kept in the sealed session (used
// once), fetches the user data and hands an identity to the pipeline
// (package pipeline). When the pipeline finishes, the user is logged in (by
// Config.Login, or in the socialauth session by default) and redirected to
// NEW_USER_REDIRECT_URL, NEW_ASSOCIATION_REDIRECT_URL, `next` or
// LOGIN_REDIRECT_URL. Failures redirect to LOGIN_ERROR_URL with `message`
// and `backend` parameters, unless RAISE_EXCEPTIONS is set; their kinds are
// in package socialerr.
//
// A pipeline step may pause the flow to ask the person something; the
// paused state is kept in storage under a random token bound to the browser
// session, and the flow resumes at that step when the same browser comes
// back to /complete/{backend}/.
//
// # Packages
//
//   - settings: setting names, lookup order and sources (map, environment, JSON file).
//   - socialerr: error kinds mirroring python-social-auth's exceptions.
//   - backend: the contract every backend implements; providers: the catalogue.
//   - oauth2: the OAuth 2.0 protocol every OAuth 2.0 provider of the catalogue uses.
//   - pipeline: the steps, their state and the runner.
//   - store, store/memstore, store/storetest: storage contracts, the in-memory
//     store and the conformance suite; the sqlstore module keeps them in SQL.
//   - session: the sealed cookie session.
//   - localidp: a small OAuth 2.0 provider for demos and development.
//   - socialtest: a fake provider on httptest for your own tests.
package socialauth
