package proxy_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/proxyproto"
	"github.com/sluiceproxy/sluice/internal/testcert"
	"github.com/sluiceproxy/sluice/metrics"
	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/proxy"
)

// tlsOrigin terminates TLS with its own certificate and answers each
// connection with "<id> <server name it saw>\n", then echoes. With
// readProxy it first reads a PROXY protocol header and sends it to heads.
func tlsOrigin(t *testing.T, id string, leaf testcert.Leaf, heads chan<- proxyproto.Header) *rawOrigin {
	cert, err := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	return newRawOrigin(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(ioTimeout))
		if heads != nil {
			var h proxyproto.Header
			if _, err := proxyproto.Read(c, make([]byte, proxyproto.DefaultMaxV2), &h); err != nil {
				h.Version = -1
			}
			heads <- h
		}
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		io.WriteString(tc, id+" "+tc.ConnectionState().ServerName+"\n")
		io.Copy(tc, tc)
		tc.CloseWrite()
	})
}

// sniHarness is a proxy with a tcp listener routing by server name:
// a.test to origin A (with a PROXY header), b.test and *.w.test to B, and
// by default to D; each origin has its own certificate.
type sniHarness struct {
	*harness
	TCP     string
	ca      *testcert.CA
	heads   chan proxyproto.Header
	origins map[string]*rawOrigin
}

func startSNI(t *testing.T, reqTimeout time.Duration) *sniHarness {
	t.Helper()
	ca := testcert.NewCA()
	addr := freeAddr(t)
	reg := metrics.NewRegistry()
	h := startProxy(t, func(c *proxy.Config) {
		c.Metrics = reg
		c.Listeners = append(c.Listeners, order.Listener{Protocol: order.TCP, Address: addr, Active: true,
			RequestTimeout: order.Duration(reqTimeout)})
	})
	s := &sniHarness{harness: h, TCP: addr, ca: ca, heads: make(chan proxyproto.Header, 16), origins: map[string]*rawOrigin{}}
	for _, o := range []struct {
		id, hostname string
		names        []string
		sendProxy    bool
	}{
		{"A", "a.test", []string{"a.test"}, true},
		{"B", "B.Test", []string{"b.test", "*.w.test"}, false},
		{"D", "", []string{"default.test"}, false},
	} {
		var heads chan<- proxyproto.Header
		if o.sendProxy {
			heads = s.heads
		}
		origin := tlsOrigin(t, o.id, ca.Leaf(o.names, testcert.Options{}), heads)
		s.origins[o.id] = origin
		h.Must(order.AddCluster{Cluster: order.Cluster{ID: o.id, Protocol: order.TCP, SendProxy: o.sendProxy}})
		h.Must(order.AddBackend{Backend: order.Backend{ClusterID: o.id, ID: "b", Address: origin.Addr}})
		h.Must(order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: addr, Hostname: o.hostname, ClusterID: o.id}})
	}
	h.Must(order.AddTCPFrontend{TCPFrontend: order.TCPFrontend{Address: addr, Hostname: "*.w.test", ClusterID: "B"}})
	return s
}

// slowWriter splits every write into writes of 7 bytes, so the proxy
// reads the ClientHello in pieces.
type slowWriter struct{ net.Conn }

func (w slowWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		m, err := w.Conn.Write(p[:min(7, len(p))])
		n += m
		if err != nil {
			return n, err
		}
		p = p[m:]
		time.Sleep(100 * time.Microsecond)
	}
	return n, nil
}

// dial makes a TLS connection through the listener with server name sni
// (none when empty: the client then checks no name), verifying the
// origin's certificate against the test CA, and returns the origin's
// greeting and the certificate's names.
func (s *sniHarness) dial(t *testing.T, sni string, slow bool) (string, []string, error) {
	t.Helper()
	raw := dialTCP(t, s.TCP)
	var c net.Conn = raw
	if slow {
		c = slowWriter{raw}
	}
	cfg := &tls.Config{ServerName: sni, RootCAs: s.ca.Pool, InsecureSkipVerify: sni == ""}
	tc := tls.Client(c, cfg)
	defer tc.Close()
	if err := tc.Handshake(); err != nil {
		return "", nil, err
	}
	names := tc.ConnectionState().PeerCertificates[0].DNSNames
	line, err := bufio.NewReader(tc).ReadString('\n')
	if err != nil {
		return "", names, err
	}
	// The relay is two-way after the greeting: an echo through TLS.
	if got := roundTrip(t, tc, "ping"); got != "ping" {
		t.Errorf("echo %q", got)
	}
	return strings.TrimSuffix(line, "\n"), names, nil
}

// TestSNIPassthrough: a tcp listener routes TLS connections by their
// server name without terminating TLS: each client gets the certificate of
// the origin its name routes to, names match case-insensitively and by
// wildcard, unknown names and hellos without SNI take the default route,
// a hello in many small pieces is put together, the PROXY header of a
// send_proxy cluster comes before the replayed hello, and each route's
// cluster counts its connections.
func TestSNIPassthrough(t *testing.T) {
	s := startSNI(t, 5*time.Second)
	for _, c := range []struct {
		sni       string
		slow      bool
		want      string
		wantNames string
	}{
		{"a.test", false, "A a.test", "a.test"},
		{"a.test", true, "A a.test", "a.test"},
		{"b.test", false, "B b.test", "b.test"},
		{"x.w.test", true, "B x.w.test", "*.w.test"},
		{"default.test", false, "D default.test", "default.test"},
		{"", false, "D ", "default.test"},
	} {
		got, names, err := s.dial(t, c.sni, c.slow)
		if err != nil || got != c.want || !slices.Contains(names, c.wantNames) {
			t.Errorf("server name %q (slow %v): got %q from a certificate for %v, %v; want %q from %s",
				c.sni, c.slow, got, names, err, c.want, c.wantNames)
		}
		if c.want[0] == 'A' {
			select {
			case hd := <-s.heads:
				if hd.Version < 0 || !hd.HasAddrs() || hd.Source.Addr().String() != "127.0.0.1" {
					t.Errorf("origin A got PROXY header %+v", hd)
				}
			case <-time.After(ioTimeout):
				t.Fatal("origin A got no PROXY header")
			}
		}
	}
	// An unknown name: the client sees the default origin's certificate,
	// which does not cover it.
	if _, _, err := s.dial(t, "unknown.test", false); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown.test: %v; want a certificate error from the default origin", err)
	}
	// Case-insensitive: the client sends the name as given.
	if got, _, err := s.dial(t, "A.TEST", false); err != nil || got != "A A.TEST" {
		t.Errorf("A.TEST: %q, %v", got, err)
	}
	<-s.heads
	// A client that does not speak TLS takes the default route, its bytes
	// relayed (the TLS origin then gives up on them).
	before := s.origins["D"].Accepted.Load()
	c := dialTCP(t, s.TCP)
	io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
	c.Read(make([]byte, 1))
	c.Close()
	if got := s.origins["D"].Accepted.Load(); got != before+1 {
		t.Errorf("plain text: the default origin accepted %d connections, want 1", got-before)
	}
	want := map[string]int64{"A": 3, "B": 2, "D": 4}
	eventually(t, ioTimeout, "each route's connections to be counted", func() bool {
		m := s.Must(order.Metrics{}).Content.Metrics
		for _, c := range m.Clusters {
			if want[c.ClusterID] != c.Requests {
				return false
			}
		}
		return len(m.Clusters) == 3
	})
}

// TestSNINoDefault: without a default route, a name no route takes and a
// client that does not speak TLS are closed; routes by name still work.
func TestSNINoDefault(t *testing.T) {
	s := startSNI(t, 5*time.Second)
	s.Must(order.RemoveTCPFrontend{TCPFrontend: order.TCPFrontend{Address: s.TCP}})
	if _, _, err := s.dial(t, "unknown.test", false); err == nil || !isClosed(err) {
		t.Errorf("unknown name without a default route: %v; want the connection closed", err)
	}
	c := dialTCP(t, s.TCP)
	io.WriteString(c, "GET / HTTP/1.1\r\n\r\n")
	if n, err := c.Read(make([]byte, 10)); err == nil {
		t.Errorf("plain text without a default route: read %d bytes", n)
	}
	if got, _, err := s.dial(t, "b.test", false); err != nil || got != "B b.test" {
		t.Errorf("b.test: %q, %v", got, err)
	}
}

// isClosed reports whether a handshake error is the proxy closing the
// connection (EOF or a reset).
func isClosed(err error) bool {
	var ne *net.OpError
	return errors.Is(err, io.EOF) || errors.As(err, &ne) || strings.Contains(err.Error(), "reset")
}

// TestSNISilentClient: a client that sends nothing, or half a ClientHello,
// is cut once the listener's request timeout has passed, and counted as a
// client timeout.
func TestSNISilentClient(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := startSNI(t, timeout)
	for _, first := range []string{"", "\x16\x03\x01\x02\x00\x01"} {
		start := time.Now() // before the connect: the proxy's deadline starts after it
		c := dialTCP(t, s.TCP)
		io.WriteString(c, first)
		n, err := c.Read(make([]byte, 10))
		if err == nil || isTimeout(err) {
			t.Fatalf("sent %q: read %d bytes, %v; want the proxy to close", first, n, err)
		}
		if d := time.Since(start); d < timeout {
			t.Errorf("sent %q: closed after %v, before the request timeout %v", first, d, timeout)
		}
	}
	eventually(t, ioTimeout, "the timeouts to be counted", func() bool {
		for _, l := range s.Must(order.Metrics{}).Content.Metrics.Listeners {
			if l.Address == s.TCP {
				return l.Errors.Timeout == 2
			}
		}
		return false
	})
}
