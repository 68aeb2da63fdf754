package admin

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/order"
)

// TestSlowStreamClientDropped: a client that reads nothing is
// disconnected once its buffer is full; the handler's progress calls
// never wait for it, and the handler's context ends.
func TestSlowStreamClientDropped(t *testing.T) {
	var sent atomic.Int64
	ended := make(chan struct{})
	h := func(ctx context.Context, req order.Request, progress func(string, *order.Content)) order.Response {
		if _, ok := req.Order.(order.SubscribeEvents); !ok {
			return order.Response{Status: order.StatusOK}
		}
		defer close(ended)
		ev := &order.Event{Kind: order.ConfigChanged, Object: strings.Repeat("x", 4096)}
		for ctx.Err() == nil { // as fast as it can: never blocked by the client
			progress("", &order.Content{Event: ev})
			sent.Add(1)
		}
		return order.Response{Status: order.StatusOK}
	}
	_, base := serve(t, Config{Handler: h, StreamBuffer: 8, WriteTimeout: 200 * time.Millisecond})
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	select { // the client reads nothing
	case <-ended:
	case <-time.After(wait):
		t.Fatalf("the stream of a client that reads nothing goes on (%d events sent)", sent.Load())
	}
	// The connection is closed by the server: reading reaches its end.
	c.SetReadDeadline(time.Now().Add(wait))
	r := bufio.NewReader(c)
	for {
		if _, err := r.ReadString('\n'); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the server kept the connection of a dropped client")
			}
			break
		}
	}
}

// TestStreamsEndOnClose: Close ends open streams and waits for their
// goroutines (goleak checks none is left).
func TestStreamsEndOnClose(t *testing.T) {
	s, err := New(Config{Handler: echo, StreamInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	var readers []chan error
	for _, path := range []string{"/api/events", "/api/metrics/stream"} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path)
		r := bufio.NewReader(c)
		line, err := r.ReadString('\n')
		if err != nil || !strings.Contains(line, "200") {
			t.Fatalf("%s: %q %v", path, line, err)
		}
		done := make(chan error, 1)
		go func() {
			for {
				if _, err := r.ReadString('\n'); err != nil {
					done <- err
					return
				}
			}
		}()
		readers = append(readers, done)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, done := range readers {
		select {
		case <-done:
		case <-time.After(wait):
			t.Fatal("a stream outlived Close")
		}
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// TestMaxStreams: streams beyond MaxStreams are answered 503.
func TestMaxStreams(t *testing.T) {
	_, base := serve(t, Config{MaxStreams: 1})
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("first stream: %q %v", line, err)
	}
	if status, body := do(t, "GET", base+"/api/events", ""); status != 503 || !strings.Contains(body, "streams are open") {
		t.Errorf("second stream: %d %s", status, body)
	}
}
