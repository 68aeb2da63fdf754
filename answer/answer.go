// Package answer renders the responses the proxy writes itself: 400 for a
// malformed request, 404 when no frontend matches, 503 when a cluster has no
// usable backend, and the rest of SPEC §6.
//
// Each default answer is a short HTML page naming the status and the request
// id. A listener or a cluster can replace any of them (see [Compile]); a
// cluster's answer wins over its listener's, which wins over the default.
// Rendering appends to a caller-owned buffer and allocates nothing.
package answer

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
	head   []byte   // status line and headers, without Content-Length, Connection or the final CRLF
	body   [][]byte // body pieces; the request id goes between them
}

// Compile builds a set from status code → answer. An answer that starts
// with "HTTP/1." is a complete response: its status line and headers are
// kept, except Content-Length and Connection, which the proxy sets. Any other
// answer is an HTML body served with the default head.
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
		return newTemplate(status, defaultHead(status), text), nil
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
	var head bytes.Buffer
	head.WriteString(lines[0] + "\r\n")
	for _, l := range lines[1:] {
		name, _, ok := strings.Cut(l, ":")
		if !ok || strings.ContainsAny(name, " \t") || name == "" {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		switch strings.ToLower(name) {
		case "content-length", "connection", "transfer-encoding":
			continue
		}
		head.WriteString(l + "\r\n")
	}
	return newTemplate(status, head.String(), body), nil
}

func newTemplate(status int, head, body string) *template {
	t := &template{status: status, head: []byte(head)}
	for _, p := range strings.Split(body, Placeholder) {
		t.body = append(t.body, []byte(p))
	}
	return t
}

func defaultHead(status int) string {
	return fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-cache\r\n",
		status, http.StatusText(status))
}

func defaultBody(status int) string {
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head><body><h1>" + title +
		"</h1><p>" + reasons[status] + "</p><p>Request id: " + Placeholder + "</p><hr><p>sluice</p></body></html>\n"
}

var reasons = map[int]string{
	301: "This resource is served over HTTPS.",
	400: "The request could not be understood.",
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
		m[status] = newTemplate(status, defaultHead(status), defaultBody(status))
	}
	return m
}()

func (s *Set) lookup(status int) *template {
	if s == nil {
		return nil
	}
	return s.byStatus[status]
}

// Append renders the answer for status into dst: the cluster's template if
// it has one, else the listener's, else the default. id is the request id;
// extra holds complete header lines ("Name: value\r\n") to add, such as a
// Location; close adds "Connection: close"; headOnly leaves out the body (an
// answer to HEAD) but keeps its Content-Length. It returns the extended
// buffer.
func Append(dst []byte, status int, id, extra []byte, close, headOnly bool, cluster, listener *Set) []byte {
	t := cluster.lookup(status)
	if t == nil {
		t = listener.lookup(status)
	}
	if t == nil {
		t = defaults[status]
	}
	if t == nil {
		t = newTemplate(status, defaultHead(status), defaultBody(status))
	}
	n := 0
	for i, p := range t.body {
		if i > 0 {
			n += len(id)
		}
		n += len(p)
	}
	dst = append(dst, t.head...)
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, "\r\nSluice-Request-Id: "...)
	dst = append(dst, id...)
	dst = append(dst, "\r\n"...)
	dst = append(dst, extra...)
	if close {
		dst = append(dst, "Connection: close\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	if headOnly {
		return dst
	}
	for i, p := range t.body {
		if i > 0 {
			dst = append(dst, id...)
		}
		dst = append(dst, p...)
	}
	return dst
}
