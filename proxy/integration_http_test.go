package proxy_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestKeepAliveBothSides checks that a client's sequential requests share
// one connection to the proxy, and that the proxy reuses pooled connections
// to the backend instead of opening one per request.
func TestKeepAliveBothSides(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)

	var dials atomic.Int64
	tr := &http.Transport{DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}

	const n = 50
	for i := range n {
		req := h.request("GET", "app.test", fmt.Sprintf("/r%d", i), nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantStatus(t, resp, string(body), 200)
		if want := fmt.Sprintf("app /r%d", i); string(body) != want {
			t.Fatalf("body %q, want %q", body, want)
		}
	}
	if d := dials.Load(); d != 1 {
		t.Errorf("client opened %d connections for %d sequential requests, want 1", d, n)
	}
	if c := o.Opened.Load(); c > 3 {
		t.Errorf("origin saw %d connections for %d requests: backend connections are not pooled", c, n)
	}
	if r := o.Requests.Load(); r != n {
		t.Errorf("origin saw %d requests, want %d", r, n)
	}

	// Concurrent clients: still far fewer backend connections than requests.
	before := o.Opened.Load()
	errs := make(chan error, 4)
	for w := range 4 {
		go func() {
			var err error
			for i := range 25 {
				resp, e := h.HC.Do(h.request("GET", "app.test", fmt.Sprintf("/w%d/%d", w, i), nil))
				if e != nil {
					err = e
					break
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
					break
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if c := o.Opened.Load() - before; c > 20 {
		t.Errorf("origin saw %d new connections for 100 concurrent-client requests", c)
	}
}

// TestPipelining writes three requests in one write and reads three
// responses, in order, on the same connection.
func TestPipelining(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	var all strings.Builder
	for _, p := range []string{"/one", "/two", "/three"} {
		fmt.Fprintf(&all, "GET %s HTTP/1.1\r\nHost: app.test\r\n\r\n", p)
	}
	c.write(all.String())
	for _, p := range []string{"/one", "/two", "/three"} {
		resp, body := c.read("GET")
		wantStatus(t, resp, body, 200)
		if body != "app "+p {
			t.Errorf("pipelined response %q, want %q", body, "app "+p)
		}
	}
	// Pipelined requests with bodies, and a last one asking to close.
	c.write("POST /a HTTP/1.1\r\nHost: app.test\r\nContent-Length: 3\r\n\r\nabc" +
		"POST /b HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n" +
		"GET /c HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
	for _, p := range []string{"/a", "/b", "/c"} {
		resp, body := c.read("GET")
		wantStatus(t, resp, body, 200)
		if body != "app "+p {
			t.Errorf("pipelined response %q, want %q", body, "app "+p)
		}
	}
	c.expectClosed(ioTimeout)
}

// TestExpectContinue sends a head with Expect: 100-continue, waits for the
// interim 100 the origin sends when it reads the body, then sends the body.
func TestExpectContinue(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "got %q", b)
	})
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
	line, err := c.BR.ReadString('\n')
	if err != nil {
		t.Fatalf("waiting for 100 Continue: %v", err)
	}
	if !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("first line %q, want an HTTP/1.1 100 interim response", line)
	}
	if _, err := readHead(c.BR); err != nil { // rest of the interim head
		t.Fatal(err)
	}
	c.write("hello world")
	resp, body := c.read("POST")
	wantStatus(t, resp, body, 200)
	if body != `got "hello world"` {
		t.Errorf("body %q", body)
	}
	// The connection is still usable.
	c.write("GET /after HTTP/1.1\r\nHost: app.test\r\n\r\n")
	resp, body = c.read("GET")
	wantStatus(t, resp, body, 200)
}

// TestNoBodyResponses checks that HEAD, 204 and 304 responses carry no
// body and leave the connection usable for the next request.
func TestNoBodyResponses(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
		case "/304":
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(304)
		default:
			w.Header().Set("Content-Length", "11")
			io.WriteString(w, "hello world")
		}
	})
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	for _, tc := range []struct{ method, path string }{
		{"HEAD", "/"}, {"GET", "/204"}, {"GET", "/304"}, {"HEAD", "/204"},
	} {
		c.write(fmt.Sprintf("%s %s HTTP/1.1\r\nHost: app.test\r\n\r\n", tc.method, tc.path))
		resp, body := c.read(tc.method)
		if body != "" {
			t.Errorf("%s %s: body %q", tc.method, tc.path, body)
		}
		if tc.method == "HEAD" && tc.path == "/" {
			wantStatus(t, resp, body, 200)
			if resp.ContentLength != 11 {
				t.Errorf("HEAD lost the Content-Length: %d", resp.ContentLength)
			}
		}
		// The next request on the same connection must parse cleanly: a
		// stray body would show up as garbage before its status line.
		c.write("GET /next HTTP/1.1\r\nHost: app.test\r\n\r\n")
		resp, body = c.read("GET")
		wantStatus(t, resp, body, 200)
		if body != "hello world" {
			t.Errorf("after %s %s: body %q", tc.method, tc.path, body)
		}
	}
}

// TestHTTP10Client checks that an HTTP/1.0 client gets its response and
// the connection closes, unless it asked for keep-alive.
func TestHTTP10Client(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", nil)
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("GET /old HTTP/1.0\r\nHost: app.test\r\n\r\n")
	resp, body := c.read("GET")
	wantStatus(t, resp, body, 200)
	if body != "app /old" {
		t.Errorf("body %q", body)
	}
	c.expectClosed(ioTimeout)

	c = dialRaw(t, h.Addr)
	for i := range 3 {
		c.write(fmt.Sprintf("GET /ka%d HTTP/1.0\r\nHost: app.test\r\nConnection: keep-alive\r\n\r\n", i))
		resp, body = c.read("GET")
		wantStatus(t, resp, body, 200)
		if body != fmt.Sprintf("app /ka%d", i) {
			t.Errorf("body %q", body)
		}
		if !strings.EqualFold(resp.Header.Get("Connection"), "keep-alive") {
			t.Errorf("keep-alive HTTP/1.0 response has Connection %q", resp.Header.Get("Connection"))
		}
	}
	c.write("GET /last HTTP/1.0\r\nHost: app.test\r\n\r\n")
	resp, body = c.read("GET")
	wantStatus(t, resp, body, 200)
	c.expectClosed(ioTimeout)

	// HTTP/1.0 without a Host is routed by the catch-all only.
	c = dialRaw(t, h.Addr)
	c.write("GET / HTTP/1.0\r\n\r\n")
	resp, body = c.read("GET")
	wantStatus(t, resp, body, 404)
	c.expectClosed(ioTimeout)
}

// TestHeadWithStreamedBody is a regression test: a HEAD request whose body
// arrives after its head, and is read by the origin before it answers. The
// body upload reuses the buffer holding the request head, so the proxy must
// remember that the request was a HEAD (else it waits for a body the HEAD
// response never has).
func TestHeadWithStreamedBody(t *testing.T) {
	h := startProxy(t, nil)
	entered := make(chan struct{}, 1)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Length", "11")
		w.Header().Set("X-Body", string(b))
		io.WriteString(w, "hello world")
	})
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("HEAD / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\n\r\n")
	select {
	case <-entered:
	case <-time.After(ioTimeout):
		t.Fatal("the request did not reach the origin")
	}
	c.write("ABCD")
	resp, body := c.read("HEAD")
	wantStatus(t, resp, body, 200)
	if resp.Header.Get("X-Body") != "ABCD" || body != "" {
		t.Errorf("X-Body %q, body %q", resp.Header.Get("X-Body"), body)
	}
	c.write("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
	resp, body = c.read("GET")
	wantStatus(t, resp, body, 200)
	if body != "hello world" {
		t.Errorf("GET after HEAD: body %q", body)
	}
}

// TestPipelinedAfterStreamedBody sends a request whose body arrives after
// its head together with the next request: the bytes after the body are
// served as the next request.
func TestPipelinedAfterStreamedBody(t *testing.T) {
	h := startProxy(t, nil)
	entered := make(chan struct{}, 4)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %q", r.Method, r.URL.Path, b)
	})
	h.route("app.test", o.Addr)

	for _, tc := range []struct{ head, body string }{
		{"POST /len HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\r\n", "hello"},
		{"POST /chunked HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"},
	} {
		c := dialRaw(t, h.Addr)
		c.write(tc.head)
		<-entered
		c.write(tc.body + "GET /next HTTP/1.1\r\nHost: app.test\r\n\r\n")
		resp, body := c.read("POST")
		wantStatus(t, resp, body, 200)
		if !strings.HasSuffix(body, `"hello"`) {
			t.Errorf("body %q", body)
		}
		<-entered
		resp, body = c.read("GET")
		wantStatus(t, resp, body, 200)
		if body != `GET /next ""` {
			t.Errorf("pipelined request after the body: %q", body)
		}
	}
}

// TestPooledConnectionClosedByOrigin: the origin closes idle keep-alive
// connections quickly; the proxy must not fail requests sent on them.
func TestPooledConnectionClosedByOrigin(t *testing.T) {
	h := startProxy(t, nil)
	closer := newRawOrigin(t, func(c net.Conn) {
		// Answers one request with keep-alive, then closes.
		if _, err := readHead(bufio.NewReader(c)); err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	h.route("closer.test", closer.Addr)

	for i := range 10 {
		resp, body := h.get("closer.test", "/")
		wantStatus(t, resp, body, 200)
		// Wait until the origin has closed the connection the proxy pooled.
		eventually(t, ioTimeout, "the origin to close", func() bool {
			return closer.Accepted.Load() == int64(i+1) && closer.open() == 0
		})
	}
	// POST is not replayable: the pool must not hand it a dead connection.
	for range 5 {
		resp, body := h.send(h.request("POST", "closer.test", "/", strings.NewReader("x")))
		wantStatus(t, resp, body, 200)
		eventually(t, ioTimeout, "the origin to close", func() bool { return closer.open() == 0 })
	}
}

// TestPooledConnectionWithLeftovers: an origin whose responses carry more
// bytes than their framing says (sent a moment later) leaves junk on the
// pooled connection; the next request must not be answered with it: the
// junk is no response, so a replayable request goes out again on a fresh
// connection.
func TestPooledConnectionWithLeftovers(t *testing.T) {
	h := startProxy(t, nil)
	sloppy := newRawOrigin(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			if _, err := readHead(br); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			time.Sleep(5 * time.Millisecond)
			io.WriteString(c, "JUNK AFTER THE BODY\r\n\r\n")
		}
	})
	h.route("sloppy.test", sloppy.Addr)
	for range 10 {
		resp, body := h.get("sloppy.test", "/")
		wantStatus(t, resp, body, 200)
		if body != "ok" {
			t.Fatalf("body %q", body)
		}
		time.Sleep(10 * time.Millisecond) // the junk is on the pooled connection now
	}
}
