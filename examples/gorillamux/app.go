package main

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/socialauth/socialauth/examples/internal/site"
)

// App is the example site: a home page, a logout button and socialauth's
// routes, on a gorilla/mux router.
type App struct {
	*site.Site   // the socialauth engine, the home page and logout
	http.Handler // the routes
}

// NewApp builds the site and routes it on a gorilla/mux router, with
// socialauth behind a catch-all route.
func NewApp(ctx context.Context, cfg site.Config) (*App, error) {
	s, err := site.New(ctx, cfg, site.Router{Name: "gorilla/mux"})
	if err != nil {
		return nil, err
	}
	r := mux.NewRouter()
	r.HandleFunc("/", s.Home).Methods(http.MethodGet, http.MethodHead)
	// Logout changes state: POST only, and refused when cross-site.
	r.Handle("/logout/", http.NewCrossOriginProtection().Handler(http.HandlerFunc(s.Logout))).Methods(http.MethodPost)
	// Everything else goes to socialauth, which finds /login/{backend}/,
	// /complete/{backend}/ and /disconnect/{backend}/ at the end of the
	// path and answers 404 to other paths. It checks the methods itself
	// (disconnect is POST only) and protects disconnect from cross-site
	// requests. Register it last: gorilla/mux tries routes in order.
	r.PathPrefix("/").Handler(s.Auth().Handler())
	return &App{Site: s, Handler: r}, nil
}
