package tcp

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/pipe"
	"github.com/sluiceproxy/sluice/order"
)

// IDLen is the length of a connection id: 8 hex digits of process prefix,
// a dash, 12 hex digits of sequence (the shape of a request id).
const IDLen = 21

// newID writes a new connection id into dst.
func (e *Env) newID(dst *[IDLen]byte) {
	n := e.idSeq.Add(1)
	copy(dst[:8], e.idPrefix[:])
	dst[8] = '-'
	const digits = "0123456789abcdef"
	for i := IDLen - 1; i > 8; i-- {
		dst[i] = digits[n&0xf]
		n >>= 4
	}
}

// record is what a session's access log line says, filled along the
// session when the proxy writes an access log (see Env.AccessLog). A
// session without one has a nil *record, whose methods do nothing: no
// clock is read, and the session carries 8 bytes for it.
type record struct {
	start   time.Time
	id      [IDLen]byte
	cluster string
	backend string
	sni     [order.MaxSNI]byte
	sniLen  int
	connect time.Duration
	in, out int64
	end     accesslog.End
	entry   accesslog.Conn
}

// records keeps records between sessions: a connection's line allocates
// nothing in steady state.
var records = sync.Pool{New: func() any { return new(record) }}

// newRecord starts the record of a session accepted now.
func (e *Env) newRecord() *record {
	r := records.Get().(*record)
	r.start = time.Now()
	e.newID(&r.id)
	return r
}

// ended records how the session ended (the last call wins).
func (r *record) ended(e accesslog.End) {
	if r != nil {
		r.end = e
	}
}

// noteSNI keeps the server name read from the ClientHello (its bytes are
// in a buffer given back before the session ends); a name too long for a
// route is cut.
func (r *record) noteSNI(name []byte) {
	if r != nil {
		r.sniLen = copy(r.sni[:], name)
	}
}

// routed records the cluster the session was routed to.
func (r *record) routed(c *backend.Cluster) {
	if r != nil {
		r.cluster = c.ID
	}
}

// clock returns the time now, or the zero time without a record.
func (r *record) clock() time.Time {
	if r == nil {
		return time.Time{}
	}
	return time.Now()
}

// connected records the backend connect that began at start (from clock)
// and the backend reached, nil when none was.
func (r *record) connected(start time.Time, bc *backend.Conn) {
	if r == nil {
		return
	}
	r.connect = time.Since(start)
	if bc != nil {
		r.backend = bc.Backend.Config.ID
	}
}

// sent adds n bytes sent from the client to the backend.
func (r *record) sent(n int64) {
	if r != nil {
		r.in += n
	}
}

// relayed records the relay's bytes and how it ended.
func (r *record) relayed(res pipe.Result, stopped bool) {
	if r != nil {
		r.in += res.AToB
		r.out = res.BToA
		r.end = relayEnd(res, stopped)
	}
}

// relayEnd names how a relay between the client (side 0) and the backend
// ended.
func relayEnd(res pipe.Result, stopped bool) accesslog.End {
	switch {
	case stopped:
		return accesslog.EndStopped
	case res.Err == nil && res.By == 0:
		return accesslog.EndClientClose
	case res.Err == nil:
		return accesslog.EndBackendClose
	case res.Err == pipe.ErrIdle && res.By == 0:
		return accesslog.EndClientTimeout
	case res.Err == pipe.ErrIdle:
		return accesslog.EndBackendTimeout
	case res.By == 0:
		return accesslog.EndClientError
	}
	return accesslog.EndBackendError
}

// logLine writes the session's access log line and gives its record
// back.
func (s *session) logLine() {
	r := s.rec
	s.rec = nil
	e := &r.entry
	*e = accesslog.Conn{Time: r.start, ID: r.id[:], Client: s.clientAddr(), Listener: s.ln.Addr,
		Cluster: r.cluster, Backend: r.backend, SNI: r.sni[:r.sniLen], BytesIn: r.in, BytesOut: r.out,
		Connect: r.connect, Total: time.Since(r.start), End: r.end}
	s.env.AccessLog.LogConn(e)
	*r = record{}
	records.Put(r)
}

// clientAddr is the client's address: its PROXY header's source when it
// carries one, else the connection's peer.
func (s *session) clientAddr() netip.AddrPort {
	if s.hasHdr && s.hdr.HasAddrs() {
		return s.hdr.Source
	}
	if ta, ok := s.conn.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	return netip.AddrPort{}
}
