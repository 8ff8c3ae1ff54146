package socialtest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
)

// controls are the test controls the fake providers share: the record of
// the requests received and the queue of forced failures. Its methods are
// safe for concurrent use; the zero value is ready.
type controls struct {
	mu       sync.Mutex
	requests []Request
	failures map[string][]failure
}

// failure is a reply forced by FailNext.
type failure struct {
	status int
	body   string
}

// failNext queues a failure for the next request to path.
func (c *controls) failNext(path string, status int, body string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures == nil {
		c.failures = map[string][]failure{}
	}
	c.failures[path] = append(c.failures[path], failure{status, body})
}

// requestsRecorded returns a copy of the requests received, oldest first.
func (c *controls) requestsRecorded() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Request, len(c.requests))
	for i, r := range c.requests {
		out[i] = r.clone()
	}
	return out
}

// requestsTo returns a copy of the requests received on path.
func (c *controls) requestsTo(path string) []Request {
	var out []Request
	for _, r := range c.requestsRecorded() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// intercept records r (keeping the last maxRecorded requests) and, when a
// failure is queued for its path, replies with it and reports true: a
// body that is valid JSON is sent as application/json, anything else as
// text/plain.
func (c *controls) intercept(w http.ResponseWriter, r *http.Request) (rec Request, failed bool) {
	rec = record(r)
	c.mu.Lock()
	if len(c.requests) >= maxRecorded {
		c.requests = slices.Delete(c.requests, 0, len(c.requests)-maxRecorded+1)
	}
	c.requests = append(c.requests, rec)
	var fail *failure
	if q := c.failures[r.URL.Path]; len(q) > 0 {
		fail = &q[0]
		c.failures[r.URL.Path] = q[1:]
	}
	c.mu.Unlock()
	if fail == nil {
		return rec, false
	}
	if json.Valid([]byte(fail.body)) {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(fail.status)
	io.WriteString(w, fail.body)
	return rec, true
}
