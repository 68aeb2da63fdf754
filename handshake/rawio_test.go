package handshake

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// A TLS connection over TCP reads and writes its records with raw system
// calls (conn.io), and keeps net.Conn's contract: data both ways, a read
// deadline that fails with os.ErrDeadlineExceeded (a net.Error timeout), a
// Close that ends a read waiting in the poller with net.ErrClosed, and the
// peer's close read as io.EOF.
func TestTLSRecordsGoThroughRawCalls(t *testing.T) {
	s, ca := newTestServer(t, Settings{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type accepted struct {
		tc  *tls.Conn
		err error
	}
	acc := make(chan accepted, 1)
	go func() {
		b, err := ln.Accept()
		if err != nil {
			acc <- accepted{nil, err}
			return
		}
		tc, _, err := s.Handshake(b, 5*time.Second)
		acc <- accepted{tc, err}
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(a, &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool})
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatal(r.err)
	}
	tc := r.tc
	defer tc.Close()
	if rc, ok := tc.NetConn().(*conn); !ok || !rc.rawIO {
		t.Fatalf("the TLS connection's records do not go through raw calls (%T)", tc.NetConn())
	}

	// Both ways, more than one record.
	big := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	go func() { _, _ = c.Write(big) }()
	got := make([]byte, len(big))
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(tc, got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("server read: %v (equal %v)", err, bytes.Equal(got, big))
	}
	go func() { _, _ = tc.Write(big) }()
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("client read: %v", err)
	}

	// A read deadline passes.
	_ = tc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = tc.Read(got[:1])
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past its deadline: %v, want a timeout", err)
	}

	// A deadline moved later (lazily handed to the poller) lets a read
	// wait past the earlier one for the bytes that come.
	_ = tc.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	_ = tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	go func() { time.Sleep(150 * time.Millisecond); _, _ = c.Write([]byte("late")) }()
	if n, err := tc.Read(got[:4]); err != nil || string(got[:n]) != "late" {
		t.Fatalf("read past the earlier deadline: %q, %v", got[:n], err)
	}
}

func TestTLSRawCallsCloseAndPeerEnd(t *testing.T) {
	s, ca := newTestServer(t, Settings{})
	for _, closer := range []string{"server", "client"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		acc := make(chan *tls.Conn, 1)
		go func() {
			b, err := ln.Accept()
			if err != nil {
				acc <- nil
				return
			}
			tc, _, _ := s.Handshake(b, 5*time.Second)
			acc <- tc
		}()
		a, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c := tls.Client(a, &tls.Config{ServerName: "shop.test", RootCAs: ca.Pool, MaxVersion: tls.VersionTLS12})
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if err := c.Handshake(); err != nil {
			t.Fatal(err)
		}
		tc := <-acc
		ln.Close()
		if tc == nil {
			t.Fatal("handshake failed")
		}
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		done := make(chan error, 1)
		go func() {
			_, err := tc.Read(make([]byte, 1)) // waits in the poller
			done <- err
		}()
		time.Sleep(20 * time.Millisecond)
		if closer == "server" {
			tc.NetConn().Close() // as a hard stop closes the raw connection
			if err := <-done; !errors.Is(err, net.ErrClosed) {
				t.Errorf("read ended by Close: %v, want net.ErrClosed", err)
			}
		} else {
			a.Close() // the client goes away without close_notify
			if err := <-done; err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("read after the client's close: %v, want the end of the stream", err)
			}
		}
		tc.Close()
		c.Close()
	}
}
