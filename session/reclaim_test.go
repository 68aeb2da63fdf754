//go:build linux

package session

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
	"github.com/sluiceproxy/sluice/listener"
)

// states counts the listener's sessions that wait (idle or parked) and
// those that are busy.
func states(l *listener.HTTP) (waiting, working int) {
	l.Range(func(c listener.Conn) {
		switch c.(*Session).state.Load() {
		case idle, parked:
			waiting++
		case busy:
			working++
		}
	})
	return waiting, working
}

// longestWaiting names the clients of the k sessions of l that have waited
// longest for a request.
func longestWaiting(l *listener.HTTP, k int) map[string]bool {
	type waiter struct {
		client string
		since  int64
	}
	var ws []waiter
	l.Range(func(c listener.Conn) {
		s := c.(*Session)
		if since, ok := s.Waiting(); ok {
			ws = append(ws, waiter{s.cl.Addr.String(), since})
		}
	})
	slices.SortFunc(ws, func(a, b waiter) int { return cmp.Compare(a.since, b.since) })
	out := map[string]bool{}
	for _, w := range ws[:min(k, len(ws))] {
		out[w.client] = true
	}
	return out
}

// TestReclaimOldestFirst: a reclaim closes an eighth of the waiting
// connections, those that waited longest, whether they wait parked or in
// their goroutine; it leaves the others and a busy connection (a request
// head half sent) alone, and its slots come back.
func TestReclaimOldestFirst(t *testing.T) {
	for _, parkAfter := range []time.Duration{10 * time.Millisecond, -1} {
		t.Run(fmt.Sprintf("parkAfter=%v", parkAfter), func(t *testing.T) {
			h := newHarnessParking(t, parkAfter, time.Minute)
			var r listener.Reclaimer
			r.Add(h.ln)

			mid, err := net.Dial("tcp", h.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer mid.Close()
			if _, err := io.WriteString(mid, "GET /mid HTTP/1.1\r\nHo"); err != nil {
				t.Fatal(err)
			}
			const n = 16
			conns := make([]net.Conn, n)
			readers := make([]*bufio.Reader, n)
			for i := range conns {
				c, err := net.Dial("tcp", h.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns[i], readers[i] = c, bufio.NewReader(c)
				if resp := get(t, c, readers[i], "/"); resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
			}
			testwait.For(t, "16 waiting connections and a busy one", func() bool {
				w, b := states(h.ln)
				return w == n && b == 1 && (parkAfter < 0 || h.env.Parked() == n)
			})

			// The longest waiting, by the sessions' own clocks: a client
			// that got its answer first may see its session start waiting
			// after others (it is a goroutine like the rest).
			oldest := longestWaiting(h.ln, n/8)
			closed, longest := r.Reclaim()
			if closed != n/8 || r.Reclaimed.Load() != n/8 {
				t.Fatalf("reclaimed %d (counted %d) of %d waiting; want an eighth", closed, r.Reclaimed.Load(), n)
			}
			if longest <= 0 {
				t.Errorf("longest wait %v", longest)
			}
			for i, c := range conns {
				if oldest[c.LocalAddr().String()] {
					expectClosed(t, c, 5*time.Second)
					continue
				}
				if resp := get(t, c, readers[i], "/again"); resp.StatusCode != 200 {
					t.Fatalf("connection %d: status %d", i, resp.StatusCode)
				}
			}
			testwait.For(t, "the reclaimed sessions to end", func() bool { return h.ln.Conns() == n+1-n/8 })
			if _, err := io.WriteString(mid, "st: x\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if resp := get(t, mid, bufio.NewReader(mid), "/after"); resp.StatusCode != 200 {
				t.Fatalf("the busy connection: status %d", resp.StatusCode)
			}
		})
	}
}

// TestReclaimNothingWaiting: with every connection busy, a reclaim closes
// nothing; with one waiting, at least that one.
func TestReclaimNothingWaiting(t *testing.T) {
	h := newHarnessParking(t, 10*time.Millisecond, time.Minute)
	var r listener.Reclaimer
	r.Add(h.ln)
	busyConn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busyConn.Close()
	// An upload in progress: the origin has its head, the proxy waits for
	// the rest of its body. (A connection just accepted is busy too, but
	// only until its goroutine begins to wait for a first request.)
	io.WriteString(busyConn, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	testwait.For(t, "a busy connection", func() bool { _, b := states(h.ln); return b == 1 && h.heads.Load() == 1 })
	if closed, _ := r.Reclaim(); closed != 0 {
		t.Fatalf("reclaimed %d busy connections", closed)
	}
	waiting, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer waiting.Close()
	testwait.For(t, "a waiting connection", func() bool { w, _ := states(h.ln); return w == 1 })
	r.Remove(h.ln)
	if closed, _ := r.Reclaim(); closed != 0 {
		t.Fatalf("reclaimed %d connections of a removed listener", closed)
	}
	r.Add(h.ln)
	if closed, _ := r.Reclaim(); closed != 1 {
		t.Fatalf("reclaimed %d of 1 waiting connection", closed)
	}
	expectClosed(t, waiting, 5*time.Second)
}
