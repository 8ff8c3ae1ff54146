package form

// builtinPageHTML is the html/template of the form served when neither
// FORM_URL nor FORM_HTML is set. It needs no JavaScript, no external
// resource and no framing.
const builtinPageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in</title>
<style>
:root{color-scheme:light dark;--bg:#f4f6fb;--card:#fff;--text:#1b2130;--muted:#5a6275;--line:#d5d9e4;--accent:#2f54eb;--accent-text:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#12151c;--card:#1b2029;--text:#e8ebf2;--muted:#a3abbd;--line:#343b4a;--accent:#7b96ff;--accent-text:#0d1020}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;padding:1rem}
main{width:100%;max-width:24rem;background:var(--card);border:1px solid var(--line);border-radius:16px;padding:2rem;box-shadow:0 8px 30px rgba(15,25,60,.08)}
h1{font-size:1.4rem;margin:0 0 .25rem}
p{margin:0 0 1.5rem;color:var(--muted)}
label{display:block;font-weight:600;margin:0 0 .35rem}
input{display:block;width:100%;font:inherit;padding:.65rem .8rem;border:1px solid var(--line);border-radius:10px;background:var(--card);color:var(--text);margin:0 0 1.1rem}
input:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button{width:100%;font:inherit;font-weight:600;padding:.7rem 1rem;border:0;border-radius:10px;background:var(--accent);color:var(--accent-text);cursor:pointer}
button:hover{filter:brightness(1.08)}
</style>
</head>
<body>
<main>
<h1 id="title">Sign in</h1>
{{if eq .Field "email"}}<p>Enter your email address to sign in or create an account.</p>
{{else}}<p>Enter your username to sign in or create an account.</p>
{{end}}<form method="post" action="{{.Action}}" aria-labelledby="title">
{{if eq .Field "email"}}<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" inputmode="email" maxlength="254" required autofocus>
{{else}}<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="150" required autofocus>
{{end}}{{if .Password}}<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
{{end}}<button type="submit">Continue</button>
</form>
</main>
</body>
</html>
`
