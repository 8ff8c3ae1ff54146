package openid

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/socialauth/socialauth/oauth2"
	"html"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/socialauth/socialauth/socialerr"
)

// ErrXRI is the cause of the error for an XRI identifier ("=name",
// "@org"), which socialauth does not resolve.
var ErrXRI = errors.New("openid: XRI identifiers are not supported")

// ErrNoService is the cause of the error for an identifier whose
// discovery found no OpenID 2.0 provider.
var ErrNoService = errors.New("openid: no OpenID 2.0 service found")

// Service is one OpenID 2.0 provider endpoint found by discovery.
type Service struct {
	// Endpoint is the OP endpoint URL.
	Endpoint string
	// ClaimedID is the claimed identifier, or "" for an OP identifier
	// (the person chooses the identifier at the OP).
	ClaimedID string
	// LocalID is the OP-local identifier, or "" when it is the claimed
	// identifier.
	LocalID string
}

// opIdentifier reports whether the service was found from an OP
// identifier.
func (s Service) opIdentifier() bool { return s.ClaimedID == "" }

// identity is the openid.identity to send or expect.
func (s Service) identity() string { return cmp.Or(s.LocalID, s.ClaimedID) }

// NormalizeIdentifier turns what a person typed into an identifier URL,
// as OpenID 2.0 section 7.2 says: "http://" is added when no scheme is
// given, the fragment is removed and an empty path becomes "/". XRI
// identifiers are refused with [ErrXRI].
func NormalizeIdentifier(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("openid: empty identifier")
	}
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "xri://") || strings.ContainsRune("=@+$!(", rune(s[0])) {
		return "", ErrXRI
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("openid: identifier: %w", err)
	}
	return normalizeURL(u)
}

// normalizeURL checks an http(s) URL and returns it without fragment.
func normalizeURL(u *url.URL) (string, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("openid: %q is not an http or https URL", u.Redacted())
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("openid: %q is not a valid identifier URL", u.Redacted())
	}
	c := *u
	c.Scheme = scheme
	c.Host = strings.ToLower(c.Host)
	c.Fragment, c.RawFragment = "", ""
	if c.Path == "" {
		c.Path = "/"
	}
	return c.String(), nil
}

// stripFragment removes a claimed identifier's fragment, which the OP may
// add to recycled identifiers; the rest is what discovery verifies.
func stripFragment(id string) string {
	if i := strings.IndexByte(id, '#'); i >= 0 {
		return id[:i]
	}
	return id
}

const discoveryAccept = "application/xrds+xml, text/html;q=0.9, application/xhtml+xml;q=0.9, */*;q=0.1"

// discover finds the OpenID 2.0 services of a normalised identifier:
// Yadis (an XRDS document served as such, or named by the X-XRDS-Location
// header or an equivalent meta tag), then HTML link discovery. OP
// identifier services come first.
func (b *openidBackend) discover(ctx context.Context, identifier string) ([]Service, error) {
	r, err := b.http.get(ctx, identifier, discoveryAccept)
	if err != nil {
		return nil, err
	}
	if r.status < 200 || r.status > 299 {
		return nil, b.discoveryError(fmt.Errorf("%w: %s answered %d", ErrNoService, stripQuery(r.url), r.status))
	}
	claimed, err := normalizeURL(r.url)
	if err != nil {
		return nil, b.discoveryError(err)
	}
	mediaType := contentType(r)
	var head []htmlTag
	if mediaType != "application/xrds+xml" {
		head = scanHead(r.body)
	}
	services := b.yadis(ctx, r, mediaType, head, claimed)
	if len(services) == 0 {
		services = htmlServices(r.url, head, claimed)
	}
	if len(services) == 0 {
		return nil, b.discoveryError(fmt.Errorf("%w at %s", ErrNoService, stripQuery(r.url)))
	}
	// Assertions are verified with the OP endpoint (associations,
	// check_authentication): it must be reached over TLS.
	secure := services[:0:0]
	for _, s := range services {
		if b.allowHTTP || strings.HasPrefix(s.Endpoint, "https://") || isLoopbackEndpoint(s.Endpoint) {
			secure = append(secure, s)
		}
	}
	if len(secure) == 0 {
		return nil, b.discoveryError(fmt.Errorf("%w: the OpenID provider endpoint is not HTTPS (UNSAFE_ALLOW_HTTP_ENDPOINTS allows it)", ErrNoService))
	}
	return secure, nil
}

func isLoopbackEndpoint(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && oauth2.IsLoopbackHost(u.Hostname())
}

func (b *openidBackend) discoveryError(cause error) error {
	return socialerr.Wrap(socialerr.AuthFailed, b.name, cause, "no OpenID provider was found for this identifier")
}

func contentType(r *reply) string {
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	return strings.ToLower(mt)
}

// yadis returns the services of the XRDS document of a reply: the reply
// itself, or the one it points to. Problems with the XRDS document make
// discovery fall back to HTML.
func (b *openidBackend) yadis(ctx context.Context, r *reply, mediaType string, head []htmlTag, claimed string) []Service {
	if mediaType == "application/xrds+xml" {
		return parseXRDS(r.body, claimed)
	}
	loc := r.header.Get("X-XRDS-Location")
	if loc == "" {
		for _, t := range head {
			if t.name == "meta" && strings.EqualFold(t.attrs["http-equiv"], "X-XRDS-Location") {
				loc = t.attrs["content"]
				break
			}
		}
	}
	if loc == "" {
		return nil
	}
	target, err := r.url.Parse(strings.TrimSpace(loc))
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") {
		b.logger.WarnContext(ctx, "openid: ignored an invalid X-XRDS-Location", "location", truncate(loc, 200))
		return nil
	}
	doc, err := b.http.get(ctx, target.String(), "application/xrds+xml")
	if err != nil || doc.status < 200 || doc.status > 299 {
		b.logger.WarnContext(ctx, "openid: could not fetch the XRDS document", "error", err)
		return nil
	}
	return parseXRDS(doc.body, claimed)
}

// xrds is the part of an XRDS document OpenID uses.
type xrds struct {
	XRD []struct {
		Service []xrdsService `xml:"Service"`
	} `xml:"XRD"`
}

type xrdsService struct {
	Priority string   `xml:"priority,attr"`
	Type     []string `xml:"Type"`
	URI      []struct {
		Priority string `xml:"priority,attr"`
		Value    string `xml:",chardata"`
	} `xml:"URI"`
	LocalID []string `xml:"LocalID"`
}

// priority orders XRDS elements: a missing or malformed priority comes
// last.
func priority(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return int(^uint(0) >> 1)
	}
	return n
}

// parseXRDS returns the OpenID 2.0 services of the last XRD of a
// document, in priority order, OP identifier services first.
func parseXRDS(body []byte, claimed string) []Service {
	var doc xrds
	if err := xml.Unmarshal(body, &doc); err != nil || len(doc.XRD) == 0 {
		return nil
	}
	services := slices.Clone(doc.XRD[len(doc.XRD)-1].Service)
	slices.SortStableFunc(services, func(a, b xrdsService) int { return cmp.Compare(priority(a.Priority), priority(b.Priority)) })
	var server, signon []Service
	for _, s := range services {
		types := make([]string, len(s.Type))
		for i, t := range s.Type {
			types[i] = strings.TrimSpace(t)
		}
		isServer, isSignon := slices.Contains(types, TypeServer), slices.Contains(types, TypeSignon)
		if !isServer && !isSignon {
			continue
		}
		uris := slices.Clone(s.URI)
		slices.SortStableFunc(uris, func(a, b struct {
			Priority string `xml:"priority,attr"`
			Value    string `xml:",chardata"`
		}) int {
			return cmp.Compare(priority(a.Priority), priority(b.Priority))
		})
		var localID string
		if len(s.LocalID) > 0 {
			localID = strings.TrimSpace(s.LocalID[0])
		}
		for _, u := range uris {
			ep, ok := endpointURL(nil, u.Value)
			if !ok {
				continue
			}
			if isServer {
				server = append(server, Service{Endpoint: ep})
			} else {
				signon = append(signon, Service{Endpoint: ep, ClaimedID: claimed, LocalID: localID})
			}
		}
	}
	return append(server, signon...)
}

// htmlServices reads <link rel="openid2.provider"> and
// <link rel="openid2.local_id">.
func htmlServices(base *url.URL, head []htmlTag, claimed string) []Service {
	var provider, localID string
	for _, t := range head {
		if t.name != "link" {
			continue
		}
		for rel := range strings.FieldsSeq(strings.ToLower(t.attrs["rel"])) {
			switch rel {
			case "openid2.provider":
				if provider == "" {
					provider = t.attrs["href"]
				}
			case "openid2.local_id":
				if localID == "" {
					localID = strings.TrimSpace(t.attrs["href"])
				}
			}
		}
	}
	ep, ok := endpointURL(base, provider)
	if !ok {
		return nil
	}
	return []Service{{Endpoint: ep, ClaimedID: claimed, LocalID: localID}}
}

// endpointURL checks an OP endpoint URL: absolute (after resolving against
// base, when given), http or https.
func endpointURL(base *url.URL, raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	u.Fragment = ""
	return u.String(), true
}

// htmlTag is a start tag of an HTML document's head.
type htmlTag struct {
	name  string
	attrs map[string]string
}

// scanHead returns the <link> and <meta> tags of an HTML document, up to
// its <body> or </head>. It is a small tokenizer that understands
// comments, quoted and unquoted attribute values and character
// references, which is all that link discovery needs.
func scanHead(body []byte) []htmlTag {
	s := string(body)
	var tags []htmlTag
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return tags
		}
		s = s[i+1:]
		if strings.HasPrefix(s, "!--") {
			end := strings.Index(s[3:], "-->")
			if end < 0 {
				return tags
			}
			s = s[3+end+3:]
			continue
		}
		n := 0
		for n < len(s) && (isLetter(s[n]) || (n > 0 && s[n] >= '0' && s[n] <= '9')) {
			n++
		}
		name := strings.ToLower(s[:n])
		if name == "" {
			if strings.HasPrefix(s, "/") && strings.HasPrefix(strings.ToLower(s[1:]), "head") {
				return tags
			}
			continue
		}
		if name == "body" {
			return tags
		}
		s = s[n:]
		attrs, rest := scanAttributes(s)
		s = rest
		if name == "link" || name == "meta" {
			tags = append(tags, htmlTag{name: name, attrs: attrs})
		}
		if name == "script" || name == "style" {
			end := strings.Index(strings.ToLower(s), "</"+name)
			if end < 0 {
				return tags
			}
			s = s[end:]
		}
	}
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// scanAttributes reads attributes up to the end of a tag.
func scanAttributes(s string) (map[string]string, string) {
	attrs := map[string]string{}
	for {
		for len(s) > 0 && (isSpace(s[0]) || s[0] == '/') {
			s = s[1:]
		}
		if len(s) == 0 {
			return attrs, s
		}
		if s[0] == '>' {
			return attrs, s[1:]
		}
		n := 0
		for n < len(s) && !isSpace(s[n]) && s[n] != '=' && s[n] != '>' && s[n] != '/' {
			n++
		}
		name := strings.ToLower(s[:n])
		s = s[n:]
		for len(s) > 0 && isSpace(s[0]) {
			s = s[1:]
		}
		var value string
		if len(s) > 0 && s[0] == '=' {
			s = s[1:]
			for len(s) > 0 && isSpace(s[0]) {
				s = s[1:]
			}
			if len(s) > 0 && (s[0] == '"' || s[0] == '\'') {
				q := s[0]
				end := strings.IndexByte(s[1:], q)
				if end < 0 {
					return attrs, ""
				}
				value, s = s[1:1+end], s[2+end:]
			} else {
				m := 0
				for m < len(s) && !isSpace(s[m]) && s[m] != '>' {
					m++
				}
				value, s = s[:m], s[m:]
			}
		}
		if _, seen := attrs[name]; !seen && name != "" {
			attrs[name] = html.UnescapeString(value)
		}
	}
}
