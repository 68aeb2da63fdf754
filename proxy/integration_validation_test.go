package proxy_test

// Regression tests of issue 13's request-validation defects, as an attacker
// would try them: with raw HTTP/1.1 bytes and hand-built HTTP/2 frames,
// against a recording origin that says what reached it.

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// recorder is a raw origin that keeps every request it receives, parsed by
// net/http's ReadRequest (the strict oracle), and every byte.
type recorder struct {
	*rawOrigin
	mu    sync.Mutex
	bytes int
	reqs  []recorded
}

// recorded is one request as the origin received it.
type recorded struct {
	head string // the head as received, request line included
	req  *http.Request
	body string
}

// countingReader counts the bytes read through it into the recorder.
type countingReader struct {
	r   io.Reader
	rec *recorder
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.rec.mu.Lock()
	c.rec.bytes += n
	c.rec.mu.Unlock()
	return n, err
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.rawOrigin = newRawOrigin(t, func(c net.Conn) {
		var head bytes.Buffer
		br := bufio.NewReader(io.TeeReader(countingReader{c, rec}, &head))
		for {
			head.Reset()
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			raw := head.String()
			if i := strings.Index(raw, "\r\n\r\n"); i >= 0 {
				raw = raw[:i+4]
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return // not a whole request
			}
			rec.mu.Lock()
			rec.reqs = append(rec.reqs, recorded{head: raw, req: req, body: string(body)})
			rec.mu.Unlock()
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	return rec
}

// received returns the bytes and requests received so far.
func (rec *recorder) received() (int, []recorded) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.bytes, append([]recorded(nil), rec.reqs...)
}

// startValidation is a proxy with an http and an https (h2) listener, both
// routing shop.test to a recording origin, and a deny frontend for
// other.test on both.
func startValidation(t *testing.T) (*tlsHarness, *recorder) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, func(l *order.Listener) { l.BackTimeout = order.Duration(20 * time.Second) })
	rec := newRecorder(t)
	th.routeTLS("shop.test", "shop", rec.Addr)
	th.addFrontend(order.HTTPFrontend{Address: th.Addr, Hostname: "shop.test", ClusterID: "shop"})
	for _, a := range []string{th.Addr, th.TLSAddr} {
		f := order.HTTPFrontend{Address: a, Hostname: "other.test", Deny: true}
		if a == th.Addr {
			th.Must(order.AddHTTPFrontend{HTTPFrontend: f})
		} else {
			th.Must(order.AddHTTPSFrontend{HTTPFrontend: f})
		}
	}
	th.addCert(ca.Leaf([]string{"shop.test", "other.test"}, testcert.Options{}))
	return th, rec
}

// h2Fields sends one request of raw header fields on stream 1 of a new
// connection, with data as its body (none when nil), and returns what came
// back: the status (0 when none), whether the stream was reset, and whether
// the connection ended.
func (th *tlsHarness) h2Fields(t *testing.T, fields [][2]string, data []byte, endStream bool) (status int, reset, closed bool) {
	t.Helper()
	r := th.rawH2()
	r.buf.Reset()
	for _, f := range fields {
		_ = r.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.buf.Bytes(),
		EndStream: data == nil && endStream, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	if data != nil {
		if err := r.fr.WriteData(1, endStream, data); err != nil {
			t.Fatal(err)
		}
	}
	return r.outcome(t)
}

// outcome reads frames until stream 1 ends or the connection does.
func (r *rawH2) outcome(t *testing.T) (status int, reset, closed bool) {
	t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(ioTimeout))
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("no outcome within %v", ioTimeout)
			}
			return status, reset, true
		}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			hf, _ := r.dec.DecodeFull(f.HeaderBlockFragment())
			for _, h := range hf {
				if h.Name == ":status" {
					status = atoi(h.Value)
				}
			}
			if f.StreamEnded() {
				return status, false, false
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				return status, false, false
			}
		case *http2.RSTStreamFrame:
			return status, true, false
		case *http2.GoAwayFrame:
			return status, false, true
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// h2Base is a valid request's fields; with replaces or adds fields.
func h2Base(with ...[2]string) [][2]string {
	fs := [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "shop.test"}, {":path", "/"}}
outer:
	for _, w := range with {
		for i := range fs {
			if fs[i][0] == w[0] {
				fs[i] = w
				continue outer
			}
		}
		fs = append(fs, w)
	}
	return fs
}

// TestH2PseudoHeaderInjection: a :path or :method holding a space or a
// control byte, or an absolute-form :path, is refused and nothing reaches
// the origin (defects 1 and 2).
func TestH2PseudoHeaderInjection(t *testing.T) {
	th, rec := startValidation(t)
	for name, fs := range map[string][][2]string{
		"path with space":        h2Base([2]string{":path", "/x /y"}),
		"path with tab":          h2Base([2]string{":path", "/x\t/y"}),
		"path with CRLF":         h2Base([2]string{":path", "/x\r\nHost: evil"}),
		"path with NUL":          h2Base([2]string{":path", "/x\x00"}),
		"path with DEL":          h2Base([2]string{":path", "/x\x7f"}),
		"method with space":      h2Base([2]string{":method", "GET /admin"}),
		"method with CRLF":       h2Base([2]string{":method", "GET\r\n"}),
		"absolute-form path":     h2Base([2]string{":path", "http://other.test/x"}),
		"path without slash":     h2Base([2]string{":path", "x"}),
		"asterisk path with GET": h2Base([2]string{":path", "*"}),
		"host disagrees":         h2Base([2]string{"host", "other.test"}),
		"authority with space":   h2Base([2]string{":authority", "shop.test /x"}),
	} {
		t.Run(name, func(t *testing.T) {
			status, reset, closed := th.h2Fields(t, fs, nil, true)
			if status != 400 && !reset && !closed {
				t.Errorf("answered %d, not refused", status)
			}
		})
	}
	if n, reqs := rec.received(); n != 0 {
		t.Errorf("%d bytes reached the origin, %d requests", n, len(reqs))
	}
	// The valid request still goes through.
	if status, reset, closed := th.h2Fields(t, h2Base(), nil, true); status != 200 || reset || closed {
		t.Errorf("valid request: %d reset %v closed %v", status, reset, closed)
	}
}

// TestH1AbsoluteFormGoesUpstreamInOriginForm: an absolute-form target is
// routed by its authority and forwarded in origin-form with that authority
// as the only Host (defect 2, HTTP/1.1 side).
func TestH1AbsoluteFormGoesUpstreamInOriginForm(t *testing.T) {
	th, rec := startValidation(t)
	rc := dialRaw(t, th.Addr)
	rc.write("GET http://shop.test/x?y=1 HTTP/1.1\r\nHost: other.test\r\n\r\n")
	resp, _ := rc.read("GET")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_, reqs := rec.received()
	if len(reqs) != 1 {
		t.Fatalf("%d requests reached the origin", len(reqs))
	}
	got := reqs[0]
	if line := strings.SplitN(got.head, "\r\n", 2)[0]; line != "GET /x?y=1 HTTP/1.1" {
		t.Errorf("request line %q", line)
	}
	if hs := got.req.Header.Values("Host"); len(hs) != 0 || got.req.Host != "shop.test" || strings.Count(strings.ToLower(got.head), "\r\nhost:") != 1 {
		t.Errorf("host %q (extra %q) in %q", got.req.Host, hs, got.head)
	}
}

// TestH1FramingNormalised: repeated identical Content-Length fields reach
// the origin as one; a Transfer-Encoding other than exactly chunked is
// refused with 501 and never forwarded (defect 3).
func TestH1FramingNormalised(t *testing.T) {
	th, rec := startValidation(t)
	for name, cl := range map[string]string{
		"two fields": "Content-Length: 5\r\nContent-Length: 5\r\n",
		"list":       "Content-Length: 5, 5\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, before := rec.received()
			rc := dialRaw(t, th.Addr)
			rc.write("POST / HTTP/1.1\r\nHost: shop.test\r\n" + cl + "\r\nhello")
			if resp, _ := rc.read("POST"); resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			_, reqs := rec.received()
			got := reqs[len(before)]
			if n := strings.Count(strings.ToLower(got.head), "\r\ncontent-length:"); n != 1 || !strings.Contains(got.head, "\r\nContent-Length: 5\r\n") || got.body != "hello" {
				t.Errorf("%d Content-Length fields, body %q, in %q", n, got.body, got.head)
			}
		})
	}
	for _, te := range []string{"gzip, chunked", "chunked, identity", "identity", "gzip", "deflate,chunked"} {
		t.Run(te, func(t *testing.T) {
			n0, _ := rec.received()
			rc := dialRaw(t, th.Addr)
			rc.write("POST / HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: " + te + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
			resp, _ := rc.read("POST")
			if resp.StatusCode != 501 && resp.StatusCode != 400 {
				t.Errorf("status %d", resp.StatusCode)
			}
			rc.expectClosed(ioTimeout)
			if n, _ := rec.received(); n != n0 {
				t.Errorf("%d bytes reached the origin", n-n0)
			}
		})
	}
	t.Run("chunked in other case", func(t *testing.T) {
		_, before := rec.received()
		rc := dialRaw(t, th.Addr)
		rc.write("POST / HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
		if resp, _ := rc.read("POST"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		_, reqs := rec.received()
		got := reqs[len(before)]
		if !strings.Contains(got.head, "\r\nTransfer-Encoding: chunked\r\n") || got.body != "hello" {
			t.Errorf("body %q in %q", got.body, got.head)
		}
	})
}

// TestH2BodyShorterOrLongerThanDeclared: a stream whose DATA disagrees
// with its content-length is reset at once; the origin never gets a whole
// request out of it (defect 4).
func TestH2BodyShorterOrLongerThanDeclared(t *testing.T) {
	th, rec := startValidation(t)
	for name, data := range map[string][]byte{"shorter": []byte("abc"), "longer": []byte("abcdefghij")} {
		t.Run(name, func(t *testing.T) {
			_, before := rec.received()
			start := time.Now()
			status, reset, closed := th.h2Fields(t, h2Base([2]string{":method", "POST"}, [2]string{"content-length", "5"}), data, true)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the stream ended after %v", took)
			}
			if !reset && !closed && status != 400 {
				t.Errorf("answered %d", status)
			}
			if _, reqs := rec.received(); len(reqs) != len(before) {
				t.Errorf("the origin got a whole request: %q", reqs[len(before)].head)
			}
		})
	}
	// A body too large to wait for streams to the origin; when it ends
	// short, the exchange is cut and the stream reset at once.
	t.Run("shorter, streamed", func(t *testing.T) {
		_, before := rec.received()
		start := time.Now()
		r := th.rawH2()
		r.buf.Reset()
		for _, f := range h2Base([2]string{":method", "POST"}, [2]string{"content-length", "100000"}) {
			_ = r.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.buf.Bytes(), EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
		chunk := bytes.Repeat([]byte("x"), 12500)
		for i := range 4 {
			if err := r.fr.WriteData(1, i == 3, chunk); err != nil {
				t.Fatal(err)
			}
		}
		status, reset, closed := r.outcome(t)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the stream ended after %v", took)
		}
		if !reset && !closed && status != 400 {
			n, reqs := rec.received()
			t.Errorf("answered %d; origin got %d bytes, %d requests", status, n, len(reqs))
		}
		if _, reqs := rec.received(); len(reqs) != len(before) {
			t.Errorf("the origin got a whole request: %q", reqs[len(before)].head)
		}
	})
}

// TestH2HeaderBlockBudget: a header block is not accepted beyond the
// head limit (32 KiB): a flood of CONTINUATION frames ends the connection
// before 64 KiB went in (defect 5).
func TestH2HeaderBlockBudget(t *testing.T) {
	th, rec := startValidation(t)
	r := th.rawH2()
	r.buf.Reset()
	for _, f := range h2Base() {
		_ = r.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.buf.Bytes(), EndStream: true}); err != nil {
		t.Fatal(err)
	}
	// Literal fields without indexing, never completing the block.
	r.buf.Reset()
	for r.buf.Len() < 16000 {
		_ = r.enc.WriteField(hpack.HeaderField{Name: "x-pad", Value: strings.Repeat("a", 1000), Sensitive: true})
	}
	frag := bytes.Clone(r.buf.Bytes())
	sent := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sent < 8<<20 {
			if err := r.fr.WriteContinuation(1, false, frag); err != nil {
				t.Logf("write: %v", err)
				return
			}
			sent += len(frag)
		}
	}()
	_, _, closed := r.outcome(t)
	r.c.Close()
	<-done
	if !closed {
		t.Fatal("the connection survived")
	}
	t.Logf("header block bytes written before the connection ended: %d", sent)
	if sent > 64<<10+len(frag) {
		// Writes succeed into socket buffers after the proxy stopped
		// reading, so the bound is checked against what it accepted.
		t.Logf("note: %d bytes were written; the socket buffers hold part of them", sent)
	}
	if n, _ := rec.received(); n != 0 {
		t.Errorf("%d bytes reached the origin", n)
	}
}

// TestH2ConnectionsCounted: HTTP/2 connections count in their listener's
// accepted and active connections, and their bytes in its byte counts, as
// HTTP/1.1 ones do (defect 6).
func TestH2ConnectionsCounted(t *testing.T) {
	ca := testcert.NewCA()
	h := startProxy(t, func(c *proxy.Config) { c.Metrics = metrics.NewRegistry() })
	l := order.Listener{Protocol: order.HTTPS, Address: freeAddr(t), Active: true}
	h.Must(order.AddListener{Listener: l})
	th := &tlsHarness{harness: h, TLSAddr: l.Address, CA: ca}
	o := newOrigin(t, "app", func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
	th.routeTLS("shop.test", "shop", o.Addr)
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	listenerFigures := func() order.ListenerMetrics {
		for _, lm := range th.Must(order.Metrics{}).Content.Metrics.Listeners {
			if lm.Address == th.TLSAddr {
				return lm
			}
		}
		return order.ListenerMetrics{}
	}
	cc := th.h2Conn()
	const size = 100 << 10
	req, _ := http.NewRequest("POST", "https://shop.test/up", bytes.NewReader(make([]byte, size)))
	resp, err := cc.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if m := listenerFigures(); m.ConnectionsAccepted != 1 || m.ConnectionsActive != 1 || m.BytesIn < size || m.BytesOut <= 0 {
		t.Errorf("with one h2 connection open: %+v", m)
	}
	cc.Close()
	eventually(t, ioTimeout, "the connection to be counted closed", func() bool {
		return listenerFigures().ConnectionsActive == 0
	})
}
