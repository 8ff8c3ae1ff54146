package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"

	"github.com/socialauth/socialauth/backend"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store/memstore"
)

// exampleBackend stands for a real backend: only its name matters to the
// pipeline.
type exampleBackend struct{}

func (exampleBackend) Name() string { return "github" }

func (exampleBackend) Begin(context.Context, *backend.BeginRequest) (*backend.BeginResult, error) {
	return nil, errors.New("not used")
}

func (exampleBackend) Complete(context.Context, *backend.CompleteRequest) (*backend.Identity, error) {
	return nil, errors.New("not used")
}

// exampleState is what the engine hands the pipeline after GitHub answered.
func exampleState(st *memstore.Store) *pipeline.State {
	return &pipeline.State{
		Backend:      exampleBackend{},
		Settings:     settings.New(settings.Map{}).For("github"),
		Users:        st,
		Associations: st,
		Codes:        st,
		Identity: &backend.Identity{
			UID:      "583231",
			Details:  backend.Details{Username: "octocat", Email: "octocat@example.com"},
			Response: map[string]any{"html_url": "https://github.com/octocat"},
		},
	}
}

// A custom step placed after CreateUser always sees a user, new or found.
func Example_customStepAfterCreateUser() {
	profiles := map[string]string{} // the application's own profile table

	saveProfile := func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		if s.Backend.Name() != "github" {
			return pipeline.Continue, nil
		}
		if page, ok := s.Response["html_url"].(string); ok {
			profiles[s.User.ID] = page
		}
		return pipeline.Continue, nil
	}

	steps := pipeline.Default()
	at := slices.IndexFunc(steps, func(step pipeline.Step) bool { return stepID(step) == stepID(pipeline.CreateUser) })
	steps = slices.Insert(steps, at+1, saveProfile)

	st := memstore.New(memstore.Options{})
	s := exampleState(st)
	if _, err := pipeline.Run(context.Background(), steps, 0, s); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("user:", s.User.Username, "new:", s.IsNew)
	fmt.Println("profile:", profiles[s.User.ID])
	// Output:
	// user: octocat new: true
	// profile: https://github.com/octocat
}

// A step pauses the pipeline to ask the person something; the engine saves
// the state and, when the browser comes back to /complete/github/, runs the
// pipeline again from the step that paused.
func Example_pauseForUsername() {
	pickUsername := func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		if !s.IsNew && s.User != nil {
			return pipeline.Continue, nil
		}
		chosen := s.Request.Get("username")
		if chosen == "" {
			return s.PauseRedirect("/choose-username/?partial=" + url.QueryEscape(s.PartialToken))
		}
		s.Username = chosen
		return pipeline.Continue, nil
	}

	// The step comes after GetUsername and before CreateUser.
	steps := pipeline.Default()
	at := slices.IndexFunc(steps, func(step pipeline.Step) bool { return stepID(step) == stepID(pipeline.CreateUser) })
	steps = slices.Insert(steps, at, pickUsername)

	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	s := exampleState(st)
	s.PartialToken = "tok123"
	out, err := pipeline.Run(ctx, steps, 0, s)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	s.Reply().ServeHTTP(rec, httptest.NewRequest("GET", "/complete/github/", nil))
	fmt.Println("paused:", out.Result == pipeline.Paused, "at step", out.Step)
	fmt.Println("redirect:", rec.Code, rec.Header().Get("Location"))

	// The form posted back; the engine resumes at the same step.
	s.Request = url.Values{"username": {"the-octocat"}}
	out, err = pipeline.Run(ctx, steps, out.Step, s)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("done:", out.Result == pipeline.Continue, "user:", s.User.Username)
	// Output:
	// paused: true at step 5
	// redirect: 302 /choose-username/?partial=tok123
	// done: true user: the-octocat
}

// Resolve builds a pipeline from a SOCIAL_AUTH_PIPELINE setting written for
// python-social-auth, with the application's own steps by name.
func ExampleResolve() {
	loadUser := func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		return pipeline.Continue, nil
	}
	steps, err := pipeline.Resolve([]string{
		"myapp.pipeline.load_user",
		"social_core.pipeline.social_auth.social_user",
		"social_core.pipeline.social_auth.associate_user",
		"social_core.pipeline.social_auth.load_extra_data",
		"social_core.pipeline.user.user_details",
	}, map[string]pipeline.Step{"myapp.pipeline.load_user": loadUser})
	fmt.Println(len(steps), err)

	_, err = pipeline.Resolve([]string{"social_core.pipeline.user.nope", "myapp.missing"}, nil)
	fmt.Println(err)
	// Output:
	// 5 <nil>
	// pipeline: unknown step "social_core.pipeline.user.nope"
	// pipeline: unknown step "myapp.missing"
}
