package rewrite

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/router"
)

// Frontend is the compiled rewrite policy of an http frontend: what
// happens to a request it matched besides going to its cluster. It is
// immutable; the routing table's route holds it. A frontend with no such
// setting has none (nil), so its requests pay nothing for the feature.
type Frontend struct {
	// Redirect answers every request with a redirection; nil: forward.
	Redirect *Redirect
	// Host and Path rewrite the Host and the path sent to the backend
	// (nil: kept).
	Host, Path *Template
	// Request and Response edit the header fields (nil: none).
	Request, Response *Edits

	// How the template variables' captures are found (see Fill).
	needHost, needPath bool
	hostRe             *regexp.Regexp // a regex hostname's pattern
	wildSuffix         int            // a wildcard's ".suffix" length
	pathRe             *regexp.Regexp // a regex path rule
	prefix             int            // a prefix path rule's length (-1: not a prefix rule)
}

// Redirect is a compiled redirect policy.
type Redirect struct {
	Status int    // 301, 302, 307 or 308
	Scheme string // "http", "https", or "" for the request's
	port   []byte // ":PORT", or nil
	// Location is the template of the whole Location, or nil.
	Location *Template
}

// Error is a setting that does not compile; Field names it as the
// order does ("frontend.rewrite_path").
type Error struct {
	Field string
	Err   error
}

func (e *Error) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Compile compiles the rewrite settings of f, which has passed
// f.Validate: its templates are parsed and checked against its hostname
// and path rule (a capture it does not have is refused), its header edits
// compiled. It returns nil, nil for a frontend without such settings.
// Header edit names are not checked here: the exchange's header table
// decides which fields may be edited (exchange.CheckEdits).
func Compile(f order.HTTPFrontend) (*Frontend, error) {
	if f.Redirect == nil && f.RewriteHost == "" && f.RewritePath == "" && len(f.Headers) == 0 {
		return nil, nil
	}
	p := &Frontend{prefix: -1}
	var err error
	var templates []*Template
	if f.RewriteHost != "" {
		if p.Host, err = ParseHost(f.RewriteHost); err != nil {
			return nil, &Error{"frontend.rewrite_host", err}
		}
		templates = append(templates, p.Host)
	}
	if f.RewritePath != "" {
		if p.Path, err = ParsePath(f.RewritePath); err != nil {
			return nil, &Error{"frontend.rewrite_path", err}
		}
		templates = append(templates, p.Path)
	}
	if r := f.Redirect; r != nil {
		p.Redirect = &Redirect{Status: r.Status, Scheme: r.Scheme}
		if p.Redirect.Status == 0 {
			p.Redirect.Status = 301
		}
		if r.Port != 0 {
			p.Redirect.port = []byte(":" + strconv.Itoa(r.Port))
		}
		if r.Location != "" {
			if p.Redirect.Location, err = ParseLocation(r.Location); err != nil {
				return nil, &Error{"frontend.redirect.location", err}
			}
			templates = append(templates, p.Redirect.Location)
		}
	}
	p.Request = CompileEdits(f.Headers, order.EditRequest)
	p.Response = CompileEdits(f.Headers, order.EditResponse)
	if err := p.captures(f, templates); err != nil {
		return nil, err
	}
	return p, nil
}

// captures prepares the capture finding the templates need, refusing a
// capture number the hostname or path rule does not have.
func (p *Frontend) captures(f order.HTTPFrontend, ts []*Template) error {
	maxHost, maxPath := 0, 0
	for _, t := range ts {
		maxHost, maxPath = max(maxHost, t.maxHost), max(maxPath, t.maxPath)
	}
	field := func(t *Template) string {
		switch t {
		case p.Host:
			return "frontend.rewrite_host"
		case p.Path:
			return "frontend.rewrite_path"
		}
		return "frontend.redirect.location"
	}
	if maxHost > 0 {
		re, err := router.HostPattern(f.Hostname)
		if err != nil {
			return &Error{"frontend.hostname", err}
		}
		have := 0
		switch {
		case re != nil:
			p.hostRe, have = re, re.NumSubexp()
		case len(f.Hostname) > 2 && f.Hostname[:2] == "*.":
			p.wildSuffix, have = len(f.Hostname)-1, 1
			if f.Hostname[len(f.Hostname)-1] == '.' {
				p.wildSuffix--
			}
		}
		for _, t := range ts {
			if t.maxHost > have {
				return &Error{field(t), fmt.Errorf("$HOST[%d]: hostname %q has %d capture(s)", t.maxHost, f.Hostname, have)}
			}
		}
		p.needHost = true
	}
	if maxPath > 0 {
		have := 0
		switch f.PathType {
		case order.Regex:
			re, err := regexp.Compile("^(?:" + f.Path + ")$")
			if err != nil {
				return &Error{"frontend.path", err}
			}
			p.pathRe, have = re, re.NumSubexp()
		case order.Equals:
		default:
			p.prefix, have = len(f.Path), 1
		}
		for _, t := range ts {
			if t.maxPath > have {
				return &Error{field(t), fmt.Errorf("$PATH[%d]: the %s path rule %q has %d capture(s)", t.maxPath, pathType(f.PathType), f.Path, have)}
			}
		}
		p.needPath = true
	}
	return nil
}

func pathType(t order.PathType) order.PathType {
	if t == "" {
		return order.Prefix
	}
	return t
}

// Fill sets v for a request this frontend matched: host is the request
// host (any case, with or without port), path its path, query its query
// without '?'. Finding a regex's captures allocates (Go's regexp returns a
// new slice); a wildcard's or a prefix's does not.
func (p *Frontend) Fill(v *Vars, host, path, query []byte) {
	v.Host = normalizeHost(v.hostBuf[:0], host)
	v.Path, v.Query = path, query
	v.HostCaps, v.PathCaps = nil, nil
	if p.needHost {
		switch {
		case p.hostRe != nil:
			v.HostCaps = p.hostRe.FindSubmatchIndex(v.Host)
		case p.wildSuffix > 0 && len(v.Host) > p.wildSuffix:
			v.caps[0], v.caps[1], v.caps[2], v.caps[3] = 0, len(v.Host), 0, len(v.Host)-p.wildSuffix
			v.HostCaps = v.caps[:4]
		}
	}
	if p.needPath {
		switch {
		case p.pathRe != nil:
			v.PathCaps = p.pathRe.FindSubmatchIndex(path)
		case p.prefix >= 0 && len(path) >= p.prefix:
			v.caps[4], v.caps[5], v.caps[6], v.caps[7] = 0, len(path), p.prefix, len(path)
			v.PathCaps = v.caps[4:8]
		}
	}
}

// normalizeHost appends host lowercased, without its port or one trailing
// dot (an IPv6 literal keeps its brackets).
func normalizeHost(dst, host []byte) []byte {
	end := len(host)
	if len(host) > 0 && host[0] == '[' {
		for i, c := range host {
			if c == ']' {
				end = i + 1
				break
			}
		}
	} else {
		for i, c := range host {
			if c == ':' {
				end = i
				break
			}
		}
	}
	if end > 0 && host[end-1] == '.' {
		end--
	}
	if end > cap(dst) {
		end = cap(dst)
	}
	for _, c := range host[:end] {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// AppendHost appends the Host sent to the backend: the rewritten one, or
// nil when the template renders nothing (the caller keeps the request's).
func (p *Frontend) AppendHost(dst []byte, v *Vars) []byte {
	return p.Host.Append(dst, v)
}

// AppendPath appends the path sent to the backend, rewritten: always
// starting with '/'.
func (p *Frontend) AppendPath(dst []byte, v *Vars) []byte {
	start := len(dst)
	dst = p.Path.Append(dst, v)
	if len(dst) == start || dst[start] != '/' {
		dst = append(dst, 0)
		copy(dst[start+1:], dst[start:])
		dst[start] = '/'
	}
	return dst
}

// AppendLocation appends the Location of the frontend's redirect for a
// request with the variables v, on a listener of scheme ("http" or
// "https"); port is the request's ":port" (from its Host), or nil.
func (p *Frontend) AppendLocation(dst []byte, v *Vars, scheme string, port []byte) []byte {
	r := p.Redirect
	if r.Location != nil {
		return r.Location.Append(dst, v)
	}
	to := r.Scheme
	if to == "" {
		to = scheme
	}
	dst = append(dst, to...)
	dst = append(dst, "://"...)
	start := len(dst)
	if p.Host != nil {
		dst = p.Host.Append(dst, v)
	}
	if len(dst) == start {
		dst = append(dst, v.Host...)
	}
	switch {
	case r.port != nil:
		if !(to == "https" && string(r.port) == ":443" || to == "http" && string(r.port) == ":80") {
			dst = append(dst, r.port...)
		}
	case to == scheme:
		dst = append(dst, port...)
	}
	if p.Path != nil {
		dst = p.AppendPath(dst, v)
	} else {
		dst = append(dst, v.Path...)
	}
	if len(v.Query) > 0 {
		dst = append(dst, '?')
		dst = append(dst, v.Query...)
	}
	return dst
}
