package socialerr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/socialauth/socialauth/socialerr"
)

func TestKindsHierarchy(t *testing.T) {
	kinds := []socialerr.Kind{socialerr.AuthFailed, socialerr.AuthCanceled, socialerr.AuthUnknownError,
		socialerr.AuthTokenError, socialerr.AuthMissingParameter, socialerr.AuthAlreadyAssociated,
		socialerr.WrongBackend, socialerr.NotAllowedToDisconnect, socialerr.AuthStateMissing,
		socialerr.AuthStateForbidden, socialerr.AuthTokenRevoked, socialerr.AuthUnreachableProvider,
		socialerr.AuthForbidden, socialerr.InvalidEmail, socialerr.AuthInactiveUser}
	for _, k := range kinds {
		err := fmt.Errorf("context: %w", socialerr.New(k, "github", ""))
		if !errors.Is(err, k) || !errors.Is(err, socialerr.AuthException) || !errors.Is(err, socialerr.SocialAuthBaseException) {
			t.Errorf("%s: hierarchy broken", k)
		}
		if k.Error() == string(k) {
			t.Errorf("%s has no message", k)
		}
		if socialerr.KindOf(err) != k {
			t.Errorf("KindOf(%s) = %s", k, socialerr.KindOf(err))
		}
	}
	if errors.Is(socialerr.New(socialerr.AuthCanceled, "", ""), socialerr.AuthFailed) {
		t.Error("AuthCanceled must not match AuthFailed")
	}
	if socialerr.SocialAuthBaseException.Is(socialerr.AuthException) {
		t.Error("the root is not an AuthException")
	}
}

func TestErrorWrapsCauseAndKeepsItPrivate(t *testing.T) {
	cause := errors.New("dial tcp: secret-host:443 refused")
	err := socialerr.Wrap(socialerr.AuthUnreachableProvider, "github", cause, "")
	if !errors.Is(err, cause) {
		t.Error("cause not wrapped")
	}
	if strings.Contains(err.PublicMessage(), "secret-host") {
		t.Error("public message leaks the cause")
	}
	if !strings.Contains(err.Error(), "secret-host") || !strings.Contains(err.Error(), "github") {
		t.Errorf("Error() = %q", err.Error())
	}
	var e *socialerr.Error
	if !errors.As(fmt.Errorf("x: %w", err), &e) || e.Backend != "github" {
		t.Error("errors.As")
	}
	m := socialerr.Missing("openid", "openid_lj_user")
	if !errors.Is(m, socialerr.AuthMissingParameter) || m.Param != "openid_lj_user" {
		t.Error("Missing")
	}
}

func TestProviderErrorCapsBody(t *testing.T) {
	body := []byte(strings.Repeat("x", 10*socialerr.MaxBodyCopy))
	pe := socialerr.NewProviderError(socialerr.AuthTokenError, "github", "https://example.com/token", 400, body)
	if len(pe.Body) != socialerr.MaxBodyCopy {
		t.Errorf("body copy %d bytes", len(pe.Body))
	}
	body[0] = 'y'
	if pe.Body[0] != 'x' {
		t.Error("body aliased")
	}
	pe.Code, pe.Description = "invalid_grant", "bad code"
	err := fmt.Errorf("exchange: %w", pe)
	var got *socialerr.ProviderError
	if !errors.As(err, &got) || got.StatusCode != 400 || !errors.Is(err, socialerr.AuthTokenError) {
		t.Error("errors.As/Is on ProviderError")
	}
	if !strings.Contains(err.Error(), "invalid_grant") || socialerr.KindOf(err) != socialerr.AuthTokenError {
		t.Errorf("Error() = %q", err.Error())
	}
	if socialerr.KindOf(errors.New("plain")) != "" || socialerr.KindOf(nil) != "" {
		t.Error("KindOf of a plain error")
	}
	if socialerr.KindOf(errors.Join(errors.New("a"), socialerr.AuthCanceled)) != socialerr.AuthCanceled {
		t.Error("KindOf through errors.Join")
	}
}
