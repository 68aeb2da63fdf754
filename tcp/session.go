package tcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/pipe"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
)

// session is one client connection of a tcp listener.
type session struct {
	env  *Env
	ln   *Listener
	conn net.Conn
	set  *Settings
	// bc is the backend connection once connected, for a hard stop.
	bc atomic.Pointer[backend.Conn]

	hdr    proxyproto.Header // the client's PROXY header, when one came
	hasHdr bool
	hbuf   *[]byte // pooled buffer holding hdr's TLVs, nil when none

	hello    *helloBuf // the ClientHello bytes read to route by SNI, until replayed
	helloLen int

	stopped atomic.Bool // closed by a hard stop (Listener.CloseAll)
	rec     *record     // the access log line's fields; nil when none is written
}

// headerBufs holds the buffers PROXY headers are read into.
var headerBufs = sync.Pool{New: func() any { b := make([]byte, proxyproto.DefaultMaxV2); return &b }}

// Serve serves conn until it closes: it reads the PROXY header if the
// listener expects one, connects to a backend of the listener's cluster
// and relays bytes both ways until both directions end. It owns conn and
// closes it; it returns when the connection is done, and the caller owns
// the goroutine.
func Serve(env *Env, ln *Listener, conn net.Conn) {
	s := &session{env: env, ln: ln, conn: conn, set: ln.Settings()}
	if !ln.track(s) {
		conn.Close()
		return
	}
	env.Active.Add(1)
	if env.AccessLog != nil {
		s.rec = env.newRecord()
	}
	if lm := ln.M; lm != nil {
		lm.ConnectionsAccepted.Inc()
		lm.ConnectionsActive.Inc()
		defer lm.ConnectionsActive.Dec()
	}
	defer func() {
		if v := recover(); v != nil {
			env.Panics.Add(1)
			env.Log.Error("panic while serving a tcp connection", "listener", ln.Addr,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
		s.abort()
		if s.rec != nil {
			s.logLine()
		}
		s.releaseHeader()
		s.releaseHello()
		ln.untrack(s)
		env.Active.Add(-1)
	}()
	if s.set.ExpectProxy && !s.readHeader() {
		s.rec.ended(accesslog.EndProxyHeader)
		return
	}
	if a := ln.Admit; a != nil {
		ip := s.clientIP()
		if !a.Acquire(ip) {
			s.rec.ended(accesslog.EndRefused)
			env.Log.Debug("tcp connection refused: max_connections_per_ip reached", "listener", ln.Addr, "client", ip.String())
			return
		}
		defer a.Release(ip)
	}
	r := ln.Routes()
	var c *backend.Cluster
	if r.SNI() {
		var ok bool
		if c, ok = s.pickBySNI(r); !ok {
			s.rec.ended(accesslog.EndHello)
			return
		}
	} else if r != nil {
		c = r.Default
	}
	if c == nil {
		s.rec.ended(accesslog.EndNoRoute)
		msg := "tcp connection without a frontend closed"
		if r.SNI() {
			msg = "tcp connection closed: no route for its server name and no default route"
		}
		env.Log.Debug(msg, "listener", ln.Addr, "client", s.client())
		return
	}
	s.rec.routed(c)
	bc := s.connect(c)
	if bc == nil {
		s.rec.ended(accesslog.EndNoBackend)
		return
	}
	b := bc.Backend
	b.Acquire()
	defer b.Release()
	s.rec.ended(accesslog.EndSetup)
	if c.Settings().SendProxy && !s.sendHeader(bc) {
		return
	}
	s.releaseHeader()
	if !s.replay(bc) {
		return
	}
	if lm := ln.M; lm != nil {
		lm.TunnelsActive.Inc()
	}
	res := pipe.Run(pipe.Side{Conn: conn, Idle: s.set.FrontTimeout},
		pipe.Side{Conn: bc.Bare(), Idle: s.set.BackTimeout}) // the bare *net.TCPConn, for splice
	countRelay(ln, c, b, res)
	s.rec.relayed(res, s.stopped.Load())
	if res.Err != nil {
		env.Log.Debug("tcp relay ended", "listener", ln.Addr, "client", s.client(), "cluster", c.ID,
			"backend", b.Config.ID, "sent", res.AToB, "received", res.BToA, "reason", res.Err)
	}
}

// countRelay adds a finished relay to the metric sets: its bytes each way,
// and the tunnel it was.
func countRelay(ln *Listener, c *backend.Cluster, b *backend.Backend, res pipe.Result) {
	if lm := ln.M; lm != nil {
		lm.TunnelsActive.Dec()
		lm.BytesIn.Add(res.AToB)
		lm.BytesOut.Add(res.BToA)
	}
	if c.M != nil {
		c.M.Requests.Inc()
	}
	if bm := b.M; bm != nil {
		bm.Requests.Inc()
		bm.BytesSent.Add(res.AToB)
		bm.BytesReceived.Add(res.BToA)
	}
}

// abort closes both connections.
func (s *session) abort() {
	s.conn.Close()
	if bc := s.bc.Load(); bc != nil {
		bc.Close()
	}
}

// readHeader reads the client's PROXY header within the request timeout.
// It logs and reports false when the header is missing or malformed.
func (s *session) readHeader() bool {
	s.hbuf = headerBufs.Get().(*[]byte)
	_ = s.conn.SetReadDeadline(time.Now().Add(s.set.RequestTimeout))
	_, err := proxyproto.Read(s.conn, *s.hbuf, &s.hdr)
	if err != nil {
		level := slog.LevelWarn
		if err == io.EOF {
			level = slog.LevelDebug // connect and close: a port check, nothing wrong
		}
		s.env.Log.Log(context.Background(), level, "connection closed: bad PROXY protocol header",
			"listener", s.ln.Addr, "peer", s.conn.RemoteAddr().String(), "error", describe(err))
		return false
	}
	_ = s.conn.SetReadDeadline(time.Time{})
	s.hasHdr = true
	return true
}

// describe names why a header read failed.
func describe(err error) string {
	switch {
	case errors.Is(err, proxyproto.ErrMalformed):
		return err.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "no complete header within the request timeout"
	default:
		return "connection ended before a complete header: " + err.Error()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *session) releaseHeader() {
	if s.hbuf != nil {
		s.hdr.TLVs = nil
		headerBufs.Put(s.hbuf)
		s.hbuf = nil
	}
}

// client returns the client's address: the one of its PROXY header when
// it carries one, else the connection's.
func (s *session) client() string {
	if s.hasHdr && s.hdr.HasAddrs() {
		return s.hdr.Source.String()
	}
	return s.conn.RemoteAddr().String()
}

// clientIP is the client's IP: its PROXY header's source when it carries
// one, else the connection's peer.
func (s *session) clientIP() netip.Addr {
	if s.hasHdr && s.hdr.HasAddrs() {
		return s.hdr.Source.Addr().Unmap()
	}
	if ta, ok := s.conn.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// connect picks a backend and connects to it, trying other backends when a
// connect fails (see backend.Cluster.Connect). It returns nil when none
// could be reached.
func (s *session) connect(c *backend.Cluster) *backend.Conn {
	start := s.rec.clock()
	bc := c.Connect(context.Background(), &backend.Dial{
		Timeout: s.set.ConnectTimeout,
		Failed: func(b *backend.Backend, err error) {
			s.env.Log.Warn("backend connect failed", "listener", s.ln.Addr, "cluster", c.ID,
				"backend", b.Config.ID, "address", b.Addr, "error", err)
		},
	})
	s.rec.connected(start, bc)
	if bc == nil {
		s.env.Log.Warn("tcp connection closed: no backend reachable", "listener", s.ln.Addr,
			"cluster", c.ID, "client", s.client())
		return nil
	}
	s.bc.Store(bc)
	return bc
}

// sendHeader writes a PROXY protocol v2 header to the backend: the
// client's own header when one came (relayed with its addresses and
// TLVs), else one naming the client's and the listener's addresses.
func (s *session) sendHeader(bc *backend.Conn) bool {
	h := proxyproto.ConnHeader(s.conn)
	if s.hasHdr {
		h = s.hdr
	}
	if err := bc.SendProxyHeader(&h, s.set.BackTimeout); err != nil {
		s.env.Log.Warn("writing the PROXY header to the backend failed", "backend", bc.Backend.Config.ID, "error", err)
		return false
	}
	_ = bc.SetWriteDeadline(time.Time{})
	return true
}
