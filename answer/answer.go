// Package answer renders the responses the proxy writes itself: 400 for a
// malformed request, 404 when no frontend matches, 503 when a cluster has no
// usable backend, and the rest of SPEC §6.
//
// Each default answer is a short HTML page naming the status and the request
// id. A listener or a cluster can replace any of them (see [Compile]); a
// cluster's answer wins over its listener's, which wins over the default.
//
// An answer is rendered into a protocol-neutral [Answer] (status, fields,
// body), which each protocol front writes in its own framing, as it does a
// backend's response. Rendering writes into caller-owned buffers and
// allocates nothing.
package answer

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// Placeholder is replaced by the request id in answer templates.
const Placeholder = "%REQUEST_ID"

// Set is an immutable set of answer templates by status code.
type Set struct {
	byStatus map[int]*template
}

// template is an answer split around its request-id placeholders.
type template struct {
	status int
	reason []byte
	fields []h1.Header // without Content-Length, Connection or Transfer-Encoding
	body   [][]byte    // body pieces; the request id goes between them
}

// Answer is a rendered answer: what a front writes, in its protocol, as the
// response to one request. Its slices alias the template and the buffer
// given to Render; the front adds the framing (the body's length) itself.
type Answer struct {
	Status int
	Reason []byte
	// Fields are the answer's own fields (Content-Type, Cache-Control, or
	// a replacement's), never framing or hop-by-hop ones.
	Fields []h1.Header
	Body   []byte
}

// Compile builds a set from status code → answer. An answer that starts
// with "HTTP/1." is a complete response: its status line and headers are
// kept, except Content-Length, Connection and Transfer-Encoding, which the
// proxy sets. Any other answer is an HTML body served with the default
// head.
func Compile(answers map[string]string) (*Set, error) {
	if len(answers) == 0 {
		return nil, nil
	}
	s := &Set{byStatus: map[int]*template{}}
	for code, text := range answers {
		n, err := strconv.Atoi(code)
		if err != nil || n < 100 || n > 599 {
			return nil, fmt.Errorf("answer %q: not a status code", code)
		}
		t, err := parse(n, text)
		if err != nil {
			return nil, fmt.Errorf("answer %s: %w", code, err)
		}
		s.byStatus[n] = t
	}
	return s, nil
}

func parse(status int, text string) (*template, error) {
	if !strings.HasPrefix(text, "HTTP/1.") {
		return defaultTemplate(status, text), nil
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	headText, body, ok := strings.Cut(text, "\n\n")
	if !ok {
		return nil, fmt.Errorf("a complete response needs an empty line after its headers")
	}
	lines := strings.Split(headText, "\n")
	if len(lines[0]) < 12 || lines[0][8] != ' ' {
		return nil, fmt.Errorf("bad status line %q", lines[0])
	}
	t := &template{status: status, reason: []byte(strings.TrimSpace(lines[0][12:]))}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		value = strings.Trim(value, " \t")
		if !ok || !h1.ValidFieldName([]byte(name)) || !h1.ValidFieldValue([]byte(value)) {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		k := h1.ClassifyHeader([]byte(name))
		if k == h1.HeaderContentLength || k.HopByHop() {
			continue
		}
		t.fields = append(t.fields, h1.Header{Name: []byte(name), Value: []byte(value), Kind: k})
	}
	t.body = split(body)
	return t, nil
}

func defaultTemplate(status int, body string) *template {
	return &template{status: status, reason: []byte(http.StatusText(status)),
		fields: []h1.Header{
			{Name: []byte("Content-Type"), Value: []byte("text/html; charset=utf-8")},
			{Name: []byte("Cache-Control"), Value: []byte("no-cache")},
		},
		body: split(body)}
}

func split(body string) [][]byte {
	var pieces [][]byte
	for _, p := range strings.Split(body, Placeholder) {
		pieces = append(pieces, []byte(p))
	}
	return pieces
}

func defaultBody(status int) string {
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head><body><h1>" + title +
		"</h1><p>" + reasons[status] + "</p><p>Request id: " + Placeholder + "</p><hr><p>sluice</p></body></html>\n"
}

var reasons = map[int]string{
	301: "This resource has moved permanently.",
	302: "This resource has moved.",
	307: "This resource has moved.",
	308: "This resource has moved permanently.",
	400: "The request could not be understood.",
	401: "Authentication is required.",
	403: "Access to this resource is denied.",
	404: "No service is configured for this address.",
	408: "The request was not received in time.",
	413: "The request is too large.",
	414: "The request URI is too long.",
	421: "This connection cannot serve this host.",
	429: "Too many requests.",
	431: "The request headers are too large.",
	501: "This method is not supported.",
	502: "The service answered with an invalid response.",
	503: "The service is unavailable.",
	504: "The service did not answer in time.",
	505: "This HTTP version is not supported.",
}

var defaults = func() map[int]*template {
	m := map[int]*template{}
	for status := range reasons {
		m[status] = defaultTemplate(status, defaultBody(status))
	}
	return m
}()

// other is the template of a status without a default page.
var other = defaultTemplate(0, "")

func (s *Set) lookup(status int) *template {
	if s == nil {
		return nil
	}
	return s.byStatus[status]
}

// Render fills a with the answer for status: the cluster's template if it
// has one, else the listener's, else the default. id is the request id,
// which replaces every placeholder; the body is written into buf, whose
// extended form is returned (a.Body aliases it).
func Render(a *Answer, buf []byte, status int, id []byte, cluster, listener *Set) []byte {
	t := cluster.lookup(status)
	if t == nil {
		t = listener.lookup(status)
	}
	if t == nil {
		t = defaults[status]
	}
	reason := []byte(nil)
	if t == nil {
		t = other
		reason = []byte(http.StatusText(status))
	} else {
		reason = t.reason
	}
	start := len(buf)
	for i, p := range t.body {
		if i > 0 {
			buf = append(buf, id...)
		}
		buf = append(buf, p...)
	}
	*a = Answer{Status: status, Reason: reason, Fields: t.fields, Body: buf[start:]}
	return buf
}
