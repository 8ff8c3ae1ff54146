package form_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/socialauth/socialauth"
	"github.com/socialauth/socialauth/form"
	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/settings"
	"github.com/socialauth/socialauth/store"
	"github.com/socialauth/socialauth/store/memstore"
)

// Email and password sign-in, new addresses confirmed by email.
func ExamplePasswordStep() {
	st := memstore.New(memstore.Options{})
	hashes := &form.MemoryPasswordHashes{} // the application's own table in production
	password := form.PasswordStep(hashes)
	steps := []pipeline.Step{
		pipeline.SocialDetails, pipeline.SocialUID, pipeline.AuthAllowed, pipeline.SocialUser, pipeline.GetUsername,
		password,                // checks returning users; hashes a new user's password
		pipeline.MailValidation, // new addresses must be confirmed (needs a sender)
		pipeline.CreateUser,
		password, // stores the new user's hash
		pipeline.AssociateUser, pipeline.LoadExtraData, pipeline.UserDetails,
	}
	auth, err := socialauth.New(socialauth.Config{
		Settings: settings.New(settings.Map{
			"SOCIAL_AUTH_SECRET_KEY":              "change-me-to-32-random-bytes-or-more!",
			"SOCIAL_AUTH_AUTHENTICATION_BACKENDS": []string{"email"},
			"SOCIAL_AUTH_EMAIL_FORM_PASSWORD":     true, // the built-in form asks for a password
		}),
		Store:               st,
		Users:               form.UsersWithPasswords{UserStore: st, Hashes: hashes},
		Pipeline:            steps,
		SendValidationEmail: sendWithYourMailer,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = auth.Handler() // serves /login/email/, /complete/email/…
}

func ExampleHashPassword() {
	h, err := form.HashPassword("correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	right, _ := form.CheckPassword("correct horse battery staple", h)
	wrong, _ := form.CheckPassword("Tr0ub4dor&3", h)
	fmt.Println(strings.Join(strings.Split(h, "$")[:2], "$"), right, wrong)
	// Output: pbkdf2_sha256$600000 true false
}

// sendWithYourMailer stands for the application's mailer.
func sendWithYourMailer(ctx context.Context, s *pipeline.State, code *store.Code, link string) error {
	log.Printf("mail to %s: open %s to finish signing in", code.Email, link)
	return nil
}
