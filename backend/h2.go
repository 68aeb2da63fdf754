package backend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/internal/h2client"
	"github.com/sluiceproxy/sluice/order"
)

// HTTP/2 to backends (a cluster's backend_protocol h2 or auto). Each
// backend keeps a pool of HTTP/2 connections (internal/h2client's Conn
// over a connection made by Dial's own steps: the connect, the TLS
// handshake with the cluster's ALPN offer). A request reserves a stream
// on a pooled connection that has a slot under the backend's
// SETTINGS_MAX_CONCURRENT_STREAMS; when none has, one new connection is
// made while the other requests wait for it (one dial at a time per
// backend), so that a burst shares few connections. A new connection is
// pooled once the backend's SETTINGS are in.

// H2IdleTimeout is how long an HTTP/2 connection to a backend with no
// stream open is kept when OpenH2 is given no idle timeout.
const H2IdleTimeout = 30 * time.Second

// H1Recheck is how long a backend of an auto cluster that picked http/1.1
// is taken at its word: its pooled HTTP/1.1 connections serve until then,
// and the next new connection offers h2 again.
const H1Recheck = time.Minute

// h2Config is the settings of a new HTTP/2 connection to a backend that
// closes after idle (H2IdleTimeout when 0) without a stream: a PING after
// 30 s of silence, which must be answered within 10 s.
func h2Config(idle time.Duration) h2client.Config {
	if idle <= 0 {
		idle = H2IdleTimeout
	}
	return h2client.Config{IdleTimeout: idle, PingAfter: 30 * time.Second, PingTimeout: 10 * time.Second}
}

// ErrNoH2 is returned (wrapped in ErrHandshake: answered 502, counted as
// a TLS failure) for a backend of an h2 cluster whose TLS handshake agreed
// on another protocol than h2.
var ErrNoH2 = errors.New("backend does not speak HTTP/2 (ALPN)")

// errPickedHTTP1 tells requests waiting for a dial that it gave an
// HTTP/1.1 connection (auto): they make their own.
var errPickedHTTP1 = errors.New("backend picked http/1.1")

var errRemoved = errors.New("backend: removed")

// h2Pool is a backend's HTTP/2 connections.
type h2Pool struct {
	mu      sync.Mutex
	conns   []*h2client.Conn
	dialing *h2Dial // the dial in progress, or nil
	closed  bool    // the backend was removed
	// h1Until (unix ns) is set when a backend of an auto cluster picked
	// http/1.1: until then its requests take pooled HTTP/1.1 connections.
	h1Until atomic.Int64
}

type h2Dial struct {
	done chan struct{}
	err  error
}

// Upstream is a connection for one request of an h2 or auto cluster: a
// stream reserved on an HTTP/2 connection (CC; the request must be sent
// with CC.Open, which uses the reservation, or the reservation given back
// with CC.Unreserve), or, when the backend of
// an auto cluster picked http/1.1, an HTTP/1.1 connection (Conn) that the
// caller owns as one from Cluster.Connect.
type Upstream struct {
	CC   *h2client.Conn
	Conn *Conn
	// Reused tells a pooled connection; ConnectTime is the connect and
	// handshake of a new one.
	Reused      bool
	ConnectTime time.Duration
}

// OpenH2 returns an Upstream to b for one request: a stream of a pooled
// HTTP/2 connection with a free slot, else of a new one (dialled within
// timeout, or made by another request meanwhile). fresh (a trial of a
// recovering backend) dials a new connection whatever the pool holds.
// When the backend of an auto cluster picks http/1.1, requests use its
// pooled HTTP/1.1 connections (if reuse allows, as Dial.Reuse) for
// H1Recheck, else new ones. An HTTP/2 connection closes after idleTimeout
// with no stream open (H2IdleTimeout when 0), as pooled HTTP/1.1 ones are
// not used after it. Connects feed b's passive health as Dial's do.
func (b *Backend) OpenH2(ctx context.Context, timeout, idleTimeout time.Duration, reuse, fresh bool) (Upstream, error) {
	p := &b.h2
	for {
		if fresh {
			return b.dialH2(ctx, timeout, idleTimeout, nil)
		}
		if p.h1Until.Load() > time.Now().UnixNano() && b.speaks() == order.Auto {
			if reuse {
				if c := b.GetIdle(time.Now(), idleTimeout); c != nil {
					return Upstream{Conn: c, Reused: true}, nil
				}
			}
			return b.dialH2(ctx, timeout, idleTimeout, nil)
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return Upstream{}, errRemoved
		}
		if cc := p.reserveLocked(); cc != nil {
			p.mu.Unlock()
			return Upstream{CC: cc, Reused: true}, nil
		}
		if d := p.dialing; d != nil {
			p.mu.Unlock()
			select {
			case <-d.done:
			case <-ctx.Done():
				return Upstream{}, ctx.Err()
			}
			if d.err != nil && d.err != errPickedHTTP1 {
				return Upstream{}, d.err
			}
			continue
		}
		d := &h2Dial{done: make(chan struct{})}
		p.dialing = d
		p.mu.Unlock()
		up, err := b.dialH2(ctx, timeout, idleTimeout, d)
		d.err = err
		if err == nil && up.Conn != nil {
			d.err = errPickedHTTP1
		}
		close(d.done)
		return up, err
	}
}

// reserveLocked reserves a stream on a pooled connection that has a free
// slot, dropping from the pool those that take no new stream (closed,
// or closing after a GOAWAY: they close once their streams end).
func (p *h2Pool) reserveLocked() *h2client.Conn {
	keep := p.conns[:0]
	var got *h2client.Conn
	for _, cc := range p.conns {
		st := cc.State()
		if st.Closed || st.Closing {
			continue
		}
		keep = append(keep, cc)
		if got == nil && cc.Reserve() {
			got = cc
		}
	}
	clear(p.conns[len(keep):])
	p.conns = keep
	return got
}

// dialH2 makes a new connection to b: the connect, the TLS handshake with
// the cluster's ALPN offer, then an HTTP/2 ClientConn on it with a stream
// reserved for the caller, pooled for others. A backend of an auto
// cluster that picks http/1.1 gives an HTTP/1.1 Conn instead. d, when
// set, is the pool's dial in progress, cleared here once the connection is
// pooled (so that waiters find it). The connection closes after idle with
// no stream open.
func (b *Backend) dialH2(ctx context.Context, timeout, idle time.Duration, d *h2Dial) (Upstream, error) {
	p := &b.h2
	done := func() {
		if d != nil {
			p.mu.Lock()
			if p.dialing == d {
				p.dialing = nil
			}
			p.mu.Unlock()
		}
	}
	bc, err := b.connect(ctx, timeout)
	if err == nil {
		err = b.secureWith(ctx, bc, timeout, true)
	}
	if err != nil {
		done()
		return Upstream{}, err
	}
	if tc, ok := bc.Conn.(*tls.Conn); ok {
		switch np := tc.ConnectionState().NegotiatedProtocol; {
		case np == "h2":
		case b.speaks() == order.Auto: // http/1.1, or no ALPN at all
			p.h1Until.Store(time.Now().Add(H1Recheck).UnixNano())
			done()
			return Upstream{Conn: bc, ConnectTime: bc.ConnectTime}, nil
		case np != "": // h2 asked; "" is a server without ALPN: h2 anyway (HAProxy's proto h2)
			bc.Conn.Close()
			done()
			b.countTLSFailure()
			return Upstream{}, fmt.Errorf("%w: %w: it chose %q", ErrHandshake, ErrNoH2, np)
		}
	}
	p.h1Until.Store(0)
	cc, err := h2client.New(b.metered(bc.Conn), h2Config(idle))
	if err != nil {
		done()
		return Upstream{}, fmt.Errorf("HTTP/2 preface: %w", err)
	}
	// The backend's SETTINGS (its MAX_CONCURRENT_STREAMS above all) are
	// awaited: once in, reservations on the connection count against the
	// backend's own limit, not a guess.
	if err := cc.Ready(timeout); err != nil {
		cc.Close()
		done()
		return Upstream{}, fmt.Errorf("HTTP/2 settings: %w", err)
	}
	if !cc.Reserve() { // a new connection takes its first stream, unless the backend allows none
		cc.Close()
		done()
		return Upstream{}, fmt.Errorf("HTTP/2 settings: %w", errNoStreams)
	}
	p.mu.Lock()
	if p.closed {
		cc.Drain() // closes when this stream ends
	} else {
		p.conns = append(p.conns, cc)
	}
	if d != nil && p.dialing == d {
		p.dialing = nil
	}
	p.mu.Unlock()
	return Upstream{CC: cc, ConnectTime: bc.ConnectTime}, nil
}

var errNoStreams = errors.New("backend allows no stream (SETTINGS_MAX_CONCURRENT_STREAMS 0)")

// speaks is the backend protocol of b's cluster.
func (b *Backend) speaks() order.BackendProtocol {
	if b.cluster == nil {
		return order.HTTP1
	}
	s := b.cluster.settings.Load()
	return s.Cluster.Speaks()
}

// H2Scheme is the :scheme of requests to b: https over TLS.
func (b *Backend) H2Scheme() string {
	if b.cluster != nil && b.cluster.settings.Load().TLS != nil {
		return "https"
	}
	return "http"
}

// closeH2 stops the pool: no new stream; idle connections close now, busy
// ones when their streams end. A removed backend's pool takes no
// connection after it (closed).
func (b *Backend) closeH2(closed bool) {
	p := &b.h2
	p.h1Until.Store(0)
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	if closed {
		p.closed = true
	}
	p.mu.Unlock()
	for _, cc := range conns {
		cc.Drain() // closes now if idle, else when its last stream ends
	}
}

// H2Conns is the number of pooled HTTP/2 connections that take new
// streams.
func (b *Backend) H2Conns() int {
	p := &b.h2
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, cc := range p.conns {
		if st := cc.State(); !st.Closed && !st.Closing {
			n++
		}
	}
	return n
}
