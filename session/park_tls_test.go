//go:build linux

package session

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/internal/testwait"
	"github.com/sluiceproxy/sluice/internal/tlsidle"
)

// tlsAddr serves HTTP/1.1 over TLS on a new loopback port through h's Env
// and listener, as the proxy's https listeners do.
func (h *harness) tlsAddr(t *testing.T) string {
	t.Helper()
	return h.tlsAddrSeen(t, nil)
}

// tlsAddrSeen is tlsAddr, and gives each server-side connection to seen
// (when not nil) before serving it.
func (h *harness) tlsAddrSeen(t *testing.T, seen func(*tls.Conn)) string {
	t.Helper()
	leaf := testcert.NewCA().Leaf([]string{"x"}, testcert.Options{})
	kp, err := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{kp}, NextProtos: []string{"http/1.1"}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			tc := tls.Server(conn, cfg)
			if err := tc.Handshake(); err != nil {
				conn.Close()
				continue
			}
			if seen != nil {
				seen(tc)
			}
			h.wg.Add(1)
			go ServeTLS(h.env, h.ln, tc, nil, nil, h.wg.Done)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func dialTLS(t *testing.T, addr string) *tls.Conn {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: "x"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestIdleTLSConnectionParksAndWakes: an idle TLS connection parks like a
// plain one (no goroutine), wakes for its next request, parks again, and
// times out while parked.
func TestIdleTLSConnectionParksAndWakes(t *testing.T) {
	h := newHarnessParking(t, 10*time.Millisecond, 2*time.Second)
	addr := h.tlsAddr(t)
	const n = 10
	conns := make([]*tls.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		conns[i] = dialTLS(t, addr)
		readers[i] = bufio.NewReader(conns[i])
		if resp := get(t, conns[i], readers[i], "/first"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	testwait.For(t, "every TLS connection to park", func() bool { return h.env.Parked() == n })
	before := sluiceGoroutines()
	for round := range 3 {
		for i, c := range conns {
			// Two requests in one write: the second stays inside crypto/tls
			// or the session's buffer, and must be served without a wake.
			if _, err := c.Write([]byte("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"path /a", "path /b"} {
				resp, body := readResp(t, readers[i])
				if resp.StatusCode != 200 || body != want {
					t.Fatalf("round %d: %d %q, want %q", round, resp.StatusCode, body, want)
				}
			}
		}
		testwait.For(t, "the TLS connections to park again", func() bool { return h.env.Parked() == n })
	}
	expectNoSessionGoroutines(t, before, fmt.Sprint(n, " parked TLS connections"))
	// Parked, they still time out (front timeout 2 s).
	start := time.Now()
	for _, c := range conns {
		expectClosed(t, c, 5*time.Second)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("closed after %v, want about 2s", d)
	}
	testwait.For(t, "the sessions to end", func() bool { return h.ln.Conns() == 0 && h.env.Parked() == 0 })
}

// TestTLSRecordSplitAcrossAPark: a request whose TLS record arrives in two
// pieces, the first waking a parked connection, is read whole: the partial
// record waits inside crypto/tls and the connection parks again on it.
func TestTLSRecordSplitAcrossAPark(t *testing.T) {
	h := newHarnessParking(t, 10*time.Millisecond, 5*time.Second)
	addr := h.tlsAddr(t)
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// The client writes through a pipe so the test can cut its records.
	cut := &cutConn{Conn: raw}
	c := tls.Client(cut, &tls.Config{InsecureSkipVerify: true, ServerName: "x"})
	defer c.Close()
	r := bufio.NewReader(c)
	if resp := get(t, c, r, "/first"); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	testwait.For(t, "the connection to park", func() bool { return h.env.Parked() == 1 })
	cut.hold = true
	if _, err := c.Write([]byte("GET /split HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	rec := cut.held
	if _, err := raw.Write(rec[:7]); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the connection to park on the partial record", func() bool { return h.env.Parks.Load() >= 2 && h.env.Parked() == 1 })
	if _, err := raw.Write(rec[7:]); err != nil {
		t.Fatal(err)
	}
	resp, body := readResp(t, r)
	if resp.StatusCode != 200 || body != "path /split" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}

// TestParkedTLSConnectionReleasesReadBuffers: a parked TLS connection
// keeps none of crypto/tls's read buffers, however large its last request,
// and is served again when it wakes.
func TestParkedTLSConnectionReleasesReadBuffers(t *testing.T) {
	h := newHarnessParking(t, 10*time.Millisecond, 5*time.Second)
	conns := make(chan *tls.Conn, 1)
	addr := h.tlsAddrSeen(t, func(tc *tls.Conn) { conns <- tc })
	c := dialTLS(t, addr)
	tc := <-conns
	r := bufio.NewReader(c)
	big := strings.Repeat("x", 6000) // a record of 6 KB: crypto/tls's buffer grows past it
	for i := range 3 {
		if _, err := fmt.Fprintf(c, "GET /r%d HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", i, big); err != nil {
			t.Fatal(err)
		}
		if resp, body := readResp(t, r); resp.StatusCode != 200 || body != fmt.Sprintf("path /r%d", i) {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		testwait.For(t, "the connection to park", func() bool { return h.env.Parks.Load() >= int64(i+1) && h.env.Parked() == 1 })
		if rawInput, hand := tlsidle.Held(tc); rawInput != 0 || hand != 0 {
			t.Fatalf("parked after request %d: crypto/tls keeps %d and %d bytes of read buffers", i, rawInput, hand)
		}
	}
}

// cutConn holds back what is written through it once hold is set.
type cutConn struct {
	net.Conn
	hold bool
	held []byte
}

func (c *cutConn) Write(p []byte) (int, error) {
	if c.hold {
		c.held = append(c.held, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// readResp reads one response and its whole body.
func readResp(t *testing.T, r *bufio.Reader) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}
