package socialauth_test

import (
	"testing"

	"github.com/socialauth/socialauth"
)

func TestSafeRedirect(t *testing.T) {
	allowed := []string{"accounts.example.org"}
	cases := []struct {
		next string
		ok   bool
		want string
	}{
		{"/profile/", true, "/profile/"},
		{"/search?q=go&page=2#top", true, "/search?q=go&page=2#top"},
		{"https://app.example.com/after", true, "https://app.example.com/after"},
		{"http://APP.example.com/x", true, "http://APP.example.com/x"},
		{"https://accounts.example.org/done", true, "https://accounts.example.org/done"},
		{"https://evil.example.net/", false, ""},
		{"//evil.example.net/", false, ""},
		{"/\\evil.example.net", false, ""},
		{"\\\\evil.example.net", false, ""},
		{"https:evil.example.net", false, ""},
		{"javascript:alert(1)", false, ""},
		{"JaVaScRiPt:alert(1)", false, ""},
		{"data:text/html,hi", false, ""},
		{"https://app.example.com@evil.example.net/", false, ""},
		{"https://user:pw@app.example.com/", false, ""},
		{"relative/path", false, ""},
		{"/ok\r\nSet-Cookie: x=y", false, ""},
		{"/tab\tinside", false, ""},
		{"", false, ""},
		{"https://app.example.com.evil.example.net/", false, ""},
		{"ftp://app.example.com/", false, ""},
	}
	for _, c := range cases {
		got, ok := socialauth.SafeRedirect(c.next, "app.example.com", allowed)
		if ok != c.ok || got != c.want {
			t.Errorf("SafeRedirect(%q) = %q, %v; want %q, %v", c.next, got, ok, c.want, c.ok)
		}
	}
	long := "/" + string(make([]byte, 3000))
	if _, ok := socialauth.SafeRedirect(long, "app.example.com", nil); ok {
		t.Error("overlong next accepted")
	}
}
