package main

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/socialauth/socialauth/examples/internal/site"
)

// App is the example site: a home page, a logout button and socialauth's
// routes mounted under /auth, on a chi router.
type App struct {
	*site.Site   // the socialauth engine, the home page and logout
	http.Handler // the routes
}

// basePath is where socialauth's routes are mounted.
const basePath = "/auth"

// NewApp builds the site and routes it on a chi router, socialauth under
// basePath.
func NewApp(ctx context.Context, cfg site.Config) (*App, error) {
	// BasePath tells socialauth where the handler is mounted, for the
	// links of TemplateData.
	s, err := site.New(ctx, cfg, site.Router{Name: "chi", BasePath: basePath})
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	r.Get("/", s.Home)
	// Logout changes state: POST only, and refused when cross-site.
	r.With(http.NewCrossOriginProtection().Handler).Post("/logout/", s.Logout)
	// /auth/login/{backend}/, /auth/complete/{backend}/ and
	// /auth/disconnect/{backend}/: chi leaves the path whole, and
	// socialauth finds its routes at the end of it, so the callback URL
	// it sends to the provider is /auth/complete/{backend}/. It checks
	// the methods itself (disconnect is POST only) and protects
	// disconnect from cross-site requests.
	r.Mount(basePath, s.Auth().Handler())
	return &App{Site: s, Handler: r}, nil
}
