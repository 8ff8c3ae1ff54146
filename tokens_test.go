package socialauth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/socialtest"
	"github.com/socialauth/socialauth/store"
)

func TestRefreshAndAccessToken(t *testing.T) {
	clk := &clock{now: time.Now()}
	var refreshed []string
	app := newTestApp(t, nil, func(c *socialauth.Config) {
		c.Now = clk.Now
		c.Events.TokenRefreshed = func(_ context.Context, b string, a *store.Association) { refreshed = append(refreshed, b) }
	})
	app.browser.visit("/login/oauth2/")
	ctx := context.Background()
	assoc, err := app.store.GetAssociation(ctx, "oauth2", "1001")
	if err != nil {
		t.Fatal(err)
	}
	first := assoc.ExtraData["access_token"].(string)
	firstRefresh := assoc.ExtraData["refresh_token"].(string)
	if exp, ok := socialauth.TokenExpiry(assoc); !ok || exp.Sub(clk.Now()) < 59*time.Minute {
		t.Fatalf("expiry not tracked: %v %v", exp, ok)
	}

	// Still valid: no refresh.
	if tok, err := app.auth.AccessToken(ctx, assoc); err != nil || tok != first {
		t.Fatalf("AccessToken = %q, %v", tok, err)
	}
	if n := len(app.p.RequestsTo(socialtest.TokenPath)); n != 1 {
		t.Fatalf("%d token calls before expiry", n)
	}

	// Expired: refreshed, saved, and usable at the provider.
	clk.Advance(2 * time.Hour)
	tok, err := app.auth.AccessToken(ctx, assoc)
	if err != nil {
		t.Fatal(err)
	}
	if tok == first {
		t.Fatal("token not refreshed after expiry")
	}
	calls := app.p.RequestsTo(socialtest.TokenPath)
	if last := calls[len(calls)-1]; last.Form.Get("grant_type") != "refresh_token" || last.Form.Get("refresh_token") != firstRefresh {
		t.Errorf("refresh request: %v", last.Form)
	}
	saved, _ := app.store.GetAssociation(ctx, "oauth2", "1001")
	if saved.ExtraData["access_token"] != tok || saved.ExtraData["refresh_token"] == firstRefresh {
		t.Errorf("refreshed token not saved (or refresh token not rotated): %v", saved.ExtraData)
	}
	if len(refreshed) != 1 {
		t.Errorf("TokenRefreshed events: %v", refreshed)
	}
	req, _ := http.NewRequest("GET", app.p.UserURL(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("refreshed token refused by the provider: %v %v", res.StatusCode, err)
	}
	res.Body.Close()

	// The API client refreshes by itself too.
	clk.Advance(2 * time.Hour)
	res2, err := app.auth.APIClient(saved, nil).Get(app.p.UserURL())
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusOK {
		t.Fatalf("API client call: %d", res2.StatusCode)
	}
	if saved.ExtraData["access_token"] == tok {
		t.Error("the API client did not refresh the expired token")
	}

	// A refresh token the provider refuses is a typed error.
	saved.ExtraData["refresh_token"] = "bogus"
	if err := app.store.UpdateAssociation(ctx, saved); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if _, err := app.auth.AccessToken(ctx, saved); !errors.Is(err, socialerr.AuthTokenError) {
		t.Errorf("bogus refresh token: %v", err)
	}
	delete(saved.ExtraData, "refresh_token")
	if err := app.auth.RefreshToken(ctx, saved); !errors.Is(err, socialerr.AuthTokenError) {
		t.Errorf("no refresh token: %v", err)
	}
}

func TestRevokeTokensOnDisconnect(t *testing.T) {
	for _, revoke := range []bool{true, false} {
		app := newTestApp(t, settings.Map{"SOCIAL_AUTH_REVOKE_TOKENS_ON_DISCONNECT": revoke}, nil)
		app.browser.visit("/login/oauth2/")
		app.browser.visit("/login/other/")
		ctx := context.Background()
		assoc, err := app.store.GetAssociation(ctx, "oauth2", "1001")
		if err != nil {
			t.Fatal(err)
		}
		token := assoc.ExtraData["access_token"].(string)
		res, _ := app.browser.post("/disconnect/oauth2/", nil)
		if res.StatusCode != http.StatusFound {
			t.Fatalf("disconnect: %d", res.StatusCode)
		}
		calls := app.p.RequestsTo(socialtest.RevokePath)
		if !revoke {
			if len(calls) != 0 {
				t.Errorf("revoked without REVOKE_TOKENS_ON_DISCONNECT")
			}
			continue
		}
		if len(calls) != 1 || calls[0].Form.Get("token") != token {
			t.Fatalf("revoke calls: %+v", calls)
		}
		// The provider no longer accepts the token.
		req, _ := http.NewRequest("GET", app.p.UserURL(), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusUnauthorized {
			t.Errorf("revoked token still accepted: %d", r.StatusCode)
		}
	}
}
