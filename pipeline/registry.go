package pipeline

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownStep is matched by the error of [Resolve] for a step name that
// is neither registered nor given as an extra step.
var ErrUnknownStep = errors.New("pipeline: unknown step")

// Default returns the default authentication pipeline, a new slice on each
// call: SocialDetails, SocialUID, AuthAllowed, SocialUser, GetUsername,
// CreateUser, AssociateUser, LoadExtraData, UserDetails.
func Default() []Step {
	return []Step{
		SocialDetails,
		SocialUID,
		AuthAllowed,
		SocialUser,
		GetUsername,
		CreateUser,
		AssociateUser,
		LoadExtraData,
		UserDetails,
	}
}

// DefaultDisconnect returns the default disconnect pipeline, a new slice on
// each call: AllowedToDisconnect, GetEntries, RevokeTokens, Disconnect.
func DefaultDisconnect() []Step {
	return []Step{AllowedToDisconnect, GetEntries, RevokeTokens, Disconnect}
}

// builtin names a built-in step: its Go name, the python-social-auth
// module holding it and its python name.
type builtin struct {
	goName, module, pyName string
	step                   Step
}

func builtins() []builtin {
	return []builtin{
		{"SocialDetails", "social_auth", "social_details", SocialDetails},
		{"SocialUID", "social_auth", "social_uid", SocialUID},
		{"AuthAllowed", "social_auth", "auth_allowed", AuthAllowed},
		{"SocialUser", "social_auth", "social_user", SocialUser},
		{"AssociateByEmail", "social_auth", "associate_by_email", AssociateByEmail},
		{"MailValidation", "mail", "mail_validation", MailValidation},
		{"AssociateUser", "social_auth", "associate_user", AssociateUser},
		{"LoadExtraData", "social_auth", "load_extra_data", LoadExtraData},
		{"GetUsername", "user", "get_username", GetUsername},
		{"CreateUser", "user", "create_user", CreateUser},
		{"UserDetails", "user", "user_details", UserDetails},
		{"AllowedToDisconnect", "disconnect", "allowed_to_disconnect", AllowedToDisconnect},
		{"GetEntries", "disconnect", "get_entries", GetEntries},
		{"RevokeTokens", "disconnect", "revoke_tokens", RevokeTokens},
		{"Disconnect", "disconnect", "disconnect", Disconnect},
	}
}

// Registry returns the built-in steps by name, in a new map on each call.
// Every step is registered under its Go name ("SocialDetails"), its
// python-social-auth path ("social_core.pipeline.social_auth.social_details"),
// the older python path ("social.pipeline.social_auth.social_details") and
// its short python name ("social_details"), so that a SOCIAL_AUTH_PIPELINE
// setting written for python-social-auth resolves unchanged.
func Registry() map[string]Step {
	all := builtins()
	reg := make(map[string]Step, 4*len(all))
	for _, b := range all {
		reg[b.goName] = b.step
		reg[b.pyName] = b.step
		reg["social_core.pipeline."+b.module+"."+b.pyName] = b.step
		reg["social.pipeline."+b.module+"."+b.pyName] = b.step
	}
	return reg
}

// Resolve builds a pipeline from step names, looking each up first in
// extra (the application's own steps, which may also replace built-in
// ones) and then in [Registry]. Surrounding spaces are ignored. The error
// lists every unknown name at once; each matches [ErrUnknownStep].
func Resolve(names []string, extra map[string]Step) ([]Step, error) {
	reg := Registry()
	steps := make([]Step, 0, len(names))
	var errs []error
	for _, raw := range names {
		name := strings.TrimSpace(raw)
		step := extra[name]
		if step == nil {
			step = reg[name]
		}
		if step == nil {
			errs = append(errs, fmt.Errorf("%w %q", ErrUnknownStep, name))
			continue
		}
		steps = append(steps, step)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return steps, nil
}
