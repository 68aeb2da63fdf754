package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMalformedRequests sends ambiguous or malformed heads: each gets its
// status, the connection is closed, and nothing reaches the origin.
func TestMalformedRequests(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)
	h.route("*", o.Addr)

	var manyFields strings.Builder
	for i := range 101 {
		fmt.Fprintf(&manyFields, "X-F%d: v\r\n", i)
	}
	const host = "Host: app.test\r\n"
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"CL and TE", "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400},
		{"TE and CL", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400},
		{"two different CL", "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400},
		{"CL list differing", "POST / HTTP/1.1\r\n" + host + "Content-Length: 5, 6\r\n\r\nhello!", 400},
		{"invalid CL", "POST / HTTP/1.1\r\n" + host + "Content-Length: abc\r\n\r\n", 400},
		{"negative CL", "POST / HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", 400},
		{"TE gzip", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\n\r\n", 400},
		{"TE chunked then gzip", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
		{"bare CR in header", "GET / HTTP/1.1\r\n" + host + "X-A: a\rb\r\n\r\n", 400},
		{"NUL in header", "GET / HTTP/1.1\r\n" + host + "X-A: a\x00b\r\n\r\n", 400},
		{"control char in header", "GET / HTTP/1.1\r\n" + host + "X-A: a\x01b\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\n" + host + "X-A: a\r\n  folded\r\n\r\n", 400},
		{"space before colon", "GET / HTTP/1.1\r\n" + host + "X-A : a\r\n\r\n", 400},
		{"HTTP/0.9", "GET /\r\n", 400},
		{"bad request line", "GET  / HTTP/1.1\r\n" + host + "\r\n", 400},
		{"garbage request line", "HELLO\r\n\r\n", 400},
		{"bad version", "GET / HTTP/1.x\r\n" + host + "\r\n", 400},
		{"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two Hosts", "GET / HTTP/1.1\r\n" + host + host + "\r\n", 400},
		{"CONNECT", "CONNECT app.test:443 HTTP/1.1\r\nHost: app.test:443\r\n\r\n", 501},
		{"40 KiB header", "GET / HTTP/1.1\r\n" + host + "X-Big: " + strings.Repeat("a", 40<<10) + "\r\n\r\n", 431},
		{"101 header fields", "GET / HTTP/1.1\r\n" + host + manyFields.String() + "\r\n", 431},
		{"40 KiB URI", "GET /" + strings.Repeat("u", 40<<10) + " HTTP/1.1\r\n" + host + "\r\n", 414},
		{"bad chunk size with the head", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
		{"chunk overrunning its size with the head", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, h.Addr)
			// The write may fail once the proxy has answered and closed.
			_, _ = io.WriteString(c.C, tc.req)
			resp, body := c.read("GET")
			wantStatus(t, resp, body, tc.status)
			checkAnswer(t, resp, body, tc.status)
			if !resp.Close {
				t.Errorf("answer does not say Connection: close")
			}
			c.expectClosedAfterJunk(ioTimeout)
		})
	}
	// The limits are exact: 100 fields pass.
	var fields strings.Builder
	for i := range 99 { // plus Host
		fmt.Fprintf(&fields, "X-F%d: v\r\n", i)
	}
	c := dialRaw(t, h.Addr)
	c.write("GET /fine HTTP/1.1\r\n" + host + fields.String() + "\r\n")
	resp, body := c.read("GET")
	wantStatus(t, resp, body, 200)
	if n := o.Requests.Load(); n != 1 {
		t.Errorf("%d requests reached the origin, want only the last, valid one", n)
	}
}

// expectClosedAfterJunk is expectClosed for a connection on which the
// client sent bytes the proxy did not read (a refused body): they are
// ignored, and a reset counts as a close.
func (rc *rawClient) expectClosedAfterJunk(d time.Duration) {
	rc.t.Helper()
	_ = rc.C.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, rc.BR)
	if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		rc.t.Fatalf("connection still open after %v", d)
	}
}

// TestMalformedChunkMidBody sends a good first chunk, waits until the
// origin has received it, then a bad chunk size: the backend connection is
// aborted (the origin sees its body fail) and the client connection closes.
func TestMalformedChunkMidBody(t *testing.T) {
	h := startProxy(t, nil)
	gotFirst := make(chan struct{})
	bodyErr := make(chan error, 1)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		first := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, first); err != nil {
			bodyErr <- fmt.Errorf("first chunk: %w", err)
			return
		}
		close(gotFirst)
		_, err := io.ReadAll(r.Body)
		bodyErr <- err
		if err == nil {
			io.WriteString(w, "accepted a broken body")
		}
	})
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("POST /up HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
	select {
	case <-gotFirst:
	case err := <-bodyErr:
		t.Fatal(err)
	case <-time.After(ioTimeout):
		t.Fatal("first chunk never reached the origin")
	}
	c.write("zz\r\nmore\r\n0\r\n\r\n")
	select {
	case err := <-bodyErr:
		if err == nil {
			t.Fatal("origin read the broken body to its end: the backend connection was not aborted")
		}
	case <-time.After(ioTimeout):
		t.Fatal("origin still reading: the backend connection was not aborted")
	}
	// No response had begun: the client gets 400, then the close.
	resp, err := http.ReadResponse(c.BR, nil)
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		checkAnswer(t, resp, string(body), 400)
	} else {
		t.Errorf("no 400 answer before the close: %v", err)
	}
	c.expectClosedAfterJunk(ioTimeout)
	// The aborted connection was not pooled: a new request works.
	resp2, body := h.get("app.test", "/")
	_ = resp2
	if o.Requests.Load() != 2 {
		t.Errorf("origin saw %d requests, want 2 (%q)", o.Requests.Load(), body)
	}
}
