package pipeline_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/socialauth/socialauth/pipeline"
)

// stepID identifies a step function, for comparing pipelines.
func stepID(s pipeline.Step) uintptr { return reflect.ValueOf(s).Pointer() }

func sameSteps(t *testing.T, got, want []pipeline.Step) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d steps, want %d", len(got), len(want))
	}
	for i := range want {
		if stepID(got[i]) != stepID(want[i]) {
			t.Errorf("step %d differs", i)
		}
	}
}

func TestDefaultPipelines(t *testing.T) {
	sameSteps(t, pipeline.Default(), []pipeline.Step{
		pipeline.SocialDetails, pipeline.SocialUID, pipeline.AuthAllowed, pipeline.SocialUser,
		pipeline.GetUsername, pipeline.CreateUser, pipeline.AssociateUser, pipeline.LoadExtraData,
		pipeline.UserDetails,
	})
	sameSteps(t, pipeline.DefaultDisconnect(), []pipeline.Step{
		pipeline.AllowedToDisconnect, pipeline.GetEntries, pipeline.RevokeTokens, pipeline.Disconnect,
	})

	// Each call is a new slice: changing one changes no other.
	a := pipeline.Default()
	a[0] = pipeline.UserDetails
	if stepID(pipeline.Default()[0]) != stepID(pipeline.SocialDetails) {
		t.Error("Default shares its slice between calls")
	}
	d := pipeline.DefaultDisconnect()
	d[0] = pipeline.Disconnect
	if stepID(pipeline.DefaultDisconnect()[0]) != stepID(pipeline.AllowedToDisconnect) {
		t.Error("DefaultDisconnect shares its slice between calls")
	}
}

func TestRegistryNames(t *testing.T) {
	reg := pipeline.Registry()
	type named struct {
		step  pipeline.Step
		names []string
	}
	var want []named
	add := func(step pipeline.Step, goName, module, py string) {
		want = append(want, named{step, []string{goName, py, "social_core.pipeline." + module + "." + py, "social.pipeline." + module + "." + py}})
	}
	add(pipeline.SocialDetails, "SocialDetails", "social_auth", "social_details")
	add(pipeline.SocialUID, "SocialUID", "social_auth", "social_uid")
	add(pipeline.AuthAllowed, "AuthAllowed", "social_auth", "auth_allowed")
	add(pipeline.SocialUser, "SocialUser", "social_auth", "social_user")
	add(pipeline.AssociateByEmail, "AssociateByEmail", "social_auth", "associate_by_email")
	add(pipeline.MailValidation, "MailValidation", "mail", "mail_validation")
	add(pipeline.AssociateUser, "AssociateUser", "social_auth", "associate_user")
	add(pipeline.LoadExtraData, "LoadExtraData", "social_auth", "load_extra_data")
	add(pipeline.GetUsername, "GetUsername", "user", "get_username")
	add(pipeline.CreateUser, "CreateUser", "user", "create_user")
	add(pipeline.UserDetails, "UserDetails", "user", "user_details")
	add(pipeline.AllowedToDisconnect, "AllowedToDisconnect", "disconnect", "allowed_to_disconnect")
	add(pipeline.GetEntries, "GetEntries", "disconnect", "get_entries")
	add(pipeline.RevokeTokens, "RevokeTokens", "disconnect", "revoke_tokens")
	add(pipeline.Disconnect, "Disconnect", "disconnect", "disconnect")
	count := 0
	for _, w := range want {
		step := w.step
		for _, name := range w.names {
			count++
			got, ok := reg[name]
			if !ok {
				t.Errorf("Registry lacks %q", name)
				continue
			}
			if stepID(got) != stepID(step) {
				t.Errorf("Registry[%q] is another step", name)
			}
		}
	}
	if len(reg) != count {
		t.Errorf("Registry has %d names, want %d", len(reg), count)
	}

	// A new map on each call.
	delete(reg, "SocialDetails")
	if _, ok := pipeline.Registry()["SocialDetails"]; !ok {
		t.Error("Registry shares its map between calls")
	}
}

func TestResolve(t *testing.T) {
	custom := func(context.Context, *pipeline.State) (pipeline.Result, error) { return pipeline.Continue, nil }
	steps, err := pipeline.Resolve([]string{
		"social_core.pipeline.social_auth.social_details",
		" SocialUID ",
		"auth_allowed",
		"myapp.pipeline.load_user",
		"social_core.pipeline.user.user_details",
	}, map[string]pipeline.Step{"myapp.pipeline.load_user": custom})
	if err != nil {
		t.Fatal(err)
	}
	sameSteps(t, steps, []pipeline.Step{pipeline.SocialDetails, pipeline.SocialUID, pipeline.AuthAllowed, custom, pipeline.UserDetails})

	// An extra step may replace a built-in one.
	steps, err = pipeline.Resolve([]string{"social_details"}, map[string]pipeline.Step{"social_details": custom})
	if err != nil {
		t.Fatal(err)
	}
	sameSteps(t, steps, []pipeline.Step{custom})

	// Every unknown name is reported at once.
	steps, err = pipeline.Resolve([]string{
		"social_core.pipeline.social_auth.social_details", "myapp.nope", "social_core.pipeline.user.nope", "socialdetails", "",
	}, nil)
	if err == nil || steps != nil {
		t.Fatalf("Resolve = %v, %v; want an error", steps, err)
	}
	if !errors.Is(err, pipeline.ErrUnknownStep) {
		t.Errorf("error %v does not match ErrUnknownStep", err)
	}
	for _, name := range []string{`"myapp.nope"`, `"social_core.pipeline.user.nope"`, `"socialdetails"`, `""`} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "social_auth.social_details") {
		t.Errorf("error %q names a known step", err)
	}

	// A nil extra step is no step.
	if _, err := pipeline.Resolve([]string{"mine"}, map[string]pipeline.Step{"mine": nil}); !errors.Is(err, pipeline.ErrUnknownStep) {
		t.Errorf("nil extra step: error = %v", err)
	}
}
