package exchange

import (
	"strconv"

	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/rewrite"
)

// The configured rewrites of an exchange (issue 16): the frontend's
// redirect Location, host and path rewrites, the header edits of the
// frontend and its cluster, X-Real-IP and the request id's name. A request
// whose frontend, cluster and listener configure none of them takes none
// of these paths: each is behind one test of a field the decision or the
// listener's settings already hold.

// rewriting is the state of an exchange that rewrites: allocated the first
// time an exchange needs it, then kept for its next requests.
type rewriting struct {
	vars   rewrite.Vars
	host   []byte // the rewritten Host, or nil
	target []byte // the rewritten target, or nil
}

var (
	nameXRealIP         = []byte("X-Real-IP")
	nameXForwardedHost  = []byte("X-Forwarded-Host")
	lowerXRealIP        = "x-real-ip"
	lowerXForwardedHost = "x-forwarded-host"
)

// prepareRewrites computes the Host and target sent to the backend (kept
// in x.rw) when the decision's frontend rewrites them, and whether the
// request's and response's fields are edited (a basic auth that does not
// forward Authorization counts as a request edit). Serve calls it once the
// request is decided, has passed its guards and goes to a backend.
func (x *Exchange) prepareRewrites() {
	d, set := &x.dec, x.Set
	rw := d.Rewrite
	x.reqEdits = set.XRealIP || set.RequestIDName != nil || x.pol.stripAuth ||
		rw != nil && (rw.Request != nil || rw.Host != nil) || d.Settings != nil && d.Settings.Request != nil
	x.respEdits = set.RequestIDName != nil || rw != nil && rw.Response != nil ||
		d.Settings != nil && d.Settings.Response != nil
	x.upHost, x.upTarget = nil, nil
	x.hostRewritten = false
	if rw == nil || rw.Host == nil && rw.Path == nil || string(x.Req.Target) == "*" {
		return
	}
	if x.rw == nil {
		x.rw = new(rewriting)
	}
	r, req := x.rw, &x.Req
	q := req.Query()
	rw.Fill(&r.vars, req.Host, req.Path, q)
	if rw.Path != nil {
		r.target = rw.AppendPath(r.target[:0], &r.vars)
		if len(q) > 0 {
			r.target = append(append(r.target, '?'), q...)
		}
		x.upTarget = r.target
	}
	if rw.Host != nil {
		if h := rw.AppendHost(r.host[:0], &r.vars); len(h) > 0 {
			r.host = h
			x.upHost, x.hostRewritten = h, true
		}
	}
}

// upstream returns the Host and target sent to the backend: the
// request's, or the frontend's rewrites.
func (x *Exchange) upstream() (host, target []byte) {
	host, target = x.Req.Host, x.Req.Target
	if x.upHost != nil {
		host = x.upHost
	}
	if x.upTarget != nil {
		target = x.upTarget
	}
	return host, target
}

// dropRequestField reports whether the client's field f, which the header
// table forwards, is removed by a configured edit or by a basic auth that
// does not forward Authorization (x.reqEdits is set).
func (x *Exchange) dropRequestField(f *h1.Header) bool {
	set := x.Set
	switch {
	case set.RequestIDName != nil && len(f.Name) == len(set.RequestIDLower) && h1.EqualFold(f.Name, string(set.RequestIDLower)):
		return true
	case set.XRealIP && hasName(f, lowerXRealIP):
		return true
	case x.hostRewritten && hasName(f, lowerXForwardedHost):
		return true
	case x.pol.stripAuth && hasName(f, "authorization"):
		return true
	}
	if rw := x.dec.Rewrite; rw != nil && rw.Request.Drops(f.Name) {
		return true
	}
	return x.dec.Settings != nil && x.dec.Settings.Request.Drops(f.Name)
}

// dropResponseField is dropRequestField for a backend's response field.
func (x *Exchange) dropResponseField(name []byte) bool {
	if set := x.Set; set.RequestIDName != nil && len(name) == len(set.RequestIDLower) && h1.EqualFold(name, string(set.RequestIDLower)) {
		return true
	}
	if rw := x.dec.Rewrite; rw != nil && rw.Response.Drops(name) {
		return true
	}
	return x.dec.Settings != nil && x.dec.Settings.Response.Drops(name)
}

func hasName(f *h1.Header, lower string) bool {
	return h1.EqualFold(f.Name, lower)
}

// appendRequestEdits writes the request fields the configuration adds:
// X-Forwarded-Host after a host rewrite, X-Real-IP, the edits' fields.
func (x *Exchange) appendRequestEdits(out []byte) []byte {
	if x.hostRewritten {
		out = appendField(out, nameXForwardedHost, x.Req.Host)
	}
	if x.Set.XRealIP {
		out = append(out, nameXRealIP...)
		out = append(out, ": "...)
		out = x.appendClientIP(out)
		out = append(out, "\r\n"...)
	}
	var rw *rewrite.Edits
	if x.dec.Rewrite != nil {
		rw = x.dec.Rewrite.Request
	}
	var cs *rewrite.Edits
	if x.dec.Settings != nil {
		cs = x.dec.Settings.Request
	}
	for _, f := range cs.Fields() {
		if !rw.Drops(f.Name) {
			out = appendField(out, f.Name, f.Value)
		}
	}
	for _, f := range rw.Fields() {
		out = appendField(out, f.Name, f.Value)
	}
	return out
}

// appendResponseEdits appends the response fields the configured edits
// add.
func (x *Exchange) appendResponseEdits(fs []h1.Header) []h1.Header {
	var rw, cs *rewrite.Edits
	if x.dec.Rewrite != nil {
		rw = x.dec.Rewrite.Response
	}
	if x.dec.Settings != nil {
		cs = x.dec.Settings.Response
	}
	for _, f := range cs.Fields() {
		if !rw.Drops(f.Name) {
			fs = append(fs, f)
		}
	}
	return append(fs, rw.Fields()...)
}

// requestIDName is the name of the request id field.
func (x *Exchange) requestIDName() []byte {
	if n := x.Set.RequestIDName; n != nil {
		return n
	}
	return nameRequestID
}

// appendLocation writes the Location of the redirect decided: the
// frontend's, or the https redirect of its cluster (https://, the
// request's host without its port, the cluster's https_redirect_port
// unless it is 443, the target).
func (x *Exchange) appendLocation(loc []byte) []byte {
	host, port := splitPort(x.Req.Host)
	if rw := x.dec.Rewrite; rw != nil && rw.Redirect != nil {
		if x.rw == nil {
			x.rw = new(rewriting)
		}
		rw.Fill(&x.rw.vars, x.Req.Host, x.Req.Path, x.Req.Query())
		return rw.AppendLocation(loc, &x.rw.vars, x.Set.Proto, port)
	}
	loc = append(loc, "https://"...)
	loc = append(loc, host...)
	if cs := x.dec.Settings; cs != nil && cs.HTTPSRedirectPort != 0 && cs.HTTPSRedirectPort != 443 {
		loc = strconv.AppendInt(append(loc, ':'), int64(cs.HTTPSRedirectPort), 10)
	}
	if string(x.Req.Target) == "*" {
		return append(loc, '/')
	}
	return append(loc, x.Req.Target...)
}

// splitPort splits an authority into its host and ":port" (nil when it
// has none); an IPv6 literal keeps its brackets.
func splitPort(host []byte) (h, port []byte) {
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			return host[:i], host[i:]
		}
		if host[i] == ']' {
			break
		}
	}
	return host, nil
}
