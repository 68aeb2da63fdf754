package sni

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"
)

// captureConn records what a tls.Client writes and ends its handshake at
// the first read.
type captureConn struct {
	net.Conn // nil: only the methods below are called
	out      bytes.Buffer
}

func (c *captureConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *captureConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (c *captureConn) Close() error                     { return nil }
func (c *captureConn) SetDeadline(time.Time) error      { return nil }
func (c *captureConn) SetReadDeadline(time.Time) error  { return nil }
func (c *captureConn) SetWriteDeadline(time.Time) error { return nil }
func (c *captureConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *captureConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }

// writeHello returns the bytes a crypto/tls client sends first with cfg.
func writeHello(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	c := &captureConn{}
	_ = tls.Client(c, cfg).Handshake() // fails at the read; the hello is written
	if c.out.Len() == 0 {
		t.Fatal("no ClientHello written")
	}
	return c.out.Bytes()
}

// serverSees returns the server name crypto/tls's server reads from b, and
// whether it accepted b as a ClientHello at all.
func serverSees(b []byte) (string, bool) {
	var name string
	seen := false
	cfg := &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		name, seen = h.ServerName, true
		return nil, errors.New("stop")
	}}
	_ = tls.Server(&replayConn{r: bytes.NewReader(b)}, cfg).Handshake()
	return name, seen
}

// replayConn serves reads from r and discards writes.
type replayConn struct {
	captureConn
	r *bytes.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// refragment splits the handshake bytes of a single-record hello into
// records of the sizes sz gives (at least 1).
func refragment(hello []byte, sz func() int) []byte {
	msg := hello[recordHeader:]
	var out []byte
	for len(msg) > 0 {
		n := min(sz(), len(msg))
		out = append(out, recordHandshake, 3, 1, byte(n>>8), byte(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

// chunkConn delivers b in reads of the sizes sz gives.
type chunkConn struct {
	b  []byte
	sz func() int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(c.sz(), len(c.b), len(p))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}
func (c *chunkConn) SetReadDeadline(time.Time) error { return nil }

var versions = []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}

// randomConfig is a client configuration with a random server name (or
// none), versions, ALPN protocols and cipher suites.
func randomConfig(r *rand.Rand) (*tls.Config, string) {
	var name string
	switch r.IntN(4) {
	case 0: // no SNI
	case 1:
		name = "a.test"
	default:
		labels := make([]string, 1+r.IntN(6))
		for i := range labels {
			l := make([]byte, 1+r.IntN(20))
			for j := range l {
				l[j] = "abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789-"[r.IntN(46)]
			}
			l[0], l[len(l)-1] = 'x', 'Y'
			labels[i] = string(l)
		}
		name = strings.Join(labels, ".")
	}
	lo := versions[r.IntN(4)]
	hi := versions[r.IntN(4)]
	if hi < lo {
		lo, hi = hi, lo
	}
	cfg := &tls.Config{ServerName: name, MinVersion: lo, MaxVersion: hi, InsecureSkipVerify: name == ""}
	for range r.IntN(4) {
		cfg.NextProtos = append(cfg.NextProtos, []string{"h2", "http/1.1", "acme-tls/1", strings.Repeat("p", 1+r.IntN(200))}[r.IntN(4)])
	}
	if r.IntN(2) == 0 {
		cfg.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305}
	}
	if r.IntN(3) == 0 {
		cfg.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}
	}
	if r.IntN(3) == 0 {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	return cfg, name
}

// TestDifferentialCryptoTLS: for ClientHellos written by crypto/tls's
// client (random names, versions, ALPN, cipher suites, key shares, and
// hellos without SNI), Parse finds the name the client sent and that
// crypto/tls's server reads, whole, re-fragmented into records of random
// sizes, and read by Peek in chunks of random sizes.
func TestDifferentialCryptoTLS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	scratch := make([]byte, MaxHello)
	buf := make([]byte, MaxHello)
	for i := range 300 {
		cfg, want := randomConfig(r)
		hello := writeHello(t, cfg)
		if got, ok := serverSees(hello); !ok || got != want {
			t.Fatalf("case %d: crypto/tls server saw %q (accepted %v), client sent %q", i, got, ok, want)
		}
		fragged := refragment(hello, func() int { return 1 + r.IntN(300) })
		if got, ok := serverSees(fragged); !ok || got != want {
			t.Fatalf("case %d: crypto/tls server saw %q in fragmented hello (accepted %v), want %q", i, got, ok, want)
		}
		for k, b := range [][]byte{hello, fragged} {
			name, err := Parse(b, scratch)
			if err != nil || string(name) != want {
				t.Fatalf("case %d.%d: Parse = %q, %v; want %q (%x)", i, k, name, err, want, b)
			}
			for cut := range min(len(b), 64) {
				if _, err := Parse(b[:cut], scratch); err != ErrNeedMore {
					t.Fatalf("case %d: Parse of %d bytes: %v, want ErrNeedMore", i, cut, err)
				}
			}
			c := &chunkConn{b: b, sz: func() int { return 1 + r.IntN(100) }}
			n, name, err := Peek(c, buf, scratch, time.Second)
			if err != nil || string(name) != want || !bytes.Equal(buf[:n], b[:n]) {
				t.Fatalf("case %d: Peek = %d, %q, %v; want %q", i, n, name, err, want)
			}
		}
	}
}

// TestParseCases: the answers for inputs that are not a well-formed hello.
func TestParseCases(t *testing.T) {
	scratch := make([]byte, MaxHello)
	hello := writeHello(t, &tls.Config{ServerName: "a.test"})
	tooLong := append([]byte{22, 3, 1, 0x40, 0x01}, make([]byte, 1<<14+1)...)
	bigMsg := []byte{22, 3, 1, 0, 4, 1, 0x00, 0x40, 0x00} // ClientHello of 16 KiB + 4
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNeedMore},
		{"http", []byte("GET / HTTP/1.1\r\n"), ErrNotTLS},
		{"sslv2", []byte{0x80, 0x2e, 0x01, 0x03, 0x01}, ErrNotTLS},
		{"one byte", []byte{22}, ErrNeedMore},
		{"alert", []byte{21, 3, 1, 0, 2, 2, 40}, ErrNotTLS},
		{"bad version", []byte{22, 2, 0, 0, 4, 1, 0, 0, 0}, malformed("")},
		{"empty record", []byte{22, 3, 1, 0, 0}, malformed("")},
		{"server hello", []byte{22, 3, 3, 0, 4, 2, 0, 0, 0}, malformed("")},
		{"record over 16 KiB", tooLong, malformed("")},
		{"message over 16 KiB", bigMsg, ErrTooLarge},
		{"truncated body", []byte{22, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3}, malformed("")},
		{"whole hello", hello, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.in, scratch)
			switch {
			case c.want == malformed(""):
				if !IsMalformed(err) {
					t.Fatalf("err = %v, want malformed", err)
				}
			case err != c.want:
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

// TestPeekLimits: Peek stops at MaxHello bytes, passes on read errors, and
// decides "not TLS" from the first byte without waiting for more.
func TestPeekLimits(t *testing.T) {
	scratch := make([]byte, MaxHello)
	buf := make([]byte, 2*MaxHello)
	// A stream of one-byte handshake records never completes a hello.
	endless := []byte{22, 3, 1, 0, 4, 1, 0, 0x3f, 0xf0} // a ClientHello of 16 KiB - 16 bytes
	for len(endless) < 2*MaxHello {
		endless = append(endless, 22, 3, 1, 0, 1, 0)
	}
	hello := writeHello(t, &tls.Config{ServerName: "a.test"})
	n, _, err := Peek(&chunkConn{b: endless, sz: func() int { return 1000 }}, buf, scratch, time.Second)
	if err != ErrTooLarge || n > MaxHello {
		t.Fatalf("Peek = %d, %v; want at most %d bytes and ErrTooLarge", n, err, MaxHello)
	}
	n, _, err = Peek(&chunkConn{b: hello[:100], sz: func() int { return 7 }}, buf, scratch, time.Second)
	if err != io.EOF || n != 100 {
		t.Fatalf("Peek of a cut hello = %d, %v; want 100, EOF", n, err)
	}
	n, _, err = Peek(&chunkConn{b: []byte("SSH-2.0-x\r\n"), sz: func() int { return 1 }}, buf, scratch, time.Second)
	if err != ErrNotTLS || n != 1 {
		t.Fatalf("Peek of SSH = %d, %v; want 1, ErrNotTLS", n, err)
	}
}

// TestPeekTimeout: a client that sends nothing is given up after the
// timeout, over a real socket.
func TestPeekTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	cc.Write(hello13[:20])
	start := time.Now()
	_, _, err = Peek(sc.(*net.TCPConn), make([]byte, MaxHello), make([]byte, MaxHello), 100*time.Millisecond)
	if !IsTimeout(err) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("gave up after %v", d)
	}
}

var hello13 = func() []byte {
	c := &captureConn{}
	_ = tls.Client(c, &tls.Config{ServerName: "a.test"}).Handshake()
	return c.out.Bytes()
}()

// TestPeekAllocatesNothing: a whole peek, fragmented hello included.
func TestPeekAllocatesNothing(t *testing.T) {
	scratch := make([]byte, MaxHello)
	buf := make([]byte, MaxHello)
	fragged := refragment(hello13, func() int { return 100 })
	c := &chunkConn{}
	allocs := testing.AllocsPerRun(100, func() {
		c.b, c.sz = fragged, func() int { return 50 }
		if _, name, err := Peek(c, buf, scratch, time.Second); err != nil || string(name) != "a.test" {
			t.Fatalf("Peek: %q %v", name, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per peek", allocs)
	}
}

// FuzzParse: Parse never panics, never reads past its input, and agrees
// with crypto/tls's server: when that accepts the bytes as a ClientHello
// with a name, Parse finds the same name.
func FuzzParse(f *testing.F) {
	f.Add(hello13)
	f.Add(refragment(hello13, func() int { return 33 }))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	scratch := make([]byte, MaxHello)
	f.Fuzz(func(t *testing.T, b []byte) {
		name, err := Parse(b, scratch)
		if err == nil && len(name) == 0 && name != nil {
			t.Fatal("empty name")
		}
		if want, ok := serverSees(b); ok && want != "" && (err != nil || string(name) != want) {
			t.Fatalf("crypto/tls read %q; Parse = %q, %v", want, name, err)
		}
	})
}
