package main

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/socialauth/socialauth/pipeline"
	"github.com/socialauth/socialauth/store"
)

// outboxSize is how many validation mails the outbox keeps.
const outboxSize = 50

// sentMail is a validation mail the demo "sent".
type sentMail struct {
	To      string
	Backend string
	At      time.Time
	Link    string
}

// outbox keeps the last outboxSize validation mails in memory, in place
// of a mail server: the demo has none, and needs no configuration.
type outbox struct {
	mu    sync.Mutex
	mails []sentMail // oldest first
	now   func() time.Time
	log   *slog.Logger
}

func newOutbox(now func() time.Time, log *slog.Logger) *outbox {
	return &outbox{now: now, log: log}
}

// send is the engine's validation sender (EMAIL_VALIDATION_FUNCTION): it
// files the mail in the outbox and logs it.
func (o *outbox) send(ctx context.Context, s *pipeline.State, code *store.Code, link string) error {
	m := sentMail{To: code.Email, At: o.now(), Link: link}
	if s != nil && s.Backend != nil {
		m.Backend = s.Backend.Name()
	}
	o.mu.Lock()
	o.mails = append(o.mails, m)
	if extra := len(o.mails) - outboxSize; extra > 0 {
		o.mails = slices.Delete(o.mails, 0, extra)
	}
	o.mu.Unlock()
	o.log.InfoContext(ctx, "demo: validation mail filed in the outbox", "to", m.To, "backend", m.Backend, "link", link)
	return nil
}

// newestFirst returns a copy of the kept mails, the latest first.
func (o *outbox) newestFirst() []sentMail {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := slices.Clone(o.mails)
	slices.Reverse(out)
	return out
}

// Routes of the demo's own email pages.
const (
	// emailFormPath serves the email sign-in form (the email backend's
	// FORM_URL); its errors come back to it (LOGIN_ERROR_URL).
	emailFormPath = "/signin/email"
	// emailSentPath says where the validation link went
	// (EMAIL_VALIDATION_URL).
	emailSentPath = "/signin/email/sent"
	outboxPath    = "/outbox"
)

type emailFormPage struct {
	Message   string
	OutboxURL string
}

// emailForm serves the sign-in form of the email backend. It posts the
// address and the password to /complete/email/.
func (d *demo) emailForm(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, "email.html", emailFormPage{Message: r.URL.Query().Get("message"), OutboxURL: outboxPath})
}

type emailSentPage struct {
	Email     string
	OutboxURL string
}

// emailSent tells the person that a validation link is on its way. The
// address comes from the session, where pipeline.MailValidation put it.
func (d *demo) emailSent(w http.ResponseWriter, r *http.Request) {
	page := emailSentPage{OutboxURL: outboxPath}
	if sess, err := d.auth.Sessions().Load(r.Context(), r); err == nil {
		page.Email, _ = sess.Get(pipeline.SessionEmailValidationAddress)
	}
	d.render(w, r, "sent.html", page)
}

type outboxPage struct {
	Mails []sentMail
	Size  int
}

// showOutbox lists the validation mails, newest first.
func (d *demo) showOutbox(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, "outbox.html", outboxPage{Mails: d.outbox.newestFirst(), Size: outboxSize})
}

// render executes one of the demo's page templates.
func (d *demo) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := d.pages.ExecuteTemplate(w, name, data); err != nil {
		d.log.ErrorContext(r.Context(), "demo: rendering "+name, "err", err)
	}
}
