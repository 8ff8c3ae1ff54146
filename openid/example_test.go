package openid_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/openid"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store/memstore"
)

// A backend for a provider with a fixed OP identifier, asking for the
// nickname as username and keeping the SREG date of birth.
func ExampleNew() {
	op := socialtest.StartOpenIDProvider()
	defer op.Close()
	st := memstore.New(memstore.Options{})
	b, err := openid.New(backend.Config{
		Name: "example",
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_EXAMPLE_SREG_EXTRA_DATA": []any{[]any{"dob", "birthday"}},
		}).For("example"),
		Nonces:             st,
		OpenIDAssociations: st,
	}, openid.Provider{URL: op.OPIdentifier(), UsernameKey: "nickname"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	res, err := b.Begin(ctx, &backend.BeginRequest{RedirectURI: "https://app.example.com/complete/example/", State: "random-state"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The browser goes to the OP, which sends it back to the callback.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(res.RedirectURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	id, err := b.Complete(ctx, &backend.CompleteRequest{
		RedirectURI: "https://app.example.com/complete/example/", Params: back.Query(), Stash: res.Stash,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.UID == op.IdentifierURL("alice"), id.Details.Username, id.Details.Email, id.Details.EmailVerified)
	// Output: true alice alice@example.com false
}
