package socialauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store/memstore"
)

// A GitHub login on net/http. In production, read the settings from the
// environment with settings.FromEnv() and keep users in the sqlstore module.
func ExampleNew() {
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"github"},
			"SOCIAL_AUTH_GITHUB_KEY":              "client-id",
			"SOCIAL_AUTH_GITHUB_SECRET":           "client-secret",
			"SOCIAL_AUTH_SECRET_KEY":              "at-least-32-bytes-of-random-secret-key",
			"SOCIAL_AUTH_LOGIN_REDIRECT_URL":      "/dashboard",
		}),
		Store: memstore.New(memstore.Options{}),
	})
	if err != nil {
		log.Fatal(err) // every configuration problem, listed at once
	}
	mux := http.NewServeMux()
	mux.Handle("/", auth.Handler()) // /login/github/, /complete/github/, /disconnect/github/
	fmt.Println(auth.BackendNames())
	// Output: [github]
}

// New reports every configuration problem in one error.
func ExampleNew_problems() {
	_, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"github", "myspace"},
			"SOCIAL_AUTH_SECRET_KEY":              "at-least-32-bytes-of-random-secret-key",
		}),
		Store: memstore.New(memstore.Options{}),
	})
	fmt.Println(err)
	// Output:
	// socialauth: invalid configuration:
	//   - backend github: SOCIAL_AUTH_GITHUB_KEY is not set
	//   - backend github: SOCIAL_AUTH_GITHUB_SECRET is not set
	//   - unknown backend "myspace" in SOCIAL_AUTH_AUTHENTICATION_BACKENDS
}

// A pipeline is a slice of plain functions: append your own steps.
func ExampleConfig_pipeline() {
	saveProfile := func(ctx context.Context, s *pipeline.State) (pipeline.Result, error) {
		if s.IsNew {
			log.Printf("welcome %s from %s", s.User.Username, s.Backend.Name())
		}
		return pipeline.Continue, nil
	}
	_, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"github"},
			"SOCIAL_AUTH_GITHUB_KEY":              "client-id",
			"SOCIAL_AUTH_GITHUB_SECRET":           "client-secret",
			"SOCIAL_AUTH_SECRET_KEY":              "at-least-32-bytes-of-random-secret-key",
		}),
		Store:    memstore.New(memstore.Options{}),
		Pipeline: append(pipeline.Default(), saveProfile),
	})
	fmt.Println(err)
	// Output: <nil>
}

// Mounted under a prefix, the handler builds its callback URLs there.
func ExampleAuth_Handler() {
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"github"},
			"SOCIAL_AUTH_GITHUB_KEY":              "client-id",
			"SOCIAL_AUTH_GITHUB_SECRET":           "client-secret",
			"SOCIAL_AUTH_SECRET_KEY":              "at-least-32-bytes-of-random-secret-key",
		}),
		Store:    memstore.New(memstore.Options{}),
		BasePath: "/auth",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", auth.Handler())
	info, _ := auth.Info("github")
	fmt.Println(info.LoginURL)
	// Output: /auth/login/github/
}
