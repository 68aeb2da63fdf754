package metrics

import (
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// udpServer is a statsd server stand-in on 127.0.0.1.
type udpServer struct {
	t  *testing.T
	pc net.PacketConn
}

func newUDPServer(t *testing.T) *udpServer {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &udpServer{t, pc}
}

func (u *udpServer) addr() string { return u.pc.LocalAddr().String() }

// read returns the lines of the datagrams that arrive until none has come
// for quiet, checking each datagram's size.
func (u *udpServer) read(quiet time.Duration) []string {
	var lines []string
	for {
		l, ok := u.readOne(quiet)
		if !ok {
			return lines
		}
		lines = append(lines, l...)
	}
}

// readOne returns the lines of one datagram, or false if none comes within
// wait.
func (u *udpServer) readOne(wait time.Duration) ([]string, bool) {
	buf := make([]byte, 64<<10)
	_ = u.pc.SetReadDeadline(time.Now().Add(wait))
	n, _, err := u.pc.ReadFrom(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, false
	}
	if err != nil {
		u.t.Fatal(err)
	}
	if n > maxPacket {
		u.t.Errorf("datagram of %d bytes, more than %d", n, maxPacket)
	}
	return strings.Split(string(buf[:n]), "\n"), true
}

func TestStatsdLines(t *testing.T) {
	srv := newUDPServer(t)
	r := NewRegistry()
	l := r.AddListener("127.0.0.1:8080")
	c := r.AddCluster("shop.eu")
	b := r.AddBackend("shop.eu", "b-1")
	gone := r.AddBackend("shop.eu", "gone")
	for range 4 {
		l.Requests.Inc()
		l.RequestTime.Observe(2 * time.Millisecond)
	}
	l.Responses.Inc(200)
	l.ConnectionsActive.Set(5)
	c.BackendsUp.Set(2)
	b.InFlight.Set(-2)
	gone.Requests.Inc()

	s, err := NewStatsd(r, StatsdConfig{Address: srv.addr(), Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Flush()
	got := srv.read(100 * time.Millisecond)
	const lp = "sluice.listener.127_0_0_1_8080."
	for _, want := range []string{
		lp + "requests:4|c",
		lp + "responses.2xx:1|c",
		lp + "connections_active:5|g",
		lp + "tunnels_active:0|g",
		lp + "request_time.count:4|c",
		lp + "request_time.sum_ms:8|c",
		lp + "request_time.p50_ms:1.75|g",
		lp + "request_time.p99_ms:2.485|g",
		"sluice.cluster.shop_eu.backends_up:2|g",
		"sluice.backend.shop_eu.gone.requests:1|c",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("first flush lacks %q; got:\n%s", want, strings.Join(got, "\n"))
		}
	}
	// A negative gauge is sent as 0 then the (relative) negative value.
	i := slices.Index(got, "sluice.backend.shop_eu.b-1.in_flight:0|g")
	if i < 0 || i+1 >= len(got) || got[i+1] != "sluice.backend.shop_eu.b-1.in_flight:-2|g" {
		t.Errorf("negative gauge not sent as 0 then -2; got:\n%s", strings.Join(got, "\n"))
	}
	for _, line := range got {
		if strings.HasPrefix(line, lp+"bytes_out:") {
			t.Errorf("zero counter sent: %q", line)
		}
	}

	// The second flush sends increases only, and nothing of a removed set.
	l.Requests.Add(2)
	r.RemoveBackend("shop.eu", "gone")
	gone.Requests.Inc()
	s.Flush()
	got = srv.read(100 * time.Millisecond)
	if !slices.Contains(got, lp+"requests:2|c") {
		t.Errorf("second flush lacks the delta requests:2; got:\n%s", strings.Join(got, "\n"))
	}
	for _, line := range got {
		if strings.Contains(line, "request_time") || strings.Contains(line, "responses.2xx") ||
			strings.Contains(line, ".gone.") {
			t.Errorf("second flush sent %q, which did not change or was removed", line)
		}
	}
}

// TestStatsdManyPackets checks that many sets are split into datagrams that
// fit and that no line is lost or cut.
func TestStatsdManyPackets(t *testing.T) {
	srv := newUDPServer(t)
	r := NewRegistry()
	const n = 200
	for i := range n {
		r.AddBackend("c", "backend-"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))).Requests.Inc()
	}
	s, err := NewStatsd(r, StatsdConfig{Address: srv.addr(), Prefix: "p", Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Flush()
	got := srv.read(100 * time.Millisecond)
	requests := 0
	for _, line := range got {
		if strings.HasPrefix(line, "p.backend.c.backend-") && strings.HasSuffix(line, ".requests:1|c") {
			requests++
		}
	}
	if requests != n {
		t.Errorf("%d request lines, want %d", requests, n)
	}
}

// TestStatsdTicks checks that the goroutine flushes every interval.
func TestStatsdTicks(t *testing.T) {
	srv := newUDPServer(t)
	r := NewRegistry()
	r.AddListener("l").Requests.Inc()
	s, err := NewStatsd(r, StatsdConfig{Address: srv.addr(), Interval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := srv.readOne(50 * time.Millisecond)
		if slices.Contains(got, "sluice.listener.l.requests:1|c") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no flush within 5s of a 20ms interval")
		}
	}
}

// TestStatsdCloseFlushes checks that Close sends what was counted since the
// last flush, and that later calls do nothing.
func TestStatsdCloseFlushes(t *testing.T) {
	srv := newUDPServer(t)
	r := NewRegistry()
	l := r.AddListener("l")
	s, err := NewStatsd(r, StatsdConfig{Address: srv.addr(), Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l.Requests.Add(7)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := srv.read(100 * time.Millisecond); !slices.Contains(got, "sluice.listener.l.requests:7|c") {
		t.Errorf("Close did not flush the last counts; got:\n%s", strings.Join(got, "\n"))
	}
	l.Requests.Inc()
	s.Flush()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := srv.read(50 * time.Millisecond); len(got) != 0 {
		t.Errorf("sent after Close: %q", got)
	}
}

// TestStatsdSendErrors checks that sends to a port nobody listens on are
// counted and do not stop the emitter.
func TestStatsdSendErrors(t *testing.T) {
	srv := newUDPServer(t)
	addr := srv.addr()
	srv.pc.Close()
	r := NewRegistry()
	r.AddListener("l").Requests.Inc()
	s, err := NewStatsd(r, StatsdConfig{Address: addr, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The first datagram draws an ICMP port unreachable; the socket reports
	// it on a later send.
	deadline := time.Now().Add(5 * time.Second)
	for s.SendErrors() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no send error counted after 5s of sends to a closed port")
		}
		s.Flush() // gauges are sent at every flush
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStatsdConfigErrors(t *testing.T) {
	r := NewRegistry()
	for _, cfg := range []StatsdConfig{
		{Address: ""},
		{Address: "127.0.0.1"},
		{Address: "127.0.0.1:8125", Interval: -time.Second},
	} {
		if s, err := NewStatsd(r, cfg); err == nil {
			s.Close()
			t.Errorf("NewStatsd(%+v) succeeded", cfg)
		}
	}
}
