package localidp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSweepBoundsMemory checks that expired codes and spent grants without
// live tokens are dropped lazily, with no goroutine involved.
func TestSweepBoundsMemory(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := New(Config{
		Clients: map[string]Client{"c": {Secret: "s", RedirectURIs: []string{"https://a.example/cb"}}},
		Now:     func() time.Time { return now },
		Approve: func(*http.Request, AuthorizationRequest) Decision {
			return Decision{Outcome: Approve, User: User{ID: "1"}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	code := func() string {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/authorize?response_type=code&client_id=c", nil))
		loc, _ := url.Parse(w.Header().Get("Location"))
		return loc.Query().Get("code")
	}
	for range 50 {
		code()
	}
	redeemed := code()
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/token", stringsReader(url.Values{"grant_type": {"authorization_code"}, "code": {redeemed}, "client_id": {"c"}, "client_secret": {"s"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	if n := len(s.grants); n != 53 { // 50 codes, the spent one, access and refresh
		t.Fatalf("grants = %d, want 53", n)
	}
	now = now.Add(DefaultCodeTTL + sweepEvery)
	code() // triggers a lazy sweep
	// Left: the new code, the spent code (its tokens live), access, refresh.
	if n := len(s.grants); n != 4 {
		t.Errorf("after sweep grants = %d, want 4", n)
	}
	now = now.Add(DefaultRefreshTTL)
	code()
	if n := len(s.grants); n != 1 {
		t.Errorf("after tokens expired grants = %d, want 1", n)
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
