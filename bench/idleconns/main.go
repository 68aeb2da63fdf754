// Command idleconns opens N TCP connections to an HTTP server or proxy, sends
// one keep-alive "GET / HTTP/1.1" on each and reads its response, then holds
// every connection open and idle. It prints a line starting with "ready"
// once all are open, and exits after -hold or on SIGINT/SIGTERM, closing
// them. On SIGUSR1 it prints a line "open: K of N" counting the connections
// the server has not closed. bench/run.sh uses it to measure a proxy's
// memory per idle keep-alive client connection (-tls: over TLS),
// bench/idlelockout.sh to hold a proxy's connection slots. With -h2 each
// connection speaks HTTP/2 over TLS (ALPN h2, golang.org/x/net/http2's
// client connection): one GET, then the connection idles with no stream
// (bench/https.sh's idle part).
//
//	idleconns -addr 127.0.0.1:8082 -n 10000 -hold 60s
//	idleconns -addr 127.0.0.1:8443 -n 10000 -h2
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "address to connect to (host:port)")
	n := flag.Int("n", 10000, "number of connections")
	hold := flag.Duration("hold", 60*time.Second, "how long to hold the connections before exiting")
	host := flag.String("host", "bench.local", "Host header of the request")
	parallel := flag.Int("parallel", 64, "connections being opened at once")
	timeout := flag.Duration("timeout", 10*time.Second, "bound on dialing and reading the response of one connection")
	useTLS := flag.Bool("tls", false, "speak HTTP/1.1 over TLS (SNI: -host; the certificate is not verified)")
	useH2 := flag.Bool("h2", false, "speak HTTP/2 over TLS (ALPN h2; SNI: -host; the certificate is not verified)")
	flag.Parse()

	sig := make(chan os.Signal, 1) // before "ready": a SIGUSR1 right after must not kill
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
	req := []byte("GET / HTTP/1.1\r\nHost: " + *host + "\r\nUser-Agent: idleconns\r\nAccept: */*\r\n\r\n")
	conns := make([]net.Conn, *n)
	var failed atomic.Int64
	var firstErr atomic.Value
	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var c net.Conn
				var err error
				if *useH2 {
					c, err = openH2(*addr, *host, *timeout)
				} else {
					c, err = open(*addr, req, *timeout, tlsConfig(*useTLS, *host))
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				conns[i] = c
			}
		}()
	}
	for i := 0; i < *n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()

	f := failed.Load()
	fmt.Printf("ready: %d open, %d failed, in %.1fs\n", int64(*n)-f, f, time.Since(start).Seconds())
	if f > 0 {
		fmt.Printf("first error: %v\n", firstErr.Load())
	}

	end := time.After(*hold)
wait:
	for {
		select {
		case <-end:
			break wait
		case s := <-sig:
			if s != syscall.SIGUSR1 {
				break wait
			}
			fmt.Printf("open: %d of %d\n", stillOpen(conns), int64(*n)-f)
		}
	}
	for _, c := range conns {
		if c != nil {
			// Reset rather than close: no TIME_WAIT left behind on this
			// side, so repeated runs do not run out of ephemeral ports.
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
		}
	}
	if f > 0 {
		os.Exit(1)
	}
}

// tlsConfig is the client configuration of -tls, or nil without it.
func tlsConfig(on bool, host string) *tls.Config {
	if !on {
		return nil
	}
	return &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}}
}

// open dials addr, sends req and reads one complete response, which must
// keep the connection alive; over TLS when tc is not nil. It returns the
// TCP connection (a TLS one stays open as long as it is).
func open(addr string, req []byte, timeout time.Duration, tc *tls.Config) (net.Conn, error) {
	raw, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := raw
	if tc != nil {
		c = tls.Client(raw, tc)
	}
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 1024)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %s", resp.Status)
	}
	if err == nil && resp.Close {
		err = fmt.Errorf("server closed the connection (Connection: close)")
	}
	if err == nil && br.Buffered() > 0 {
		err = fmt.Errorf("%d unexpected bytes after the response", br.Buffered())
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return raw, nil
}

// openH2 dials addr, makes an HTTP/2 connection over TLS and gets "/" on
// it, which must answer 200; the connection then stays open with no
// stream (the client neither pings nor closes it while idle). It returns
// the TCP connection.
func openH2(addr, host string, timeout time.Duration) (net.Conn, error) {
	raw, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(raw, &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	tc.SetDeadline(time.Now().Add(timeout))
	if err := tc.Handshake(); err != nil {
		raw.Close()
		return nil, err
	}
	if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
		raw.Close()
		return nil, fmt.Errorf("ALPN chose %q, not h2", p)
	}
	cc, err := (&http2.Transport{}).NewClientConn(tc)
	if err != nil {
		raw.Close()
		return nil, err
	}
	req, _ := http.NewRequest("GET", "https://"+host+"/", nil)
	req.Header.Set("User-Agent", "idleconns")
	resp, err := cc.RoundTrip(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %s", resp.Status)
		}
	}
	if err != nil {
		raw.Close()
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	return raw, nil
}

// stillOpen counts the connections the server has not closed: a
// non-blocking peek finds nothing to read on those (EAGAIN), where a closed
// one reads its end (0 bytes) or a reset.
func stillOpen(conns []net.Conn) int {
	open := 0
	var b [1]byte
	for _, c := range conns {
		sc, ok := c.(syscall.Conn)
		if !ok {
			continue
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			continue
		}
		rc.Control(func(fd uintptr) {
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if err == syscall.EAGAIN {
				open++
			}
		})
	}
	return open
}
