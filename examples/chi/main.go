// Command chi is a "Sign in with GitHub" site on the chi router, with
// socialauth mounted under /auth and users kept in SQLite.
//
// It reads the SOCIAL_AUTH_* settings from the environment:
//
//	export SOCIAL_AUTH_GITHUB_KEY=…      # the GitHub OAuth app's client ID
//	export SOCIAL_AUTH_GITHUB_SECRET=…   # and its client secret
//	export SOCIAL_AUTH_SECRET_KEY=$(openssl rand -base64 48)
//	go run . -addr localhost:8000 -db example.db
//
// and serves a home page at /, socialauth's /auth/login/github/,
// /auth/complete/github/ and /auth/disconnect/github/, and POST /logout/.
// The GitHub OAuth app's callback URL is
// http://localhost:8000/auth/complete/github/. See README.md.
package main

import "github.com/socialauth/socialauth/examples/internal/site"

func main() { site.Main("chi", NewApp) }
