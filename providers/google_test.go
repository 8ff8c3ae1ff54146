package providers

import (
	"net/url"
	"testing"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/socialtest"
)

func googleProfile(verified any) map[string]any {
	return map[string]any{"sub": "110169484474386276334", "email": "grace@example.com", "email_verified": verified,
		"name": "Grace Hopper", "given_name": "Grace", "family_name": "Hopper", "picture": "https://img/1"}
}

func TestGoogle(t *testing.T) {
	for _, tc := range []struct {
		name         string
		settings     map[string]any
		verified     any
		wantUID      string
		wantVerified bool
	}{
		{"uid is the email", nil, true, "grace@example.com", true},
		{"unique user id", map[string]any{"USE_UNIQUE_USER_ID": true}, true, "110169484474386276334", true},
		{"unverified email", nil, false, "grace@example.com", false},
		{"verified as a string", nil, "true", "grace@example.com", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t, googleProfile(tc.verified))
			b := build(t, "google-oauth2", fakeSettings("google-oauth2", fake, tc.settings))
			id, authURL, err := login(t, b)
			if err != nil {
				t.Fatal(err)
			}
			if id.UID != tc.wantUID || id.Details.EmailVerified != tc.wantVerified {
				t.Errorf("uid %q verified %v, want %q %v", id.UID, id.Details.EmailVerified, tc.wantUID, tc.wantVerified)
			}
			want := backend.Details{Username: "grace", Email: "grace@example.com", FullName: "Grace Hopper", FirstName: "Grace", LastName: "Hopper"}
			d := id.Details
			if d.Username != want.Username || d.Email != want.Email || d.FullName != want.FullName || d.FirstName != want.FirstName || d.LastName != want.LastName {
				t.Errorf("details %+v", d)
			}
			if got := authURL.Query().Get("scope"); got != "openid email profile" {
				t.Errorf("scope %q", got)
			}
		})
	}
}

func TestGoogleDefaults(t *testing.T) {
	b := build(t, "google-oauth2", prefixed("google-oauth2", map[string]any{"KEY": "k", "SECRET": "s",
		"AUTH_EXTRA_ARGUMENTS": map[string]string{"access_type": "offline"}}))
	res, err := b.Begin(t.Context(), &backend.BeginRequest{RedirectURI: redirectURI, State: "s"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(res.RedirectURL)
	if u.Host != "accounts.google.com" || u.Path != "/o/oauth2/v2/auth" || u.Query().Get("access_type") != "offline" {
		t.Errorf("authorization URL %s", u)
	}
}

func TestGoogleRevoke(t *testing.T) {
	fake := newFake(t, googleProfile(true))
	b := build(t, "google-oauth2", fakeSettings("google-oauth2", fake, map[string]any{"REVOKE_TOKEN_URL": fake.RevokeURL()}))
	id, _, err := login(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.(backend.Revoker).Revoke(t.Context(), id.ExtraData); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	reqs := fake.RequestsTo(socialtest.RevokePath)
	if len(reqs) != 1 || reqs[0].Form.Get("token") != id.Token.AccessToken {
		t.Fatalf("revocation requests %+v", reqs)
	}
}
