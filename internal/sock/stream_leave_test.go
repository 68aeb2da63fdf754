//go:build linux

package sock

import (
	"io"
	"os"
	"sync"
	"testing"
	"time"
)

// TestStreamLeaveKeepsTheConnection: a Stream that joined the poller and
// left it still reads, writes, waits (joining again) and honours its
// deadlines, on another descriptor, and closes it.
func TestStreamLeaveKeepsTheConnection(t *testing.T) {
	c, s := streamPair(t)
	defer c.Close()
	buf := make([]byte, 16)
	s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := s.Read(buf); !os.IsTimeout(err) {
		t.Fatalf("Read with nothing sent: %v, want a timeout", err)
	}
	if s.joined.Load() == nil {
		t.Fatal("the wait did not join the poller")
	}
	old := s.fd
	if !s.Leave() {
		t.Fatal("Leave refused")
	}
	if s.joined.Load() != nil || s.fd == old {
		t.Fatalf("after Leave: joined %v, fd %d (was %d)", s.joined.Load() != nil, s.fd, old)
	}
	// The deadline set before still holds for bare calls.
	if _, err := s.Read(buf); !os.IsTimeout(err) {
		t.Fatalf("Read after Leave past the deadline: %v, want a timeout", err)
	}
	s.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(30 * time.Millisecond)
		c.Write([]byte("again"))
	}()
	n, err := s.Read(buf) // waits: joins again
	if err != nil || string(buf[:n]) != "again" {
		t.Fatalf("Read after Leave = %q, %v", buf[:n], err)
	}
	if s.joined.Load() == nil {
		t.Fatal("the wait after Leave did not join again")
	}
	if _, err := s.Write([]byte("back")); err != nil {
		t.Fatal(err)
	}
	if n, err := io.ReadFull(c, buf[:4]); err != nil || string(buf[:n]) != "back" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
	if !s.Leave() || !s.Leave() { // twice: the second has nothing to do
		t.Fatal("Leave refused")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("client read after Close: %d, %v; want EOF", n, err)
	}
	if s.Leave() {
		t.Fatal("Leave of a closed Stream reported bare")
	}
}

// TestStreamLeaveRacesClose: Close during Leave closes the connection
// once, whichever wins; the race detector watches the descriptor.
func TestStreamLeaveRacesClose(t *testing.T) {
	for range 50 {
		c, s := streamPair(t)
		s.SetReadDeadline(time.Now().Add(time.Millisecond))
		s.Read(make([]byte, 1)) // join
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); s.Leave() }()
		go func() { defer wg.Done(); s.Close() }()
		wg.Wait()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("client read: %d, %v; want EOF (the server end closed)", n, err)
		}
		c.Close()
	}
}
