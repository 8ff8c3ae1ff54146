package main

import (
	"context"
	"net/http"

	"github.com/socialauth/socialauth/examples/internal/site"
)

// App is the example site: a home page, a logout button and socialauth's
// routes, all on one http.ServeMux.
type App struct {
	*site.Site   // the socialauth engine, the home page and logout
	http.Handler // the routes
}

// NewApp builds the site and routes it on an http.ServeMux, socialauth at
// the root.
func NewApp(ctx context.Context, cfg site.Config) (*App, error) {
	s, err := site.New(ctx, cfg, site.Router{Name: "net/http"})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.Home)
	// Logout changes state: POST only, and refused when cross-site.
	mux.Handle("POST /logout/", http.NewCrossOriginProtection().Handler(http.HandlerFunc(s.Logout)))
	// socialauth finds its routes at the end of the path, so one handler
	// serves the three trees. It checks the methods itself (disconnect is
	// POST only) and protects disconnect from cross-site requests.
	h := s.Auth().Handler()
	mux.Handle("/login/", h)
	mux.Handle("/complete/", h)
	mux.Handle("/disconnect/", h)
	return &App{Site: s, Handler: mux}, nil
}
