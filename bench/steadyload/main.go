// Command steadyload sends HTTP requests at a steady rate, over keep-alive
// connections and over a new connection per request, and counts every
// request that did not get a 2xx answer, for as long as it runs. It is the
// load of bench/reload.sh (and of the upgrade benchmark): what an operator's
// clients see while the proxy is reconfigured.
//
//	steadyload -addr 127.0.0.1:8080 -host app.local -rate 2000 -duration 60s
//
// Half the rate goes over -keepalive connections kept open, half over a new
// connection each (Connection: close). It prints one line per second
// ("t=…s ok=… failed=…") and a summary at the end: requests sent, failed
// (with the first errors), those sent again on a new connection after the
// proxy closed their idle keep-alive connection, the longest time a request
// took and the longest connect, and the longest gap between two new
// connections answered (while a proxy accepts, about a millisecond at
// 2 000 requests per second; a proxy that stops accepting for a while
// shows it here). It exits 1 when any request failed.
// SIGINT or SIGTERM ends the run early, with the summary.
//
// With -upload, -ws or -tcp it also runs long exchanges (see tunnels.go),
// one of each at a time, each lasting -tunnel: a slow upload, a
// WebSocket echoing a message every 50 ms, a TCP stream echoing 1 KiB
// every 50 ms; a broken one fails the run too.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type stats struct {
	ok, failed atomic.Int64
	// retried counts requests sent again on a new connection after the
	// proxy closed their keep-alive connection before any response byte
	// (what HTTP clients do for idempotent requests); not failures, but
	// reported.
	retried  atomic.Int64
	mu       sync.Mutex
	errs     map[string]int
	slowest  time.Duration
	slowConn time.Duration // the longest connect
	// lastNew is when the last new-connection request was answered;
	// gap the longest time between two of them, which ended at gapAt.
	lastNew time.Time
	gap     time.Duration
	gapAt   time.Time
	start   time.Time
	// longGaps are the first gaps over 50 ms, with when they ended.
	longGaps []string
}

// answeredNew records a new-connection request answered now.
func (s *stats) answeredNew(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lastNew.IsZero() && now.Sub(s.lastNew) > s.gap {
		s.gap, s.gapAt = now.Sub(s.lastNew), now
	}
	if g := now.Sub(s.lastNew); !s.lastNew.IsZero() && g > 50*time.Millisecond && len(s.longGaps) < 30 {
		s.longGaps = append(s.longGaps, fmt.Sprintf("%v at t=%.2fs", g.Round(time.Millisecond), now.Sub(s.start).Seconds()))
	}
	if now.After(s.lastNew) {
		s.lastNew = now
	}
}

func (s *stats) fail(err string) {
	s.failed.Add(1)
	s.mu.Lock()
	if len(s.errs) < 20 || s.errs[err] > 0 {
		s.errs[err]++
	}
	s.mu.Unlock()
}

func (s *stats) took(d, connect time.Duration) {
	s.mu.Lock()
	s.slowest = max(s.slowest, d)
	s.slowConn = max(s.slowConn, connect)
	s.mu.Unlock()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "proxy address (host:port)")
	host := flag.String("host", "app.local", "Host header")
	path := flag.String("path", "/", "request path")
	rate := flag.Int("rate", 2000, "requests per second in all")
	keepalive := flag.Int("keepalive", 20, "keep-alive connections carrying half the rate")
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	timeout := flag.Duration("timeout", 10*time.Second, "bound on one request")
	uploadPath := flag.String("upload", "", "path of a slow upload, one at a time (the origin answers \"N bytes\")")
	uploadBytes := flag.Int64("upload-bytes", 4<<20, "bytes of each upload")
	wsPath := flag.String("ws", "", "path of a WebSocket echo, one at a time")
	tcpAddr := flag.String("tcp", "", "address of a TCP listener in front of an echo origin: one stream at a time")
	tunnel := flag.Duration("tunnel", 8*time.Second, "how long each upload, WebSocket and TCP stream lasts")
	flag.Parse()
	if *rate < 2 || *keepalive < 1 {
		fmt.Fprintln(os.Stderr, "steadyload: -rate must be at least 2 and -keepalive at least 1")
		os.Exit(2)
	}

	st := &stats{errs: map[string]int{}, start: time.Now()}
	stop := make(chan struct{})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
		case <-time.After(*duration):
		}
		close(stop)
	}()

	req := "GET " + *path + " HTTP/1.1\r\nHost: " + *host + "\r\nUser-Agent: steadyload\r\n"
	var wg sync.WaitGroup
	// Keep-alive workers: each paced at its share of half the rate.
	perKA := time.Duration(float64(time.Second) * float64(*keepalive) / (float64(*rate) / 2))
	for i := 0; i < *keepalive; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keepAliveWorker(*addr, req, perKA, *timeout, stop, st)
		}()
	}
	// New-connection requests: a ticker at half the rate, each in its own
	// goroutine, bounded in number.
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Duration(float64(time.Second) / (float64(*rate) / 2)))
		defer tick.Stop()
		sem := make(chan struct{}, 512)
		var inner sync.WaitGroup
		defer inner.Wait()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			select {
			case sem <- struct{}{}:
			default:
				st.fail("more than 512 new-connection requests outstanding")
				continue
			}
			inner.Add(1)
			go func() {
				defer inner.Done()
				defer func() { <-sem }()
				oneShot(*addr, req, *timeout, st)
			}()
		}
	}()
	// The long exchanges.
	var tunnels []*tunnelStats
	long := func(name string, session func() error) {
		t := &tunnelStats{name: name}
		tunnels = append(tunnels, t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			again(stop, t, session)
		}()
	}
	if *uploadPath != "" {
		long("upload", func() error { return upload(*addr, *host, *uploadPath, *uploadBytes, *tunnel) })
	}
	if *wsPath != "" {
		long("websocket", func() error { return webSocket(*addr, *host, *wsPath, *tunnel) })
	}
	if *tcpAddr != "" {
		long("tcp stream", func() error { return tcpStream(*tcpAddr, *tunnel) })
	}
	// One line per second.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		start := time.Now()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				fmt.Printf("t=%.0fs ok=%d failed=%d\n", now.Sub(start).Seconds(), st.ok.Load(), st.failed.Load())
			}
		}
	}()
	wg.Wait()

	fmt.Printf("summary: requests %d, failed %d, retried on a new connection %d, slowest request %v, slowest connect %v\n",
		st.ok.Load()+st.failed.Load(), st.failed.Load(), st.retried.Load(), st.slowest.Round(time.Microsecond),
		st.slowConn.Round(time.Microsecond))
	fmt.Printf("longest gap between new connections answered: %v (ending at t=%.1fs)\n",
		st.gap.Round(time.Microsecond), st.gapAt.Sub(st.start).Seconds())
	if len(st.longGaps) > 0 {
		fmt.Printf("gaps over 50ms: %s\n", strings.Join(st.longGaps, ", "))
	}
	broken := int64(0)
	for _, t := range tunnels {
		fmt.Printf("tunnels %s: done %d, broken %d\n", t.name, t.done.Load(), t.broken.Load())
		for _, e := range t.errs {
			fmt.Printf("  broken: %s\n", e)
		}
		broken += t.broken.Load()
	}
	var keys []string
	for k := range st.errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  %d× %s\n", st.errs[k], k)
	}
	if st.failed.Load() > 0 || broken > 0 {
		os.Exit(1)
	}
}

// keepAliveWorker sends a request every interval on one connection,
// reconnecting (without counting a failure) when the proxy closed it
// between requests, as HTTP clients do for idempotent requests.
func keepAliveWorker(addr, req string, interval, timeout time.Duration, stop <-chan struct{}, st *stats) {
	var c net.Conn
	var br *bufio.Reader
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for attempt := 0; ; attempt++ {
			start := time.Now()
			var connect time.Duration
			if c == nil {
				var err error
				if c, err = net.DialTimeout("tcp", addr, timeout); err != nil {
					st.fail("connect: " + err.Error())
					c = nil
					break
				}
				connect = time.Since(start)
				br = bufio.NewReader(c)
			}
			err := roundTrip(c, br, req, timeout)
			if err == nil {
				st.ok.Add(1)
				st.took(time.Since(start), connect)
				break
			}
			c.Close()
			c = nil
			// A keep-alive connection the proxy closed before this request
			// (a drain, a reload) is retried once on a new one, as clients do.
			if attempt == 0 && err == errClosedIdle {
				st.retried.Add(1)
				continue
			}
			st.fail(err.Error())
			break
		}
	}
}

var errClosedIdle = fmt.Errorf("keep-alive connection closed before a response")

// oneShot sends one request on a new connection.
func oneShot(addr, req string, timeout time.Duration, st *stats) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		st.fail("connect: " + err.Error())
		return
	}
	defer c.Close()
	connect := time.Since(start)
	if err := roundTrip(c, bufio.NewReader(c), req+"Connection: close\r\n", timeout); err != nil {
		if err == errClosedIdle {
			err = fmt.Errorf("connection closed before a response")
		}
		st.fail(err.Error())
		return
	}
	st.ok.Add(1)
	st.took(time.Since(start), connect)
	st.answeredNew(time.Now())
}

// roundTrip writes req (without its final CRLF) and reads a whole
// response; any status but 2xx is an error.
func roundTrip(c net.Conn, br *bufio.Reader, req string, timeout time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		return errClosedIdle
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return errClosedIdle
		}
		return fmt.Errorf("reading the response: %v", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading the body: %v", err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
