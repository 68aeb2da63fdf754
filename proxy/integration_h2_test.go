package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/order"
)

// startH2 is an https listener with a certificate for shop.test routed to
// an origin running handler.
func startH2(t *testing.T, handler http.HandlerFunc) (*tlsHarness, *origin) {
	t.Helper()
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	o := newOrigin(t, "app", handler)
	th.routeTLS("shop.test", "shop", o.Addr)
	th.addCert(ca.Leaf([]string{"shop.test"}, testcert.Options{}))
	return th, o
}

func TestH2BodiesBothWays10MiB(t *testing.T) {
	th, _ := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			if r.URL.Query().Get("chunked") == "" {
				w.Header().Set("Content-Length", strconv.Itoa(n))
			}
			_, _ = w.Write(payload(n))
			return
		}
		sum, n, err := hashReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s %d %v", sum, n, r.TransferEncoding)
	})
	hc := th.client("shop.test", true)
	const size = 10 << 20
	want := sha(payload(size))
	for _, chunked := range []bool{false, true} {
		q := ""
		if chunked {
			q = "&chunked=1"
		}
		resp, err := hc.Get("https://shop.test/big?n=" + strconv.Itoa(size) + q)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := hashReader(resp.Body)
		resp.Body.Close()
		if err != nil || resp.ProtoMajor != 2 || n != size || got != want {
			t.Errorf("download chunked=%v: %s, %d bytes, err %v", chunked, resp.Proto, n, err)
		}
		// Upload: with a known length, and streamed (unknown length,
		// sent chunked to the backend).
		var body io.Reader = bytes.NewReader(payload(size))
		if chunked {
			body = io.MultiReader(body) // hides the length
		}
		req, _ := http.NewRequest("POST", "https://shop.test/up", body)
		resp, err = hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		te := "[]"
		if chunked {
			te = "[chunked]"
		}
		if resp.ProtoMajor != 2 || string(b) != fmt.Sprintf("%s %d %s", want, size, te) {
			t.Errorf("upload chunked=%v: %s %d %q", chunked, resp.Proto, resp.StatusCode, b)
		}
	}
}

// h2Conn opens one HTTP/2 client connection to the https listener.
func (th *tlsHarness) h2Conn() *http2.ClientConn {
	th.t.Helper()
	c, err := th.handshake(th.tlsConfig("shop.test", "h2"))
	if err != nil {
		th.t.Fatal(err)
	}
	cc, err := (&http2.Transport{}).NewClientConn(c)
	if err != nil {
		th.t.Fatal(err)
	}
	th.t.Cleanup(func() { cc.Close() })
	return cc
}

func TestH2HundredConcurrentStreamsOneConnection(t *testing.T) {
	const streams = 100
	var arrived atomic.Int64
	all := make(chan struct{})
	th, _ := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == streams {
			close(all)
		}
		select { // every stream is in flight at once before any answers
		case <-all:
		case <-time.After(ioTimeout):
			http.Error(w, "not all streams arrived", 500)
			return
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.URL.Path, b)
	})
	cc := th.h2Conn()
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range streams {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", "https://shop.test/s"+strconv.Itoa(i), bytes.NewReader([]byte("body")))
			resp, err := cc.RoundTrip(req)
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != fmt.Sprintf("/s%d body", i) {
				errs <- fmt.Errorf("stream %d: %d %q", i, resp.StatusCode, b)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := arrived.Load(); n != streams {
		t.Errorf("%d streams reached the origin", n)
	}
}

func TestH2DefaultAnswersAndHeaders(t *testing.T) {
	th, _ := startH2(t, nil)
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: "shop.test",
		Path: "/deny", Deny: true}})
	th.Must(order.AddCluster{Cluster: order.Cluster{ID: "empty"}})
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: "shop.test",
		Path: "/empty", ClusterID: "empty"}})
	hc := th.client("shop.test", true)
	for path, want := range map[string]int{"/ok": 200, "/deny": 403, "/empty": 503} {
		resp, err := hc.Get("https://shop.test" + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Sluice-Request-Id")
		if resp.StatusCode != want || resp.ProtoMajor != 2 || id == "" {
			t.Errorf("%s: %s %d id %q", path, resp.Proto, resp.StatusCode, id)
		}
		if want != 200 && !bytes.Contains(b, []byte(id)) {
			t.Errorf("%s: the answer does not name the request id: %q", path, b)
		}
		if want == 200 && string(b) != "app /ok" {
			t.Errorf("%s: body %q", path, b)
		}
	}
	// Unknown host on a covered connection: 421 comes first; a covered
	// host without a frontend gets 404.
	th.addCert(th.CA.Leaf([]string{"other.test"}, testcert.Options{}))
	resp, err := th.client("other.test", true).Get("https://other.test/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("host without frontend: %d", resp.StatusCode)
	}
}

// rawH2 is a hand-driven HTTP/2 client connection, for what net/http will
// not send.
type rawH2 struct {
	c   *tls.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	dec *hpack.Decoder // the connection's: response blocks index its table
	buf bytes.Buffer
}

func (th *tlsHarness) rawH2() *rawH2 {
	th.t.Helper()
	c, err := th.handshake(th.tlsConfig("shop.test", "h2"))
	if err != nil {
		th.t.Fatal(err)
	}
	th.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		th.t.Fatal(err)
	}
	r := &rawH2{c: c, fr: http2.NewFramer(c, c), dec: hpack.NewDecoder(4096, nil)}
	r.enc = hpack.NewEncoder(&r.buf)
	if err := r.fr.WriteSettings(); err != nil {
		th.t.Fatal(err)
	}
	return r
}

func (r *rawH2) headers(id uint32, end bool) []byte {
	r.buf.Reset()
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "shop.test"}, {":path", "/"}} {
		_ = r.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	return bytes.Clone(r.buf.Bytes())
}

// closed reads frames until the connection ends and reports how: the GOAWAY
// code if one came, and whether the connection was closed within d.
func (r *rawH2) closed(d time.Duration) (goaway http2.ErrCode, sawGoaway, closed bool) {
	_ = r.c.SetReadDeadline(time.Now().Add(d))
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			var ne interface{ Timeout() bool }
			return goaway, sawGoaway, !(errors.As(err, &ne) && ne.Timeout())
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			goaway, sawGoaway = g.ErrCode, true
		}
	}
}

func TestH2FloodsCloseTheConnection(t *testing.T) {
	th, _ := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	floods := map[string]func(r *rawH2) error{
		"ping": func(r *rawH2) error {
			for i := range 1000 {
				if err := r.fr.WritePing(false, [8]byte{byte(i)}); err != nil {
					return err
				}
			}
			return nil
		},
		"settings": func(r *rawH2) error {
			for range 1000 {
				if err := r.fr.WriteSettings(); err != nil {
					return err
				}
			}
			return nil
		},
		"rapid reset": func(r *rawH2) error {
			for i := range 1000 {
				id := uint32(2*i + 1)
				if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: r.headers(id, true),
					EndStream: true, EndHeaders: true}); err != nil {
					return err
				}
				if err := r.fr.WriteRSTStream(id, http2.ErrCodeCancel); err != nil {
					return err
				}
			}
			return nil
		},
		"continuation": func(r *rawH2) error {
			block := r.headers(1, true)
			if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:1],
				EndStream: true}); err != nil {
				return err
			}
			for range 10000 {
				if err := r.fr.WriteContinuation(1, false, nil); err != nil {
					return err
				}
			}
			return nil
		},
		"empty data": func(r *rawH2) error {
			if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.headers(1, false),
				EndHeaders: true}); err != nil {
				return err
			}
			for range 1000 {
				if err := r.fr.WriteData(1, false, nil); err != nil {
					return err
				}
			}
			return nil
		},
	}
	for name, flood := range floods {
		t.Run(name, func(t *testing.T) {
			r := th.rawH2()
			go func() { _ = flood(r) }() // writes fail once the proxy closes
			code, saw, closed := r.closed(5 * time.Second)
			if !closed {
				t.Errorf("the connection survived a %s flood", name)
			}
			t.Logf("%s flood: closed, GOAWAY seen %v, code %v", name, saw, code)
		})
	}
	// A well-behaved connection is not affected.
	resp, err := th.client("shop.test", true).Get("https://shop.test/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestH2GoawayOnDeactivateLetsStreamsFinish(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	th, _ := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	t.Cleanup(free)
	cc := th.h2Conn()
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", "https://shop.test/slow", nil)
		resp, err := cc.RoundTrip(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{string(b), err}
	}()
	<-entered
	th.Must(order.DeactivateListener{Address: th.TLSAddr})
	eventually(t, ioTimeout, "GOAWAY to reach the client", func() bool { return !cc.CanTakeNewRequest() })
	if st := cc.State(); st.Closed || st.StreamsActive != 1 {
		t.Errorf("after GOAWAY: %+v", st)
	}
	free()
	r := <-done
	if r.err != nil || r.body != "finished" {
		t.Errorf("in-flight stream: %q %v", r.body, r.err)
	}
	eventually(t, ioTimeout, "the connection to close", func() bool { return cc.State().Closed })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://shop.test/", nil)
	if _, err := cc.RoundTrip(req); err == nil {
		t.Error("a new stream was served after GOAWAY")
	}
}

// TestH2MalformedHeadersAndRepeatedSettings checks the two rules the guard
// adds to net/http's: connection-specific fields end the connection with
// GOAWAY(PROTOCOL_ERROR) (net/http would answer 400), and a SETTINGS frame
// repeating a parameter is acknowledged (net/http would hang up).
func TestH2MalformedHeadersAndRepeatedSettings(t *testing.T) {
	th, o := startH2(t, nil)
	for _, f := range [][2]string{{"connection", "keep-alive"}, {"te", "gzip"}, {"upgrade", "websocket"}} {
		r := th.rawH2()
		block := r.headers(1, true)
		r.buf.Reset()
		_ = r.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		block = append(block, r.buf.Bytes()...)
		if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block,
			EndStream: true, EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
		code, saw, closed := r.closed(5 * time.Second)
		if !closed || !saw || code != http2.ErrCodeProtocol {
			t.Errorf("%s: %s: closed %v, GOAWAY %v code %v", f[0], f[1], closed, saw, code)
		}
	}
	if n := o.Requests.Load(); n != 0 {
		t.Errorf("%d malformed requests reached the origin", n)
	}

	r := th.rawH2()
	if err := r.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 100},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.headers(1, true),
		EndStream: true, EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	acks, data := 0, 0
	_ = r.c.SetReadDeadline(time.Now().Add(ioTimeout))
	for data == 0 {
		f, err := r.fr.ReadFrame()
		if err != nil {
			t.Fatalf("after repeated settings: %v (acks %d)", err, acks)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if f.IsAck() {
				acks++
			}
		case *http2.DataFrame:
			data = len(f.Data())
		}
	}
	// The last value (1) is the one in force: DATA comes one byte at a time.
	if acks < 1 || data != 1 {
		t.Errorf("acks %d, first DATA frame of %d bytes, want an ack and 1 byte", acks, data)
	}
}

// TestH2ConnectionSurvivesCertificateReplace: an HTTP/2 connection opened
// before a replace keeps serving streams after it.
func TestH2ConnectionSurvivesCertificateReplace(t *testing.T) {
	ca := testcert.NewCA()
	th := startTLS(t, ca, nil)
	o := newOrigin(t, "app", nil)
	th.routeTLS("shop.test", "shop", o.Addr)
	old := ca.Leaf([]string{"shop.test"}, testcert.Options{})
	fp := th.addCert(old)
	cc := th.h2Conn()
	get := func(path string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://shop.test"+path, nil)
		resp, err := cc.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "app "+path {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, b)
		}
	}
	get("/before")
	th.Must(order.ReplaceCertificate{Address: th.TLSAddr, OldFingerprint: fp,
		Certificate: *certOf(ca.Leaf([]string{"shop.test"}, testcert.Options{}))})
	get("/after-replace")
	th.Must(order.RemoveCertificate{Address: th.TLSAddr, Fingerprint: th.Must(order.ListCertificates{}).Content.Certificates[0].Fingerprint})
	get("/after-remove")
}

// TestH2DownloadsEveryFraming: a backend's body reaches an HTTP/2 client
// whole and ends the stream cleanly whatever its HTTP/1.1 framing:
// content-length, chunked (decoded), or delimited by the backend closing.
func TestH2DownloadsEveryFraming(t *testing.T) {
	data := payload(1 << 20)
	th, _ := startH2(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/length" {
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		}
		_, _ = w.Write(data) // chunked without a length
	})
	closer := newRawOrigin(t, func(c net.Conn) {
		if _, err := readHead(bufio.NewReader(c)); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
		_, _ = c.Write(data)
	})
	th.Must(order.AddCluster{Cluster: order.Cluster{ID: "closer"}})
	th.Must(order.AddHTTPSFrontend{HTTPFrontend: order.HTTPFrontend{Address: th.TLSAddr, Hostname: "shop.test",
		Path: "/close", ClusterID: "closer"}})
	th.addBackend("closer", "c0", closer.Addr)
	hc := th.client("shop.test", true)
	for _, path := range []string{"/length", "/chunked", "/close"} {
		resp, err := hc.Get("https://shop.test" + path)
		if err != nil {
			t.Fatal(err)
		}
		sum, n, err := hashReader(resp.Body)
		resp.Body.Close()
		if err != nil || resp.ProtoMajor != 2 || resp.StatusCode != 200 || n != int64(len(data)) || sum != sha(data) {
			t.Errorf("%s: %s %d, %d bytes, checksum ok %v, err %v", path, resp.Proto, resp.StatusCode, n, sum == sha(data), err)
		}
	}
}
