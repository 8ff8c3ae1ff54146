package localidp

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// pageCSS is the pages' only style: inline, so the CSP can forbid the rest.
const pageCSS = `
:root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d2330;--muted:#5b6475;--line:#d5d9e0;--accent:#2f5bea;--accent-fg:#fff;--danger:#b42318;--danger-bg:#fef3f2;--focus:#2f5bea66}
@media (prefers-color-scheme:dark){:root{--bg:#12151c;--card:#1b2029;--fg:#e8ebf1;--muted:#a3abba;--line:#343b48;--accent:#7b9cff;--accent-fg:#0c1020;--danger:#ffb4ab;--danger-bg:#3a1a17;--focus:#7b9cff66}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;padding:1.5rem;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
main{width:100%;max-width:26rem;background:var(--card);border:1px solid var(--line);border-radius:14px;padding:2rem;box-shadow:0 10px 30px #0000000f}
.brand{display:flex;align-items:center;gap:.6rem;color:var(--muted);font-size:.875rem;margin:0 0 1.25rem}
.brand svg{flex:none}
h1{font-size:1.4rem;line-height:1.25;margin:0 0 .35rem}
p{margin:0 0 1rem}
.lead{color:var(--muted);font-size:.95rem}
.note{font-size:.85rem;color:var(--muted);border-left:3px solid var(--line);padding:.1rem 0 .1rem .75rem;margin:0 0 1.25rem}
.field{margin:0 0 1rem}
label{display:block;font-weight:600;font-size:.9rem;margin:0 0 .3rem}
.hint{display:block;font-weight:400;color:var(--muted);font-size:.8rem}
input[type=text],input[type=email]{width:100%;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:8px;padding:.6rem .75rem}
input[aria-invalid=true]{border-color:var(--danger)}
input:focus-visible,button:focus-visible{outline:3px solid var(--focus);outline-offset:1px}
.check{display:flex;gap:.55rem;align-items:flex-start;font-weight:400}
.check input{margin:.3rem 0 0;width:1.05rem;height:1.05rem;accent-color:var(--accent)}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;font:inherit;font-weight:600;border-radius:8px;padding:.65rem 1rem;cursor:pointer;border:1px solid var(--line);background:transparent;color:inherit}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}
button:hover{filter:brightness(1.06)}
.alert{background:var(--danger-bg);color:var(--danger);border-radius:8px;padding:.75rem 1rem;margin:0 0 1.25rem;font-size:.9rem}
.alert ul{margin:.25rem 0 0;padding-left:1.1rem}
.scopes{display:flex;flex-wrap:wrap;gap:.35rem;list-style:none;padding:0;margin:0 0 1.25rem}
.scopes li{font-size:.8rem;border:1px solid var(--line);border-radius:999px;padding:.1rem .6rem;color:var(--muted)}
code{font-size:.85em}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`

const pageTemplates = `
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.PageTitle}} · {{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<p class="brand"><svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3Zm0 2.2 6 2.2V11c0 3.9-2.5 7.6-6 8.9-3.5-1.3-6-5-6-8.9V6.4l6-2.2Z"/></svg>{{.Title}}</p>
{{end}}
{{define "foot"}}</main>
</body>
</html>
{{end}}
{{define "login"}}{{template "head" .}}
<h1>Sign in to {{.ClientName}}</h1>
<p class="lead">You will be sent back to <strong>{{.ReturnHost}}</strong>.</p>
{{if .Scopes}}<h2 class="visually-hidden">Requested access</h2>
<ul class="scopes">{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p class="note">This is a development provider: whoever you say you are is trusted. Nothing is checked and no password is needed.</p>
{{if .Problems}}<div class="alert" role="alert" id="problems"><strong>Please correct the form:</strong>
<ul>{{range .Problems}}<li><a href="#{{.Field}}">{{.Message}}</a></li>{{end}}</ul></div>{{end}}
<form method="post" action="authorize" novalidate>
<input type="hidden" name="request" value="{{.Request}}">
<input type="hidden" name="mac" value="{{.MAC}}">
<div class="field">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="{{.Form.Username}}" required maxlength="150" autocomplete="username" autocapitalize="none" spellcheck="false" autofocus{{if .Invalid.username}} aria-invalid="true" aria-describedby="problems"{{end}}>
</div>
<div class="field">
<label for="name">Display name <span class="hint">Optional; the username when empty.</span></label>
<input type="text" id="name" name="name" value="{{.Form.Name}}" maxlength="200" autocomplete="name"{{if .Invalid.name}} aria-invalid="true" aria-describedby="problems"{{end}}>
</div>
<div class="field">
<label for="email">Email <span class="hint">Optional.</span></label>
<input type="email" id="email" name="email" value="{{.Form.Email}}" maxlength="254" autocomplete="email" autocapitalize="none" spellcheck="false"{{if .Invalid.email}} aria-invalid="true" aria-describedby="problems"{{end}}>
</div>
<div class="field">
<label class="check" for="email_verified"><input type="checkbox" id="email_verified" name="email_verified" value="1"{{if .Form.Verified}} checked{{end}}>
<span>Vouch that this email is verified <span class="hint">Applications may link accounts by verified email only.</span></span></label>
</div>
<div class="actions">
<button type="submit" class="primary" name="action" value="approve">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</div>
</form>
{{template "foot" .}}{{end}}
{{define "error"}}{{template "head" .}}
<h1>This sign-in cannot continue</h1>
<p class="alert" role="alert">{{.Message}}</p>
<p class="lead">You can close this page and return to the application you came from.</p>
{{template "foot" .}}{{end}}
`

func parsePages() (*template.Template, error) {
	return template.New("pages").Parse(pageTemplates)
}

// pageData is what the templates render.
type pageData struct {
	Title, PageTitle string
	CSS              template.CSS

	// login page
	ClientName, ReturnHost string
	Scopes                 []string
	Request, MAC           string
	Form                   loginForm
	Problems               []fieldProblem
	Invalid                map[string]bool

	// error page
	Message string
}

func setPageHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data pageData) {
	data.Title = s.cfg.Title
	data.CSS = template.CSS(pageCSS)
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.cfg.Logger.Error("localidp: cannot render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setPageHeaders(w.Header())
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) renderError(w http.ResponseWriter, status int, message string) {
	s.render(w, status, "error", pageData{PageTitle: "Sign-in error", Message: message})
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, form loginForm, req AuthorizationRequest, problems []fieldProblem) {
	client, _ := s.Client(req.ClientID)
	name := client.Name
	if name == "" {
		name = req.ClientID
	}
	host := req.RedirectURI
	if u, err := url.Parse(req.RedirectURI); err == nil {
		host = u.Host
	}
	payload, mac := s.sealPending(req)
	invalid := make(map[string]bool, len(problems))
	for _, p := range problems {
		invalid[p.Field] = true
	}
	title := "Sign in"
	if len(problems) > 0 {
		title = "Error: sign in"
	}
	s.render(w, status, "login", pageData{
		PageTitle:  title,
		ClientName: name,
		ReturnHost: host,
		Scopes:     strings.Fields(req.Scope),
		Request:    payload,
		MAC:        mac,
		Form:       form,
		Problems:   problems,
		Invalid:    invalid,
	})
}
