package openid_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/openid"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
)

// An identifier whose discovery names an OP endpoint over plain HTTP on a
// non-loopback host is refused before any association: assertions would
// be checked with that endpoint without TLS.
func TestPlainHTTPEndpointRefused(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><link rel="openid2.provider" href="http://op.example.com/openid"></head><body></body></html>`)
	}))
	defer page.Close()

	r := newRP(t, nil, settings.Map{}, openid.Provider{})
	_, err := r.b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: callback, State: "s",
		Params: url.Values{"openid_identifier": {page.URL + "/me"}}})
	if !errors.Is(err, socialerr.AuthFailed) || !errors.Is(err, openid.ErrNoService) {
		t.Fatalf("plain-HTTP endpoint: %v", err)
	}

}
