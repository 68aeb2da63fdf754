package proxy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

const bigBody = 20 << 20

// hashOrigin answers every request with the SHA-256 and length of its body,
// and the way it was framed.
func hashOrigin(t *testing.T) *origin {
	return newOrigin(t, "hash", func(w http.ResponseWriter, r *http.Request) {
		sum, n, err := hashReader(r.Body)
		if err != nil {
			http.Error(w, "reading body: "+err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s %d %v %d", sum, n, r.TransferEncoding, r.ContentLength)
	})
}

// TestUploadContentLength streams a 20 MiB body with a Content-Length.
func TestUploadContentLength(t *testing.T) {
	h := startProxy(t, nil)
	o := hashOrigin(t)
	h.route("app.test", o.Addr)

	data := payload(bigBody)
	resp, body := h.send(h.request("PUT", "app.test", "/up", bytes.NewReader(data)))
	wantStatus(t, resp, body, 200)
	if want := fmt.Sprintf("%s %d [] %d", sha(data), len(data), len(data)); body != want {
		t.Errorf("origin got %q, want %q", body, want)
	}
	if resp.Close {
		t.Errorf("the connection is not kept alive after a complete upload")
	}
}

// TestUploadChunked streams a 20 MiB body of unknown length (chunked) from
// a pipe written while the request is in flight.
func TestUploadChunked(t *testing.T) {
	h := startProxy(t, nil)
	o := hashOrigin(t)
	h.route("app.test", o.Addr)

	data := payload(bigBody)
	pr, pw := io.Pipe()
	go func() {
		for off := 0; off < len(data); {
			n := min(len(data)-off, 100_000+off%7919)
			if _, err := pw.Write(data[off : off+n]); err != nil {
				return
			}
			off += n
		}
		pw.Close()
	}()
	req := h.request("POST", "app.test", "/up", pr)
	req.ContentLength = -1
	resp, body := h.send(req)
	wantStatus(t, resp, body, 200)
	if want := fmt.Sprintf("%s %d [chunked] -1", sha(data), len(data)); body != want {
		t.Errorf("origin got %q, want %q", body, want)
	}
	if resp.Close {
		t.Errorf("the connection is not kept alive after a complete upload")
	}
}

// TestDownloads streams 20 MiB responses framed by Content-Length, by
// chunked encoding (the origin flushes as it writes) and by the origin
// closing the connection.
func TestDownloads(t *testing.T) {
	h := startProxy(t, nil)
	data := payload(bigBody)
	o := newOrigin(t, "dl", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data)
		case "/chunked":
			f := w.(http.Flusher)
			for off := 0; off < len(data); off += 64 << 10 {
				w.Write(data[off:min(off+64<<10, len(data))])
				f.Flush()
			}
		}
	})
	h.route("app.test", o.Addr)
	closer := newRawOrigin(t, func(c net.Conn) {
		if _, err := readHead(bufio.NewReader(c)); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
		c.Write(data)
	})
	h.route("close.test", closer.Addr)

	for _, tc := range []struct {
		host, path string
		chunked    bool
	}{
		{"app.test", "/length", false},
		{"app.test", "/chunked", true},
		{"close.test", "/", false},
	} {
		resp, err := h.HC.Do(h.request("GET", tc.host, tc.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		sum, n, err := hashReader(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s%s: reading body: %v", tc.host, tc.path, err)
		}
		if resp.StatusCode != 200 || sum != sha(data) || n != int64(len(data)) {
			t.Errorf("%s%s: status %d, %d bytes, checksum match %v", tc.host, tc.path, resp.StatusCode, n, sum == sha(data))
		}
		if got := len(resp.TransferEncoding) > 0; got != tc.chunked {
			t.Errorf("%s%s: chunked %v, want %v", tc.host, tc.path, got, tc.chunked)
		}
	}
}

// TestResponseStreamedNotBuffered has the origin send a first chunk and
// then wait until the client has received it: a proxy that buffered the
// whole body would deadlock here.
func TestResponseStreamedNotBuffered(t *testing.T) {
	h := startProxy(t, nil)
	gotFirst := make(chan struct{})
	o := newOrigin(t, "stream", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first chunk;")
		w.(http.Flusher).Flush()
		select {
		case <-gotFirst:
		case <-time.After(ioTimeout):
			return
		}
		io.WriteString(w, "second chunk")
	})
	h.route("app.test", o.Addr)

	resp, err := h.HC.Do(h.request("GET", "app.test", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, len("first chunk;"))
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("first chunk did not arrive before the origin finished: %v", err)
	}
	close(gotFirst)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(first)+string(rest) != "first chunk;second chunk" {
		t.Errorf("body %q%q, err %v", first, rest, err)
	}
}

// TestUploadStreamedNotBuffered has the origin answer after reading only
// the first part of the body, while the client holds the rest back until it
// has the answer: a proxy that buffered the request body would deadlock.
func TestUploadStreamedNotBuffered(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "stream", func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		first := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, first); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "first %s;", first)
		w.(http.Flusher).Flush()
		rest, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "rest %s", rest)
	})
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
	resp, err := http.ReadResponse(c.BR, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make([]byte, len("first hello;"))
	if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != "first hello;" {
		t.Fatalf("start of response %q, err %v", got, err)
	}
	c.write("6\r\n world\r\n0\r\n\r\n")
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "rest  world" {
		t.Errorf("rest of response %q, err %v", rest, err)
	}
}

// TestClientAbortsDownload: a client that goes away in the middle of a
// large response makes the proxy drop the backend connection and its own
// session; nothing is left open.
func TestClientAbortsDownload(t *testing.T) {
	h := startProxy(t, nil)
	data := payload(bigBody)
	o := newOrigin(t, "dl", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	})
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n")
	resp, err := http.ReadResponse(c.BR, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	c.C.Close()
	eventually(t, ioTimeout, "the backend connection to close", func() bool {
		return o.Opened.Load() == 1 && o.Closed.Load() == 1
	})
	eventually(t, ioTimeout, "the session to end", func() bool {
		return h.Must(order.Status{}).Content.Status.ActiveConnections == 0
	})
	// The proxy still serves.
	resp2, body := h.get("app.test", "/")
	if resp2.StatusCode != 200 || len(body) != len(data) {
		t.Errorf("after the abort: status %d, %d bytes", resp2.StatusCode, len(body))
	}
}

// TestExpectContinueRefused: the origin answers without reading the body
// (here 401); the client gets the answer without sending its body.
func TestExpectContinueRefused(t *testing.T) {
	h := startProxy(t, nil)
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "login first", http.StatusUnauthorized)
	})
	h.route("app.test", o.Addr)

	c := dialRaw(t, h.Addr)
	c.write("PUT /big HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
	resp, body := c.read("PUT")
	wantStatus(t, resp, body, 401)
	if body != "login first\n" {
		t.Errorf("body %q", body)
	}
	if !resp.Close {
		t.Errorf("answer given before the body does not announce Connection: close")
	}
	// The body was never sent: the proxy cannot reuse the connection, so it
	// must end it rather than read the next bytes as a request.
	c.expectClosedAfterJunk(ioTimeout)
}

// TestMaxBodyBytes: a listener's max_body_bytes answers 413 to a declared
// length over it before anything reaches the backend, and cuts off a
// chunked body that grows over it; bodies within it pass.
func TestMaxBodyBytes(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.Listeners[0].MaxBodyBytes = 1000 })
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "got %d", n)
	})
	h.route("app.test", o.Addr)
	resp, body := h.send(h.request("POST", "app.test", "/", strings.NewReader(strings.Repeat("x", 1000))))
	wantStatus(t, resp, body, 200)
	if body != "got 1000" {
		t.Fatalf("body within the limit: %q", body)
	}
	before := o.Requests.Load()
	resp, body = h.send(h.request("POST", "app.test", "/", strings.NewReader(strings.Repeat("x", 1001))))
	wantStatus(t, resp, body, 413)
	if o.Requests.Load() != before {
		t.Fatal("a body declared over the limit reached the origin")
	}
	// Chunked, growing past the limit after the head.
	c := dialRaw(t, h.Addr)
	c.write("POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n")
	chunk := fmt.Sprintf("%x\r\n%s\r\n", 600, strings.Repeat("y", 600))
	c.write(chunk)
	c.write(chunk)
	r, b := c.read("POST")
	if r.StatusCode != 413 {
		t.Fatalf("chunked body over the limit: %d %q", r.StatusCode, b)
	}
	c.expectClosed(ioTimeout)
}

// TestSmallAfterLargeOnOneConnection: responses small and large follow
// each other on the same keep-alive connections, client and backend side,
// each body its own: a buffer that carried a large body (streamed read by
// read) is never reused while it still holds another response's bytes.
func TestSmallAfterLargeOnOneConnection(t *testing.T) {
	h := startProxy(t, nil)
	big := payload(300 << 10)
	o := newOrigin(t, "A", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			_, _ = w.Write(big)
			return
		}
		_, _ = io.WriteString(w, "A")
	})
	h.route("app.test", o.Addr)
	for round := range 20 {
		resp, err := h.HC.Do(h.request("GET", "app.test", "/big", nil))
		if err != nil {
			t.Fatal(err)
		}
		sum, n, _ := hashReader(resp.Body)
		resp.Body.Close()
		if n != int64(len(big)) || sum != sha(big) {
			t.Fatalf("round %d: big body of %d bytes, checksum ok %v", round, n, sum == sha(big))
		}
		for i := range 5 {
			resp, body := h.get("app.test", "/")
			if body != "A" {
				t.Fatalf("round %d request %d: %d %q", round, i, resp.StatusCode, body)
			}
		}
	}
}
