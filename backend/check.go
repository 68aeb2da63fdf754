package backend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"

	"sync"
	"time"

	"github.com/sluiceproxy/sluice/health"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/order"
)

// The health check defaults (see order.HealthCheck).
const (
	DefaultCheckInterval = 10 * time.Second
	DefaultCheckTimeout  = 5 * time.Second
)

// checker runs a cluster's active health check: one goroutine that probes
// every backend each interval, the probes of a round running in parallel.
// The cluster owns it; stop cancels the probes and waits.
type checker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// restartCheck stops the running check, releases the backends it held down
// when the check is gone, and starts hc if set. Only the proxy's loop calls
// it.
func (c *Cluster) restartCheck(old, hc *order.HealthCheck) {
	if c.check != nil {
		c.check.cancel()
		<-c.check.done
		c.check = nil
	}
	if old != nil && hc == nil {
		for _, b := range c.set.Load().all {
			b.checkRemoved()
		}
	}
	if hc == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := &checker{cancel: cancel, done: make(chan struct{})}
	c.check = ch
	go func() {
		defer close(ch.done)
		c.runCheck(ctx, *hc)
	}()
}

func (c *Cluster) runCheck(ctx context.Context, hc order.HealthCheck) {
	interval := DefaultCheckInterval
	if hc.Interval > 0 {
		interval = hc.Interval.D()
	}
	timeout := DefaultCheckTimeout
	if hc.Timeout > 0 {
		timeout = hc.Timeout.D()
	}
	timeout = min(timeout, interval)
	th := health.Thresholds{Rise: hc.Rise, Fall: hc.Fall}
	// The first round starts after a random part of the interval, so that
	// many clusters (or proxies) do not probe in step.
	wait := time.Duration(rand.Int64N(int64(interval)/4 + 1))
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		var wg sync.WaitGroup
		for _, b := range c.set.Load().all {
			wg.Add(1)
			go func() { // owned by this round, which waits for it
				defer wg.Done()
				err := probeBackend(ctx, b, hc, timeout)
				if ctx.Err() != nil {
					return // stopped: the result means nothing
				}
				if err != nil {
					c.env.Log.Debug("health check failed", "cluster", c.ID, "backend", b.Config.ID, "error", err)
				}
				b.checkResult(err == nil, th)
			}()
		}
		wg.Wait()
		t.Reset(max(interval-time.Since(start), 0))
	}
}

// errUnhealthy marks a probe that got an answer it did not want.
var errUnhealthy = errors.New("unexpected status")

// Probe checks the server at addr once within timeout: a tcp check
// connects; an http check sends "GET path HTTP/1.1" with Connection: close
// and reads the response head, which must carry hc.ExpectedStatus (any 2xx
// or 3xx when 0). It returns nil when the server is healthy.
func Probe(ctx context.Context, addr string, hc order.HealthCheck, timeout time.Duration) error {
	return probeWith(ctx, addr, func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}, nil, hc, timeout)
}

// probeBackend is Probe of b: it connects to b's latest addresses (see
// Dial), over TLS when b's cluster speaks TLS; the Host header is b's
// configured address. An http check of an h2 or auto cluster speaks the
// protocol its requests would: HTTP/2 (h2c without TLS) when the
// handshake agreed on h2 (or on nothing, for h2), else HTTP/1.1.
func probeBackend(ctx context.Context, b *Backend, hc order.HealthCheck, timeout time.Duration) error {
	return probeWith(ctx, b.Addr, b.dialProbe, b.probeSpeaksH2, hc, timeout)
}

// probeSpeaksH2 tells whether the requests of b's cluster on conn go as
// HTTP/2.
func (b *Backend) probeSpeaksH2(conn net.Conn) bool {
	p := b.speaks()
	if p == order.HTTP1 {
		return false
	}
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return p == order.H2
	}
	np := tc.ConnectionState().NegotiatedProtocol
	return np == "h2" || np == "" && p == order.H2
}

// probeWith is Probe with its connect made by dial; addr is the default
// Host. h2, when set, tells whether the check goes as HTTP/2 on the
// connection dial made.
func probeWith(ctx context.Context, addr string, dial func(context.Context) (net.Conn, error),
	h2 func(net.Conn) bool, hc order.HealthCheck, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := dial(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if hc.Type == order.CheckTCP {
		return nil
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	path, host := hc.Path, hc.Host
	if path == "" {
		path = "/"
	}
	if host == "" {
		host = addr
	}
	want := hc.ExpectedStatus
	healthy := func(st int) error {
		if want == 0 && st >= 200 && st < 400 || st == want {
			return nil
		}
		return fmt.Errorf("%w %d", errUnhealthy, st)
	}
	if h2 != nil && h2(conn) {
		scheme := "http"
		if _, ok := conn.(*tls.Conn); ok {
			scheme = "https"
		}
		st, err := probeH2(ctx, conn, scheme, host, path)
		if err != nil {
			return err
		}
		return healthy(st)
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUser-Agent: sluice-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return fmt.Errorf("write request: %w", err)
	}
	buf := make([]byte, 4096)
	var resp h1.Response
	n := 0
	for {
		k, err := conn.Read(buf[n:])
		n += k
		resp.Reset()
		if _, perr := h1.ParseResponse(buf[:n], &resp, h1.Limits{MaxHeadBytes: len(buf), MaxHeaderFields: 100}); perr == nil {
			if resp.Status < 200 { // an interim response: drop it and read on
				n = copy(buf, buf[resp.HeadLen:n])
				continue
			}
			break
		} else if perr != h1.ErrIncomplete {
			return fmt.Errorf("parse response: %w", perr)
		}
		if err != nil {
			return fmt.Errorf("read response: %w", err)
		}
		if n == len(buf) {
			return errors.New("parse response: head over 4096 bytes")
		}
	}
	return healthy(resp.Status)
}

// probeFields are the fields of an HTTP/2 health check's GET.
var probeFields = []h1.Header{{Name: []byte("user-agent"), Value: []byte("sluice-health-check")},
	{Name: []byte("accept"), Value: []byte("*/*")}}

// probeH2 is an http health check over an HTTP/2 connection conn: GET
// path with host as :authority, its status returned.
func probeH2(ctx context.Context, conn net.Conn, scheme, host, path string) (int, error) {
	wait := H2IdleTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	cc, err := h2client.New(conn, h2Config(0))
	if err != nil {
		return 0, fmt.Errorf("HTTP/2 preface: %w", err)
	}
	defer cc.Close()
	if err := cc.Ready(wait); err != nil {
		return 0, fmt.Errorf("HTTP/2 settings: %w", err)
	}
	if !cc.Reserve() {
		return 0, fmt.Errorf("HTTP/2 settings: %w", errNoStreams)
	}
	s, err := cc.Open(ctx, &h2client.Request{Method: []byte("GET"), Scheme: []byte(scheme), Authority: []byte(host),
		Path: []byte(path), Fields: probeFields})
	if err != nil {
		return 0, fmt.Errorf("write request: %w", err)
	}
	defer s.Close()
	for {
		h, err := s.Head(wait)
		if err != nil {
			return 0, fmt.Errorf("read response: %w", err)
		}
		if h.Status >= 200 { // an interim response: read on
			return h.Status, nil
		}
	}
}
