package tcp

import (
	"net"
	"net/netip"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
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
// session when the proxy writes an access log (see Env.AccessLog).
type record struct {
	on      bool
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

// noteSNI keeps the server name read from the ClientHello (its bytes are
// in a buffer given back before the session ends); a name too long for a
// route is cut.
func (r *record) noteSNI(name []byte) {
	if r.on {
		r.sniLen = copy(r.sni[:], name)
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

// logLine writes the session's access log line.
func (s *session) logLine() {
	r := &s.rec
	e := &r.entry
	*e = accesslog.Conn{Time: r.start, ID: r.id[:], Client: s.clientAddr(), Listener: s.ln.Addr,
		Cluster: r.cluster, Backend: r.backend, SNI: r.sni[:r.sniLen], BytesIn: r.in, BytesOut: r.out,
		Connect: r.connect, Total: time.Since(r.start), End: r.end}
	s.env.AccessLog.LogConn(e)
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
