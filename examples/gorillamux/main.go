// Command gorillamux is a "Sign in with GitHub" site on the gorilla/mux
// router, keeping users in SQLite.
//
// It reads the SOCIAL_AUTH_* settings from the environment:
//
//	export SOCIAL_AUTH_GITHUB_KEY=…      # the GitHub OAuth app's client ID
//	export SOCIAL_AUTH_GITHUB_SECRET=…   # and its client secret
//	export SOCIAL_AUTH_SECRET_KEY=$(openssl rand -base64 48)
//	go run . -addr localhost:8000 -db example.db
//
// and serves a home page at /, POST /logout/, and hands every other path
// to socialauth: /login/github/, /complete/github/ and
// /disconnect/github/. See README.md.
package main

import "github.com/socialauth/socialauth/examples/internal/site"

func main() { site.Main("gorillamux", NewApp) }
