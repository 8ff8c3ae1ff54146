package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/socialauth/socialauth/socialerr"
	"github.com/socialauth/socialauth/store"
)

// SocialDetails copies the provider's answer into the state: the
// normalised profile into s.Details and the raw user data into s.Response.
// Values an earlier step already put in s.Details (or s.Response) win over
// the provider's. It is python-social-auth's
// social_core.pipeline.social_auth.social_details.
//
// The provider's EmailVerified flag is kept only when the email that ends
// up in s.Details is the one the provider vouched for.
func SocialDetails(ctx context.Context, s *State) (Result, error) {
	if s.Identity == nil {
		return Continue, socialerr.New(socialerr.AuthUnknownError, backendName(s), "the provider gave no identity")
	}
	got := s.Identity.Details
	d := &s.Details
	providerEmail := strings.EqualFold(strings.TrimSpace(d.Email), strings.TrimSpace(got.Email))
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&d.Username, got.Username)
	fill(&d.Email, got.Email)
	fill(&d.FullName, got.FullName)
	fill(&d.FirstName, got.FirstName)
	fill(&d.LastName, got.LastName)
	if d.Email == got.Email || providerEmail {
		d.EmailVerified = d.EmailVerified || got.EmailVerified
	}
	if len(got.Extra) > 0 {
		extra := cloneMap(got.Extra)
		maps.Copy(extra, d.Extra)
		d.Extra = extra
	}
	resp := cloneMap(s.Identity.Response)
	maps.Copy(resp, s.Response)
	s.Response = resp
	return Continue, nil
}

// SocialUID sets s.UID, the provider's identifier of the account, from the
// identity. An identity without one fails with [socialerr.AuthFailed], and
// so does an identifier longer than the UID_LENGTH setting when it is set.
// It is python-social-auth's social_core.pipeline.social_auth.social_uid.
func SocialUID(ctx context.Context, s *State) (Result, error) {
	if s.Identity != nil && s.Identity.UID != "" {
		s.UID = s.Identity.UID
	}
	if s.UID == "" {
		return Continue, socialerr.New(socialerr.AuthFailed, backendName(s), "the provider gave no account identifier")
	}
	if limit := s.Settings.Int("UID_LENGTH", 0); limit > 0 && len(s.UID) > limit {
		return Continue, socialerr.New(socialerr.AuthFailed, backendName(s), "the provider's account identifier is too long")
	}
	return Continue, nil
}

// AuthAllowed applies the WHITELISTED_EMAILS and WHITELISTED_DOMAINS
// settings. When either is set, the email in s.Details must be one of the
// listed addresses, or its domain (what follows the last "@") one of the
// listed domains, compared without regard to case; otherwise, and when
// there is no email, the login fails with [socialerr.AuthForbidden]. It is
// python-social-auth's social_core.pipeline.social_auth.auth_allowed.
func AuthAllowed(ctx context.Context, s *State) (Result, error) {
	emails := s.Settings.Strings("WHITELISTED_EMAILS", nil)
	domains := s.Settings.Strings("WHITELISTED_DOMAINS", nil)
	if len(emails) == 0 && len(domains) == 0 {
		return Continue, nil
	}
	if emailAllowed(strings.TrimSpace(s.Details.Email), emails, domains) {
		return Continue, nil
	}
	return Continue, socialerr.New(socialerr.AuthForbidden, backendName(s), "")
}

func emailAllowed(email string, emails, domains []string) bool {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return false
	}
	if containsFold(emails, email) {
		return true
	}
	domain := email[at+1:]
	for _, d := range domains {
		if strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(d), "@"), domain) {
			return true
		}
	}
	return false
}

// SocialUser looks up the association of the provider account
// (backend name, s.UID). When there is one, its user becomes s.User and the
// association s.Social; when someone is logged in (s.User set) and the
// account belongs to another user, the login fails with
// [socialerr.AuthAlreadyAssociated]. It is python-social-auth's
// social_core.pipeline.social_auth.social_user.
func SocialUser(ctx context.Context, s *State) (Result, error) {
	name := backendName(s)
	if s.UID == "" {
		return Continue, socialerr.New(socialerr.AuthFailed, name, "the provider gave no account identifier")
	}
	social, err := s.Associations.GetAssociation(ctx, name, s.UID)
	if errors.Is(err, store.ErrNotFound) {
		return Continue, nil
	}
	if err != nil {
		return Continue, fmt.Errorf("social_user: %w", err)
	}
	return Continue, adoptAssociation(ctx, s, social)
}

// adoptAssociation makes an existing association the state's, checking it
// belongs to the logged-in user if there is one.
func adoptAssociation(ctx context.Context, s *State, social *store.Association) error {
	if s.User != nil && s.User.ID != social.UserID {
		return socialerr.New(socialerr.AuthAlreadyAssociated, backendName(s), "")
	}
	if s.User == nil {
		u, err := s.Users.GetUser(ctx, social.UserID)
		if err != nil {
			return fmt.Errorf("social_user: loading the associated user: %w", err)
		}
		s.User = u
	}
	s.Social = social
	s.IsNew = false
	s.NewAssociation = false
	return nil
}

// AssociateByEmail, when no user is known yet, logs the person in as the
// existing user whose email is the one in s.Details. It is not in
// [Default]; insert it after GetUsername. It is python-social-auth's
// social_core.pipeline.social_auth.associate_by_email.
//
// Only an email the provider vouches for (Details.EmailVerified) is used:
// otherwise anyone able to register the victim's address at the provider
// would take over the victim's account. The setting
// UNSAFE_ASSOCIATE_BY_UNVERIFIED_EMAIL lifts that rule. More than one user
// with the email fails with [socialerr.AuthFailed]; none lets the pipeline
// go on (CreateUser then creates a user).
func AssociateByEmail(ctx context.Context, s *State) (Result, error) {
	if s.User != nil {
		return Continue, nil
	}
	email := strings.TrimSpace(s.Details.Email)
	if email == "" {
		return Continue, nil
	}
	if !s.Details.EmailVerified && !s.Settings.Bool("UNSAFE_ASSOCIATE_BY_UNVERIFIED_EMAIL", false) {
		logger(s).InfoContext(ctx, "socialauth: not associating by an unverified email", "backend", backendName(s))
		return Continue, nil
	}
	users, err := s.Users.UsersByEmail(ctx, email)
	if err != nil {
		return Continue, fmt.Errorf("associate_by_email: %w", err)
	}
	switch len(users) {
	case 0:
		return Continue, nil
	case 1:
		s.User = users[0]
		s.IsNew = false
		return Continue, nil
	}
	return Continue, socialerr.New(socialerr.AuthFailed, backendName(s),
		"the given email address is associated with another account")
}

// AssociateUser links the provider account to s.User when it is not linked
// yet, setting s.Social and s.NewAssociation. When a concurrent login
// linked the account first, the stored association is used if it belongs
// to s.User, and the login fails with [socialerr.AuthAlreadyAssociated]
// otherwise. It is python-social-auth's
// social_core.pipeline.social_auth.associate_user.
func AssociateUser(ctx context.Context, s *State) (Result, error) {
	if s.User == nil || s.Social != nil {
		return Continue, nil
	}
	name := backendName(s)
	if s.UID == "" {
		return Continue, socialerr.New(socialerr.AuthFailed, name, "the provider gave no account identifier")
	}
	social := &store.Association{
		UserID:    s.User.ID,
		Provider:  name,
		UID:       s.UID,
		ExtraData: map[string]any{},
	}
	err := s.Associations.CreateAssociation(ctx, social)
	if errors.Is(err, store.ErrConflict) {
		existing, lookupErr := s.Associations.GetAssociation(ctx, name, s.UID)
		if lookupErr != nil {
			return Continue, fmt.Errorf("associate_user: %w", errors.Join(err, lookupErr))
		}
		return Continue, adoptAssociation(ctx, s, existing)
	}
	if err != nil {
		return Continue, fmt.Errorf("associate_user: %w", err)
	}
	s.Social = social
	s.NewAssociation = true
	return Continue, nil
}

// LoadExtraData merges the identity's ExtraData (tokens, expiry, the
// backend's EXTRA_DATA fields) into the association's and saves it when it
// changed. A key named in Identity.KeepOldIfEmpty whose new value is empty
// (nil, "", 0, false, empty list or map) keeps the stored value. It is
// python-social-auth's social_core.pipeline.social_auth.load_extra_data.
func LoadExtraData(ctx context.Context, s *State) (Result, error) {
	if s.Social == nil || s.Identity == nil || len(s.Identity.ExtraData) == 0 {
		return Continue, nil
	}
	merged := cloneMap(s.Social.ExtraData)
	for k, v := range s.Identity.ExtraData {
		if _, had := merged[k]; had && s.Identity.KeepOldIfEmpty[k] && isEmptyValue(v) {
			continue
		}
		merged[k] = v
	}
	if sameJSON(merged, s.Social.ExtraData) {
		return Continue, nil
	}
	updated := *s.Social
	updated.ExtraData = merged
	if err := s.Associations.UpdateAssociation(ctx, &updated); err != nil {
		return Continue, fmt.Errorf("load_extra_data: %w", err)
	}
	s.Social = &updated
	return Continue, nil
}
