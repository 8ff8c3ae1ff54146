// Command nethttp is a "Sign in with GitHub" site on the standard
// library's http.ServeMux, keeping users in SQLite.
//
// It reads the SOCIAL_AUTH_* settings from the environment:
//
//	export SOCIAL_AUTH_GITHUB_KEY=…      # the GitHub OAuth app's client ID
//	export SOCIAL_AUTH_GITHUB_SECRET=…   # and its client secret
//	export SOCIAL_AUTH_SECRET_KEY=$(openssl rand -base64 48)
//	go run . -addr localhost:8000 -db example.db
//
// and serves a home page at /, socialauth's /login/github/,
// /complete/github/ and /disconnect/github/, and POST /logout/. See
// README.md for the GitHub side.
package main

import "github.com/socialauth/socialauth/examples/internal/site"

func main() { site.Main("nethttp", NewApp) }
