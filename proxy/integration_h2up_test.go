package proxy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// HTTP/2 to backends (backend_protocol h2 and auto), through both fronts,
// against net/http origins: over TLS with ALPN h2, cleartext (h2c), and an
// origin that speaks only http/1.1.

// newH2Origin starts an origin speaking HTTP/2: over TLS (a leaf of ca for
// 127.0.0.1, ALPN h2 only) when ca is set, else h2c only. Its handler
// answers "<name> <proto> <path>"; mod may change its server first.
func newH2Origin(t *testing.T, name string, ca *testcert.CA, handler http.HandlerFunc, mod func(*http.Server)) *origin {
	t.Helper()
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s %s", name, r.Proto, r.URL.Path)
		}
	}
	o := newUnstartedOrigin(t, name, handler)
	if mod != nil {
		mod(o.Config)
	}
	if ca == nil {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		o.Config.Protocols = &p
		o.Start()
	} else {
		leaf := ca.Leaf([]string{"127.0.0.1"}, testcert.Options{})
		c, err := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
		if err != nil {
			t.Fatal(err)
		}
		o.TLS = &tls.Config{Certificates: []tls.Certificate{c}}
		o.EnableHTTP2 = true // ALPN h2 only: an HTTP/1.1 handshake fails
		o.StartTLS()
	}
	o.Addr = o.Listener.Addr().String()
	return o
}

// h2Route routes host to a new cluster of the origins speaking proto, over
// TLS trusting ca when ca is set.
func h2Route(f *front, host string, proto order.BackendProtocol, ca *testcert.CA, addrs ...string) string {
	f.t.Helper()
	id := f.route(host, addrs...)
	u := order.UpdateCluster{ID: id, BackendProtocol: order.Some(proto)}
	if ca != nil {
		u.TLS = order.Some(backendTLS(ca))
	}
	f.Must(u)
	return id
}

// Requests of both fronts reach origins as HTTP/2 streams, over TLS (ALPN
// h2) and cleartext (h2c), with bodies both ways and the forwarding fields;
// under auto, an origin that speaks only http/1.1 gets HTTP/1.1 on pooled
// connections.
func TestH2BackendProtocols(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		ca := testcert.NewCA()
		echo := func(name string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Seen", r.Proto+" "+r.Header.Get("X-Forwarded-Proto")+" "+r.Header.Get("Sluice-Request-Id"))
				if r.Method == http.MethodPost {
					sum, n, _ := hashReader(r.Body)
					fmt.Fprintf(w, "%s %s %d", name, sum, n)
					return
				}
				fmt.Fprintf(w, "%s %s", name, r.URL.Path)
			}
		}
		tlsO := newH2Origin(t, "tls", ca, echo("tls"), nil)
		h2cO := newH2Origin(t, "h2c", nil, echo("h2c"), nil)
		h1O := newTLSOrigin(t, "h1", ca, []string{"127.0.0.1"}, nil) // ALPN http/1.1 only
		autoO := newH2Origin(t, "auto", ca, echo("auto"), nil)
		h2Route(f, "tls.test", order.H2, ca, tlsO.Addr)
		h2Route(f, "h2c.test", order.H2, nil, h2cO.Addr)
		h2Route(f, "h1.test", order.Auto, ca, h1O.Addr)
		h2Route(f, "auto.test", order.Auto, ca, autoO.Addr)
		proto := map[bool]string{false: "http", true: "https"}[f.https]

		for _, host := range []string{"tls.test", "h2c.test", "auto.test"} {
			name := strings.TrimSuffix(host, ".test")
			for range 3 {
				resp, body := f.get(host, "/p")
				wantStatus(t, resp, body, 200)
				seen := resp.Header.Get("X-Seen")
				if body != name+" /p" || seen != "HTTP/2.0 "+proto+" "+resp.Header.Get("Sluice-Request-Id") {
					t.Fatalf("%s: %q, origin saw %q", host, body, seen)
				}
			}
			const size = 1 << 20
			for _, hidden := range []bool{false, true} {
				var rd io.Reader = bytes.NewReader(payload(size))
				if hidden {
					rd = io.MultiReader(rd) // chunked from HTTP/1.1 clients, no content-length on HTTP/2
				}
				resp, body := f.send(f.request("POST", host, "/up", rd))
				if want := fmt.Sprintf("%s %s %d", name, sha(payload(size)), size); body != want {
					t.Errorf("%s upload (length hidden %v): %d %q", host, hidden, resp.StatusCode, body)
				}
			}
		}
		for i := range 10 {
			resp, body := f.get("h1.test", "/q")
			wantStatus(t, resp, body, 200)
			if got := resp.Header.Get("X-Origin-TLS"); body != "h1 /q" || got != "http/1.1 -" { // no SNI for an IP (the leading space is trimmed)
				t.Fatalf("auto to an http/1.1 origin, request %d: %q, origin saw %q", i, body, got)
			}
		}
		if n := h1O.Opened.Load(); n > 3 {
			t.Errorf("auto to an http/1.1 origin: 10 requests in a row opened %d connections: not pooled", n)
		}
		for _, o := range []*origin{tlsO, h2cO, autoO} {
			if n := o.Opened.Load(); n != 1 {
				t.Errorf("origin %s accepted %d connections, want 1 for every stream", o.Name, n)
			}
		}
		for _, b := range f.Must(order.ListBackends{ClusterID: "c-tls_test"}).Content.Backends {
			if b.H2Connections != 1 || b.IdleConnections != 0 {
				t.Errorf("backend list: %d HTTP/2 connections, %d idle HTTP/1.1 ones; want 1 and 0", b.H2Connections, b.IdleConnections)
			}
		}
	})
}

// Concurrent requests from many client connections share few backend
// connections, no more streams on each than the origin's
// MAX_CONCURRENT_STREAMS: every request is held at the origin until all are
// in, which happens only if the proxy opened enough connections.
func TestH2BackendSharesConnections(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		const n, limit = 24, 4
		var in atomic.Int64
		var maxIn sync.Map // connection -> streams at once
		all := make(chan struct{})
		handler := func(w http.ResponseWriter, r *http.Request) {
			if in.Add(1) == n {
				close(all)
			}
			select {
			case <-all:
			case <-time.After(ioTimeout):
				http.Error(w, "not all requests came in", 500)
				return
			}
			maxIn.Store(r.RemoteAddr, true)
			fmt.Fprintf(w, "ok %d", r.ProtoMajor)
		}
		for _, tlsOn := range []bool{true, false} {
			var ca *testcert.CA
			if tlsOn {
				ca = testcert.NewCA()
			}
			in.Store(0)
			all = make(chan struct{})
			maxIn.Clear()
			o := newH2Origin(t, "o", ca, handler, func(s *http.Server) {
				s.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: limit}
			})
			host := fmt.Sprintf("tls%v.test", tlsOn)
			h2Route(f, host, order.H2, ca, o.Addr)
			var wg sync.WaitGroup
			errs := make(chan string, n)
			for range n {
				wg.Go(func() {
					resp, err := f.hc.Do(f.request("GET", host, "/", nil))
					if err != nil {
						errs <- err.Error()
						return
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || string(b) != "ok 2" {
						errs <- fmt.Sprintf("%d %q", resp.StatusCode, b)
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Errorf("tls %v: %s", tlsOn, e)
			}
			// n/limit connections at least; a few more when a stream ends
			// while another request dials; far fewer than n.
			if got := o.Opened.Load(); got < n/limit || got > n/limit+3 {
				t.Errorf("tls %v: %d concurrent requests opened %d connections to an origin allowing %d streams each",
					tlsOn, n, got, limit)
			}
		}
	})
}

// A GOAWAY from one backend in the middle of a load (its server shuts
// down) loses no idempotent request: those not taken by it are sent again,
// to the other backend.
func TestH2BackendGoAwayMidLoad(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		ca := testcert.NewCA()
		slow := func(name string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(time.Millisecond) // requests overlap the shutdown
				fmt.Fprintf(w, "%s %d", name, r.ProtoMajor)
			}
		}
		a := newH2Origin(t, "a", ca, slow("a"), nil)
		b := newH2Origin(t, "b", ca, slow("b"), nil)
		h2Route(f, "ga.test", order.H2, ca, a.Addr, b.Addr)
		const workers, each = 8, 30
		var done atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan string, workers*each)
		for range workers {
			wg.Go(func() {
				for range each {
					resp, err := f.hc.Do(f.request("GET", "ga.test", "/", nil))
					if err != nil {
						errs <- err.Error()
						continue
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !strings.HasSuffix(string(body), " 2") {
						errs <- fmt.Sprintf("%d %q", resp.StatusCode, body)
					}
					done.Add(1)
				}
			})
		}
		eventually(t, ioTimeout, "a third of the load done", func() bool { return done.Load() >= workers*each/3 })
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		if err := a.Config.Shutdown(ctx); err != nil { // GOAWAY on its connections, then closed
			t.Error(err)
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("during a backend's GOAWAY: %s", e)
		}
		if a.Requests.Load() == 0 || b.Requests.Load() == 0 {
			t.Errorf("a took %d requests, b %d", a.Requests.Load(), b.Requests.Load())
		}
	})
}

// A stream the backend resets before its response: an idempotent request
// is sent again; a POST is answered 502.
func TestH2BackendResetStream(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		var mu sync.Mutex
		seen := map[string]int{}
		o := newH2Origin(t, "o", nil, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[r.Method+r.URL.Path]++
			first := seen[r.Method+r.URL.Path] == 1
			mu.Unlock()
			if first {
				panic(http.ErrAbortHandler) // RST_STREAM, no response head
			}
			fmt.Fprintf(w, "second %s", r.Method)
		}, nil)
		h2Route(f, "rst.test", order.H2, nil, o.Addr)
		resp, body := f.get("rst.test", "/g")
		wantStatus(t, resp, body, 200)
		if body != "second GET" {
			t.Errorf("GET after a reset: %q", body)
		}
		resp, body = f.send(f.request("POST", "rst.test", "/p", strings.NewReader("x")))
		wantStatus(t, resp, body, 502)
		mu.Lock()
		defer mu.Unlock()
		if seen["GET/g"] != 2 || seen["POST/p"] != 1 {
			t.Errorf("origin saw %v", seen)
		}
	})
}

// An http health check of an h2 cluster speaks HTTP/2: the origin speaks
// nothing else (ALPN h2 only), and the backend stays up.
func TestH2BackendHealthCheck(t *testing.T) {
	ca := testcert.NewCA()
	var checks atomic.Int64
	o := newH2Origin(t, "o", ca, func(w http.ResponseWriter, r *http.Request) {
		if r.UserAgent() == "sluice-health-check" && r.ProtoMajor == 2 && r.URL.Path == "/health" {
			checks.Add(1)
		}
		fmt.Fprint(w, "ok")
	}, nil)
	h := startProxy(t, nil)
	id := h.route("hc.test", o.Addr)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2), TLS: order.Some(backendTLS(ca)),
		HealthCheck: order.Some(&order.HealthCheck{Path: "/health", Interval: order.Duration(100 * time.Millisecond),
			Rise: 1, Fall: 1})})
	eventually(t, ioTimeout, "two HTTP/2 health checks", func() bool { return checks.Load() >= 2 })
	for _, b := range h.Must(order.ListBackends{ClusterID: id}).Content.Backends {
		if b.Health != "up" || b.Check != "ok" {
			t.Errorf("backend %s: health %s, check %s", b.ID, b.Health, b.Check)
		}
	}
}

// serveGoAwayAfterOne is an h2c origin connection that answers its first
// stream, then meets the next one with GOAWAY(last stream = the first):
// that stream was not processed, and the connection ends.
func serveGoAwayAfterOne(c net.Conn) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	var first uint32
	serveFramer(c, func(fr *http2.Framer, f http2.Frame) error {
		h, ok := f.(*http2.MetaHeadersFrame)
		switch {
		case !ok:
			return nil
		case first != 0:
			_ = fr.WriteGoAway(first, http2.ErrCodeNo, nil)
			time.Sleep(50 * time.Millisecond) // the client reads it before the close
			return io.EOF
		}
		first = h.StreamID
		hb.Reset()
		_ = enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		_ = enc.WriteField(hpack.HeaderField{Name: "content-length", Value: "5"})
		_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: first, BlockFragment: hb.Bytes(), EndHeaders: true})
		return fr.WriteData(first, true, []byte("first"))
	})
}

// A GOAWAY that leaves a stream unprocessed: the request is sent again on
// a new connection, a POST with its body too (RFC 9113 §8.7: the backend
// did not process it; TestH2UnprocessedStreamResent has the cases where
// it cannot go again).
func TestH2BackendGoAwayUnprocessed(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		o := newRawOrigin(t, serveGoAwayAfterOne)
		h2Route(f, "goaway.test", order.H2, nil, o.Addr)
		for i := range 3 { // first on a new connection, then one refused and sent again
			resp, body := f.get("goaway.test", "/")
			wantStatus(t, resp, body, 200)
			if body != "first" {
				t.Fatalf("request %d: %q", i, body)
			}
		}
		if n := o.Accepted.Load(); n != 3 {
			t.Errorf("the origin accepted %d connections, want 3", n)
		}
		resp, body := f.send(f.request("POST", "goaway.test", "/", strings.NewReader("x")))
		wantStatus(t, resp, body, 200)
		if body != "first" {
			t.Fatalf("the POST: %q", body)
		}
		if n := o.Accepted.Load(); n != 4 {
			t.Errorf("after the POST the origin accepted %d connections, want 4", n)
		}
	})
}

// A WebSocket to a cluster speaking h2 over TLS goes to its backend as an
// HTTP/1.1 upgrade (ALPN http/1.1), from either front; the cluster's other
// requests stay HTTP/2.
func TestH2BackendUpgradeStaysHTTP1(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		ca := testcert.NewCA()
		o := newUnstartedOrigin(t, "ws", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/echo" {
				fmt.Fprintf(w, "%s", r.Proto)
				return
			}
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			typ, msg, err := c.Read(r.Context())
			if err == nil {
				_ = c.Write(r.Context(), typ, append([]byte(r.Proto+" "), msg...))
			}
		})
		leaf := ca.Leaf([]string{"127.0.0.1"}, testcert.Options{})
		pair, err := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
		if err != nil {
			t.Fatal(err)
		}
		o.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: []string{"h2", "http/1.1"}}
		o.EnableHTTP2 = true
		o.StartTLS()
		h2Route(f, "wsh2.test", order.H2, ca, o.Listener.Addr().String())
		resp, body := f.get("wsh2.test", "/")
		wantStatus(t, resp, body, 200)
		if body != "HTTP/2.0" {
			t.Fatalf("a plain request reached the origin over %s", body)
		}
		st, ws := f.wsDial(t, "wsh2.test", "/echo")
		if open := map[bool]int{false: 101, true: 200}[f.https]; st != open {
			t.Fatalf("WebSocket status %d, want %d", st, open)
		}
		if err := wsWrite(ws, 0x2, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		if op, got, err := wsRead(ws); err != nil || op != 0x2 || string(got) != "HTTP/1.1 hi" {
			t.Fatalf("echo: opcode %d %q %v", op, got, err)
		}
	})
}

// Response trailers of an HTTP/2 backend reach clients of both fronts
// (after a chunked body on HTTP/1.1, in a HEADERS frame on HTTP/2).
func TestH2BackendTrailers(t *testing.T) {
	eachFront(t, func(t *testing.T, f *front) {
		ca := testcert.NewCA()
		o := newH2Origin(t, "tr", ca, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "Grpc-Status")
			io.WriteString(w, "body")
			w.Header().Set("Grpc-Status", "0")
		}, nil)
		h2Route(f, "trailer.test", order.H2, ca, o.Addr)
		resp, err := f.hc.Do(f.request("GET", "trailer.test", "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != "body" || resp.Trailer.Get("Grpc-Status") != "0" {
			t.Errorf("%d %q %v, trailers %v", resp.StatusCode, b, err, resp.Trailer)
		}
	})
}

// The access log names the kind of a backend failure: a POST whose HTTP/2
// stream the backend reset reads 502 reset; the GET sent again reads 200
// with no error.
func TestH2BackendErrorKindLogged(t *testing.T) {
	logs := &syncBuffer{}
	al, err := accesslog.New(accesslog.Config{Output: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { al.Close() }) // after the proxy's own cleanup
	h := startProxy(t, func(c *proxy.Config) { c.AccessLog = al })
	var n atomic.Int64
	o := newH2Origin(t, "o", nil, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 || r.Method == http.MethodPost {
			panic(http.ErrAbortHandler)
		}
		fmt.Fprint(w, "ok")
	}, nil)
	id := h.route("kind.test", o.Addr)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})
	for _, method := range []string{"GET", "POST"} {
		var body io.Reader
		if method == "POST" {
			body = strings.NewReader("x")
		}
		req, _ := http.NewRequest(method, "http://"+h.Addr+"/", body)
		req.Host = "kind.test"
		resp, err := h.HC.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// A line is written once its exchange is over, just after the client
	// has its response.
	eventually(t, ioTimeout, "two access log lines", func() bool { return strings.Count(logs.String(), "\n") >= 2 })
	text := logs.String()
	// The last two fields: the trace id (none here) and the error kind.
	get := regexp.MustCompile(`(?m)"GET kind\.test /" 200 .*" - -$`)
	post := regexp.MustCompile(`(?m)"POST kind\.test /" 502 .*" - reset$`)
	if strings.Count(text, "\n") != 2 || !get.MatchString(text) || !post.MatchString(text) {
		t.Errorf("access log:\n%s", text)
	}
}

// TestH2BackendRetryPolicy: a cluster's retry policy holds for HTTP/2
// backends as for HTTP/1.1 ones: a GET answered with a status of on_status
// goes to the other backend (the answer dropped), a POST is never sent
// again, and the retries count in the cluster's metrics.
func TestH2BackendRetryPolicy(t *testing.T) {
	withMetrics := func(_ *testing.T, c *proxy.Config) { c.Metrics = metrics.NewRegistry() }
	eachFrontWith(t, withMetrics, func(t *testing.T, f *front) {
		var failed atomic.Int64
		bad := newH2Origin(t, "bad", nil, func(w http.ResponseWriter, r *http.Request) {
			failed.Add(1)
			w.WriteHeader(503)
			io.WriteString(w, "bad")
		}, nil)
		good := newH2Origin(t, "good", nil, nil, nil)
		id := h2Route(f, "retry.test", order.H2, nil, bad.Addr, good.Addr)
		f.Must(order.UpdateCluster{ID: id, Retry: order.Some(&order.Retry{Attempts: 2, OnStatus: []int{503},
			Backoff: order.Duration(time.Millisecond)})})
		for i := range 6 {
			resp, b := f.get("retry.test", "/r")
			if resp.StatusCode != 200 || !strings.HasPrefix(b, "good") {
				t.Errorf("GET %d: %d %q, want good's 200", i, resp.StatusCode, b)
			}
		}
		tried := failed.Load()
		if tried == 0 {
			t.Fatal("the failing backend was never tried")
		}
		saw503 := false
		for range 6 {
			if resp, _ := f.send(f.request("POST", "retry.test", "/", strings.NewReader("x"))); resp.StatusCode == 503 {
				saw503 = true
			}
		}
		if !saw503 {
			t.Error("a POST was sent again after its 503")
		}
		eventually(t, ioTimeout, "the retries to be counted", func() bool {
			for _, c := range f.Must(order.Metrics{}).Content.Metrics.Clusters {
				if c.ClusterID == id {
					return c.Retries >= tried
				}
			}
			return false
		})
	})
}

// An HTTP/1.1 client that sends Expect: 100-continue and waits for the
// interim 100 before its body gets it from the proxy when the request goes
// to an HTTP/2 backend (which is not asked: Expect is not forwarded), and
// its body then reaches the backend whole. The client waits up to
// ioTimeout for the 100; curl would send the body after 1 s of silence.
// The connection serves on after each answer: a body sent after its head
// and read whole before the answer does not close it.
func TestH2BackendExpectContinue(t *testing.T) {
	h := startProxy(t, nil)
	o := newH2Origin(t, "h2c", nil, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s got %q, expect %q", r.Proto, b, r.Header.Get("Expect"))
	}, nil)
	id := h.route("app.test", o.Addr)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})

	c := dialRaw(t, h.Addr)
	for _, framing := range []string{"Content-Length: 11", "Transfer-Encoding: chunked"} {
		c.write("POST /upload HTTP/1.1\r\nHost: app.test\r\n" + framing + "\r\nExpect: 100-continue\r\n\r\n")
		line, err := c.BR.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: waiting for 100 Continue: %v", framing, err)
		}
		if line != "HTTP/1.1 100 Continue\r\n" {
			t.Fatalf("%s: first line %q, want HTTP/1.1 100 Continue", framing, line)
		}
		if _, err := readHead(c.BR); err != nil { // the interim head's end
			t.Fatal(err)
		}
		if strings.HasPrefix(framing, "Content-Length") {
			c.write("hello world")
		} else {
			c.write("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
		}
		resp, body := c.read("POST")
		wantStatus(t, resp, body, 200)
		if want := `HTTP/2.0 got "hello world", expect ""`; body != want {
			t.Errorf("%s: body %q, want %q", framing, body, want)
		}
		if resp.Close {
			// The body was in before the answer: the connection serves on.
			t.Errorf("%s: Connection: close after a body sent after its head", framing)
		}
	}
	// A client that sends its body with the head is not sent a 100.
	c.write("POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\nhello world")
	resp, body := c.read("POST")
	wantStatus(t, resp, body, 200)
	if want := `HTTP/2.0 got "hello world", expect ""`; body != want {
		t.Errorf("body sent with the head: %q, want %q", body, want)
	}
}

// An HTTP/2 backend's metrics count the bytes of its connection both ways
// (its streams share the frames): a 1 MiB upload makes bytes_sent pass
// 1 MiB, its answer bytes_received pass the answer's size.
func TestH2BackendBytesCounted(t *testing.T) {
	h := startProxy(t, func(c *proxy.Config) { c.Metrics = metrics.NewRegistry() })
	o := newH2Origin(t, "h2c", nil, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d%s", n, strings.Repeat(".", 64<<10))
	}, nil)
	id := h.route("app.test", o.Addr)
	h.Must(order.UpdateCluster{ID: id, BackendProtocol: order.Some(order.H2)})
	c := dialRaw(t, h.Addr)
	const size = 1 << 20
	c.write(fmt.Sprintf("POST /up HTTP/1.1\r\nHost: app.test\r\nContent-Length: %d\r\n\r\n%s", size, strings.Repeat("x", size)))
	resp, body := c.read("POST")
	wantStatus(t, resp, body, 200)
	if !strings.HasPrefix(body, fmt.Sprint(size)) {
		t.Fatalf("the origin read %.10q...", body)
	}
	var b order.BackendMetrics
	eventually(t, ioTimeout, "the exchange to be counted", func() bool {
		m := h.Must(order.Metrics{ClusterID: id}).Content.Metrics
		if len(m.Backends) != 1 {
			return false
		}
		b = m.Backends[0]
		return b.Requests == 1
	})
	if b.BytesSent < size || b.BytesReceived < 64<<10 {
		t.Errorf("bytes_sent %d (want ≥ %d), bytes_received %d (want ≥ %d)", b.BytesSent, size, b.BytesReceived, 64<<10)
	}
}
