//go:build linux

package session

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
)

// sluiceGoroutines counts the goroutines running Sluice's code (a frame of
// this module on their stack): the test's own, the harness's accept loop,
// the poller, and a session's while it holds one. The origin's goroutines,
// one per backend connection the pool opened, are not counted: how many
// connections the pool opens depends on timing.
func sluiceGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/sluiceproxy/sluice/") {
			count++
		}
	}
	return count
}

// expectNoSessionGoroutines waits until no more goroutines run Sluice's
// code than before (a session that just parked may still be returning),
// and fails naming the goroutines left.
func expectNoSessionGoroutines(t *testing.T, before int, what string) {
	t.Helper()
	deadline := time.Now().Add(testwait.Bound)
	for sluiceGoroutines() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines run Sluice's code with %s, %d before\n%s",
				sluiceGoroutines(), what, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

func expectClosed(t *testing.T, c net.Conn, within time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read %d, %v; want the proxy to close the connection", n, err)
	}
}

// TestIdleConnectionParksAndWakes: a keep-alive connection silent for
// longer than ParkAfter gives up its goroutine, and its next request is
// served as usual.
func TestIdleConnectionParksAndWakes(t *testing.T) {
	h := newHarnessParking(t, 10*time.Millisecond, 5*time.Second)
	const n = 20
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	before := sluiceGoroutines()
	for i := range conns {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i], readers[i] = c, bufio.NewReader(c)
		if resp := get(t, c, readers[i], "/first"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	testwait.For(t, "every connection to park", func() bool { return h.env.Parked() == n })
	expectNoSessionGoroutines(t, before, fmt.Sprint(n, " parked connections"))
	if got := h.ln.Conns(); got != n {
		t.Fatalf("%d sessions tracked, want %d (parked ones stay open)", got, n)
	}
	for round := range 3 {
		for i, c := range conns {
			if resp := get(t, c, readers[i], fmt.Sprintf("/again/%d", round)); resp.StatusCode != 200 {
				t.Fatalf("status %d after a park", resp.StatusCode)
			}
		}
		testwait.For(t, "the connections to park again", func() bool { return h.env.Parked() == n })
	}
	if h.env.Parks.Load() < 4*n {
		t.Fatalf("%d parks counted, want at least %d", h.env.Parks.Load(), 4*n)
	}
}

// TestRequestInPiecesAcrossAPark: a request whose first bytes wake a parked
// connection and whose rest comes later is read whole.
func TestRequestInPiecesAcrossAPark(t *testing.T) {
	h := newHarnessParking(t, 10*time.Millisecond, 5*time.Second)
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testwait.For(t, "the fresh connection to park", func() bool { return h.env.Parked() == 1 })
	fmt.Fprint(c, "GET /split HTTP/1.1\r\n")
	time.Sleep(30 * time.Millisecond) // the head is incomplete: no park mid-head
	fmt.Fprint(c, "Host: x\r\n\r\n")
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "path /split" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}

// TestParkedConnectionTimesOut: a parked connection is closed at its front
// timeout (request timeout for a connection that never sent anything), and
// gives its slot back.
func TestParkedConnectionTimesOut(t *testing.T) {
	h := newHarnessParking(t, 10*time.Millisecond, 300*time.Millisecond)
	silent, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	used, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer used.Close()
	if resp := get(t, used, bufio.NewReader(used), "/"); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	testwait.For(t, "both connections to park", func() bool { return h.env.Parked() == 2 })
	start := time.Now()
	expectClosed(t, silent, 5*time.Second)
	expectClosed(t, used, 5*time.Second)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("closed after %v, want about 300ms", d)
	}
	// A session leaves the listener's set, then the Env's count.
	testwait.For(t, "the sessions to end and be counted out", func() bool {
		return h.ln.Conns() == 0 && h.env.Parked() == 0 && h.env.Active.Load() == 0
	})
}

// TestDrainAndHardStopCloseParkedConnections: draining a listener or
// closing it hard ends parked keep-alive connections at once. A drain
// leaves a new connection that has sent nothing yet: its first request is
// answered, with Connection: close (its client could not tell a close
// from a failure); a hard stop closes it too.
func TestDrainAndHardStopCloseParkedConnections(t *testing.T) {
	for _, hard := range []bool{false, true} {
		t.Run(fmt.Sprintf("hard=%v", hard), func(t *testing.T) {
			h := newHarnessParking(t, 10*time.Millisecond, time.Minute)
			var conns []net.Conn
			for range 10 {
				c, err := net.Dial("tcp", h.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if resp := get(t, c, bufio.NewReader(c), "/"); resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				conns = append(conns, c)
			}
			fresh, err := net.Dial("tcp", h.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			testwait.For(t, "the connections to park", func() bool { return h.env.Parked() == 11 })
			if hard {
				h.ln.CloseAll()
				conns = append(conns, fresh)
			} else {
				h.ln.Drain()
			}
			for _, c := range conns {
				expectClosed(t, c, 5*time.Second)
			}
			if !hard {
				resp := get(t, fresh, bufio.NewReader(fresh), "/")
				if resp.StatusCode != 200 || !resp.Close {
					t.Fatalf("the new connection's first request during the drain: %d, close %v", resp.StatusCode, resp.Close)
				}
				expectClosed(t, fresh, 5*time.Second)
			}
			testwait.For(t, "the sessions to end", func() bool { return h.ln.Conns() == 0 })
			if p := h.env.Parked(); p != 0 {
				t.Fatalf("%d still parked", p)
			}
		})
	}
}

// TestParkingRaces: many connections park, wake, time out and get closed
// at once; every one ends exactly once (the harness waits for all releases
// and goleak checks for strays), and requests that get through succeed.
func TestParkingRaces(t *testing.T) {
	h := newHarnessParking(t, time.Millisecond, 50*time.Millisecond)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range 25 {
				c, err := net.Dial("tcp", h.addr)
				if err != nil {
					t.Error(err)
					return
				}
				r := bufio.NewReader(c)
				for range rng.IntN(4) {
					time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
					fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
					c.SetReadDeadline(time.Now().Add(5 * time.Second))
					line, err := r.ReadString('\n')
					if err != nil {
						break // timed out by the proxy meanwhile: allowed
					}
					if line != "HTTP/1.1 200 OK\r\n" {
						t.Errorf("status line %q", line)
					}
					for {
						l, err := r.ReadString('\n')
						if err != nil || l == "\r\n" {
							break
						}
					}
					io.CopyN(io.Discard, r, int64(len("path /")))
				}
				c.Close()
			}
		}()
	}
	// Meanwhile, drain nothing but keep closing idle sessions from outside.
	stop := make(chan struct{})
	var closer sync.WaitGroup
	closer.Add(1)
	go func() {
		defer closer.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(7 * time.Millisecond):
				for _, c := range h.ln.Snapshot() {
					if rand.IntN(8) == 0 {
						c.CloseIfIdle()
					}
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	closer.Wait()
	// A session leaves the listener's set, then the Env's count: both
	// reach 0, none goes below.
	testwait.For(t, "every session to end and be counted out", func() bool {
		return h.ln.Conns() == 0 && h.env.Active.Load() == 0
	})
	if a := h.env.Active.Load(); a != 0 {
		t.Fatalf("%d connections counted active", a)
	}
}
