package tlsidle

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testcert"
)

// TestLayout fails when crypto/tls no longer has the fields Release resets:
// idle TLS connections would then keep their buffers.
func TestLayout(t *testing.T) {
	if !Supported() {
		t.Fatal("crypto/tls.Conn has no rawInput/input/hand buffers or no in.Mutex where tlsidle looks: " +
			"idle TLS connections keep their read buffers; update tlsidle for this Go")
	}
}

// pair returns the server and client ends of a TLS connection over
// loopback, handshake done, at version v, and the client's socket.
func pair(t *testing.T, v uint16) (srv, cli *tls.Conn, ctl *ctlConn) {
	t.Helper()
	ca := testcert.NewCA()
	leaf := ca.Leaf([]string{"localhost"}, testcert.Options{})
	cert, err := tls.X509KeyPair([]byte(leaf.Cert), []byte(leaf.Key))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	rawCli, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rawSrv := <-accepted
	if rawSrv == nil {
		t.Fatal("accept failed")
	}
	srv = tls.Server(rawSrv, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: v, MaxVersion: v})
	ctl = &ctlConn{Conn: rawCli}
	cli = tls.Client(ctl, &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", MinVersion: v, MaxVersion: v})
	t.Cleanup(func() { srv.Close(); cli.Close() })
	done := make(chan error, 1)
	go func() { done <- cli.Handshake() }()
	if err := srv.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return srv, cli, ctl
}

// roundTrip sends msg from the client and reads it on the server, then
// the other way.
func roundTrip(t *testing.T, srv, cli *tls.Conn, msg string) {
	t.Helper()
	for _, ends := range [][2]*tls.Conn{{cli, srv}, {srv, cli}} {
		wrote := make(chan error, 1)
		go func() { _, err := ends[0].Write([]byte(msg)); wrote <- err }()
		got := make([]byte, len(msg))
		_, err := io.ReadFull(ends[1], got)
		if werr := <-wrote; werr != nil {
			t.Fatal(werr)
		}
		if err != nil || string(got) != msg {
			t.Fatalf("read %q, %v; want %q", got, err, msg)
		}
	}
}

func TestReleaseAndReadAgain(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			srv, cli, _ := pair(t, v)
			roundTrip(t, srv, cli, "before the release")
			if raw, hand := Held(srv); raw == 0 || (v == tls.VersionTLS13 && hand == 0) {
				t.Fatalf("before: rawInput cap %d, hand cap %d; the test expects buffers to release", raw, hand)
			}
			if !Release(srv) {
				t.Fatal("Release of an idle connection released nothing")
			}
			if raw, hand := Held(srv); raw != 0 || hand != 0 {
				t.Fatalf("after: rawInput cap %d, hand cap %d, want 0 and 0", raw, hand)
			}
			for i := range 3 { // the buffers grow again, and go again
				roundTrip(t, srv, cli, "after the release, and a longer message than before")
				if !Release(srv) {
					t.Fatalf("release %d released nothing", i+2)
				}
			}
		})
	}
}

// A Read that timed out with part of a record read keeps it: the rest of
// the record completes it.
func TestReleaseKeepsAPartialRecord(t *testing.T) {
	srv, cli, ctl := pair(t, tls.VersionTLS13)
	roundTrip(t, srv, cli, "before")
	msg := "a record sent in two parts"
	ctl.capture = true // the client's record is kept, for the test to send
	if _, err := cli.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	ctl.capture = false
	record := ctl.captured
	if _, err := ctl.Conn.Write(record[:3]); err != nil {
		t.Fatal(err)
	}
	_ = srv.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 64)
	if _, err := srv.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read of a partial record: %v, want a timeout", err)
	}
	if Release(srv) {
		t.Fatal("Release dropped a partial record")
	}
	if _, err := ctl.Conn.Write(record[3:]); err != nil {
		t.Fatal(err)
	}
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := srv.Read(buf)
	if err != nil || string(buf[:n]) != msg {
		t.Fatalf("read %q, %v; want %q", buf[:n], err, msg)
	}
}

// A Read waiting holds the lock: Release gives up at once and the Read
// goes on.
func TestReleaseDuringARead(t *testing.T) {
	srv, cli, _ := pair(t, tls.VersionTLS13)
	roundTrip(t, srv, cli, "before")
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		n, _ := srv.Read(b)
		got <- string(b[:n])
	}()
	time.Sleep(50 * time.Millisecond) // most likely waiting in Read by now; either way is right
	Release(srv)
	if _, err := cli.Write([]byte("during")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "during" {
		t.Fatalf("read %q, want %q", s, "during")
	}
}

// ctlConn is the client's socket; while capture is set its writes are kept
// in captured instead of sent.
type ctlConn struct {
	net.Conn
	capture  bool
	captured []byte
}

func (c *ctlConn) Write(p []byte) (int, error) {
	if c.capture {
		c.captured = append(c.captured, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}
