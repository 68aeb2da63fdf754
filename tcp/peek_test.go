package tcp

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/order"
)

// captured is a ClientHello for a.test, as crypto/tls writes it.
func captured(tb testing.TB) []byte {
	var out bytes.Buffer
	_ = tls.Client(writeOnly{&out}, &tls.Config{ServerName: "a.test"}).Handshake()
	if out.Len() == 0 {
		tb.Fatal("no ClientHello")
	}
	return out.Bytes()
}

// writeOnly records writes; reads end the handshake.
type writeOnly struct{ w *bytes.Buffer }

func (c writeOnly) Read([]byte) (int, error)         { return 0, io.EOF }
func (c writeOnly) Write(p []byte) (int, error)      { return c.w.Write(p) }
func (c writeOnly) Close() error                     { return nil }
func (c writeOnly) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c writeOnly) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c writeOnly) SetDeadline(time.Time) error      { return nil }
func (c writeOnly) SetReadDeadline(time.Time) error  { return nil }
func (c writeOnly) SetWriteDeadline(time.Time) error { return nil }

// sniFixture is the relay fixture with a server-name route for a.test to
// the echo origin and no default route.
func sniFixture(tb testing.TB) *relayFixture {
	f := newFixture(tb, defaultSettings())
	c := f.ln.Routes().Default
	f.ln.SetRoute("", nil)
	f.ln.SetRoute("a.test", c)
	return f
}

// TestSNIReplay: the ClientHello read to route reaches the backend first
// and whole (the echo origin sends it back), then bytes flow as usual.
func TestSNIReplay(t *testing.T) {
	f := sniFixture(t)
	hello := captured(t)
	c, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := append(append([]byte(nil), hello...), "after"...)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d bytes: %v, equal %v", len(msg), err, bytes.Equal(got, msg))
	}
	// Without a route for the name and no default: closed.
	f.ln.SetRoute("a.test", nil)
	f.ln.SetRoute("other.test", backend.NewCluster(&backend.Settings{Cluster: order.Cluster{ID: "o", Protocol: order.TCP}}, nil))
	c2, err := net.Dial("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	c2.Write(hello)
	if n, err := c2.Read(got); err == nil {
		t.Fatalf("no route: read %d bytes", n)
	}
}

// BenchmarkShortConnectionSNI is BenchmarkShortConnection on a listener
// routing by server name: each connection sends a ClientHello (about
// 1.5 KiB with crypto/tls's default key shares), which is peeked, matched,
// replayed and echoed. Compare with BenchmarkShortConnection for the cost
// of the peek (allocs/op counts the whole process).
func BenchmarkShortConnectionSNI(b *testing.B) {
	f := sniFixture(b)
	hello := captured(b)
	buf := make([]byte, len(hello))
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", f.addr)
		if err != nil {
			b.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(hello); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
