package session

import (
	"bytes"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/sock"
	"github.com/sluiceproxy/sluice/internal/testwait"
)

// FuzzSession sends a running HTTP/1.1 session arbitrary bytes as a
// client's and then ends the client's side, each input twice: on a
// connection accepted by package net and on one accepted as a bare
// descriptor (sock.Stream), as http listeners accept them. Whatever the bytes, the
// session answers with HTTP/1.1 responses or nothing (never other bytes),
// closes the connection within 10 s of the client's end and does not
// panic (a panic is recovered and counted in Env.Panics); the harness's
// cleanup waits for every connection's goroutine, so one the bytes left
// behind hangs the test.
func FuzzSession(f *testing.F) {
	h := newHarness(f)
	addrs := []string{h.addr}
	if nl, err := net.Listen("tcp", "127.0.0.1:0"); err != nil {
		f.Fatal(err)
	} else if sl, ok := sock.NewListener(nl); ok {
		// Closed before the harness's cleanup, which waits for the sessions.
		f.Cleanup(func() { sl.Close(); nl.Close() })
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			for {
				st, err := sl.Accept()
				if err != nil {
					return
				}
				h.wg.Add(1)
				go Serve(h.env, h.ln, st, h.wg.Done)
			}
		}()
		addrs = append(addrs, nl.Addr().String())
	} else {
		nl.Close()
		if runtime.GOOS == "linux" {
			f.Fatal("no listener of Streams on Linux")
		}
	}
	for _, s := range []string{
		"",
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
		"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
		"POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
		"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET http://b/x?y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, addr := range addrs {
			fuzzOne(t, h, addr, in)
		}
	})
}

// fuzzOne sends in to the session at addr and checks what FuzzSession
// promises.
func fuzzOne(t *testing.T, h *harness, addr string, in []byte) {
	panics := h.env.Panics.Load()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := testwait.Converse(t, c, in, 50*time.Millisecond)
	if b := got; len(b) > 0 && !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) {
		t.Fatalf("the session sent %q, not an HTTP/1.1 response", b[:min(len(b), 64)])
	}
	if n := h.env.Panics.Load(); n != panics {
		t.Fatalf("the session panicked on %q:\n%s", in, h.logs.String())
	}
}
