package socialauth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// safeRedirect checks a `next` URL. Relative paths on this site are kept;
// absolute http(s) URLs only when their host is the request's host or one
// of ALLOWED_REDIRECT_HOSTS. Scheme-relative ("//evil"), backslash tricks,
// other schemes (javascript:, data:) and control characters are refused.
func (a *Auth) safeRedirect(r *http.Request, backendName, next string) (string, bool) {
	return SafeRedirect(next, r.Host, a.settings.Strings(backendName, "ALLOWED_REDIRECT_HOSTS", nil))
}

// SafeRedirect reports whether target is a safe place to send the browser
// after login from a page served on host, and returns it cleaned. It is the
// check socialauth applies to `next`; applications can use it for their own
// redirects.
func SafeRedirect(target, host string, allowedHosts []string) (string, bool) {
	if target == "" || len(target) > 2048 {
		return "", false
	}
	for _, c := range target {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		return "", false
	}
	if u.Scheme == "" && u.Host == "" && u.User == nil {
		// A path on this site: it must be rooted and not scheme-relative.
		if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") {
			return "", false
		}
		return target, true
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", false
	}
	if u.User != nil || u.Host == "" {
		return "", false
	}
	h := strings.ToLower(u.Host)
	if h == strings.ToLower(host) || slices.ContainsFunc(allowedHosts, func(a string) bool {
		return strings.EqualFold(strings.TrimSpace(a), h) || strings.EqualFold(strings.TrimSpace(a), u.Hostname())
	}) {
		return u.String(), true
	}
	return "", false
}
