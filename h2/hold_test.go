package h2

import (
	"bytes"
	"net"
	"net/http"
	"sync"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// TestWorthHolding: the writer holds only a queue of whole responses,
// fewer than the streams of the connection still waiting for a response
// head, and not again within the same write or while cooling down after a
// hold in vain.
func TestWorthHolding(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		batch, unbegun, cool      int
		whole, held, closing, out bool
		want                      bool
	}{
		{name: "one response, nine coming", batch: 1, unbegun: 9, whole: true, want: true},
		{name: "four responses, five coming", batch: 4, unbegun: 5, whole: true, want: true},
		{name: "as many queued as coming", batch: 5, unbegun: 5, whole: true},
		{name: "nothing coming", batch: 3, whole: true},
		{name: "no whole response queued", unbegun: 9, whole: true},
		{name: "other frames queued", batch: 1, unbegun: 9},
		{name: "held once already", batch: 1, unbegun: 9, whole: true, held: true},
		{name: "cooling down", batch: 1, unbegun: 9, whole: true, cool: 3},
		{name: "connection ending", batch: 1, unbegun: 9, whole: true, closing: true},
		{name: "a stream waits for room", batch: 1, unbegun: 9, whole: true, out: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &conn{batch: tc.batch, unbegun: tc.unbegun, cool: tc.cool, held: tc.held, wclosed: tc.closing}
			c.out = make([]byte, 10)
			c.plain = 10
			if !tc.whole {
				c.plain = 4
			}
			if tc.out {
				c.waitOut = 1
			}
			if got := c.worthHolding(); got != tc.want {
				t.Errorf("worthHolding = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestHeldResponseDoesNotWaitForSlowSiblings: a response queued while two
// other streams of its connection wait for a backend that does not answer
// is held for a moment only: it reaches the client while they still wait,
// and theirs follow once the backend answers.
func TestHeldResponseDoesNotWaitForSlowSiblings(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		_, _ = w.Write([]byte("hello\n"))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { free(); _ = srv.Close() })

	ts := startServer(t, testOptions{plain: true, origin: ln.Addr().String(), maxIdle: 8})
	cl := ts.dial(t)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	get := func(path string) []byte {
		return block(enc, &hb, ":method", "GET", ":scheme", "https", ":authority", "bench.test", ":path", path)
	}
	var b []byte
	b = headersFrame(b, 1, get("/slow"), true)
	b = headersFrame(b, 3, get("/slow"), true)
	b = headersFrame(b, 5, get("/"), true)
	cl.write(b)
	// The frame reads give up after 10 s: a hold that waited for the slow
	// streams would fail here.
	if st, reset, goAway, _ := cl.await(5); st != "200" || reset || goAway {
		t.Fatalf("the fast stream: status %q reset %v goaway %v", st, reset, goAway)
	}
	select {
	case <-release:
		t.Fatal("released early")
	default:
	}
	free()
	for _, id := range []uint32{1, 3} {
		if st, reset, goAway, _ := cl.await(id); st != "200" || reset || goAway {
			t.Errorf("stream %d: status %q reset %v goaway %v", id, st, reset, goAway)
		}
	}
}
