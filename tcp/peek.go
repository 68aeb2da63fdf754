package tcp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/sni"
	"github.com/sluiceproxy/sluice/metrics"
)

// helloBufs are what a ClientHello is read into: the bytes as read (to
// be replayed to the backend) and the scratch space of a fragmented
// hello. 32 KiB per connection between accept and replay.
type helloBuf struct {
	raw     [sni.MaxHello]byte
	scratch [sni.MaxHello]byte
}

var helloBufs = sync.Pool{New: func() any { return new(helloBuf) }}

// pickBySNI reads the client's ClientHello (within the request timeout,
// at most sni.MaxHello bytes) and returns the cluster its server name
// routes to:
//
//   - a name a route takes: that route's cluster;
//   - any other name, a ClientHello without SNI, or a first byte that is
//     not a TLS handshake record: the default route (nil when none);
//   - a malformed ClientHello, one over 16 KiB, a client that closes or
//     stays silent: ok is false, the connection is to be closed.
//
// The bytes read are kept in s.hello for replay.
func (s *session) pickBySNI(r *Routes) (c *backend.Cluster, ok bool) {
	s.hello = helloBufs.Get().(*helloBuf)
	n, name, err := sni.Peek(s.conn, s.hello.raw[:], s.hello.scratch[:], s.set.RequestTimeout)
	s.helloLen = n
	switch {
	case err == nil && name != nil:
		s.rec.noteSNI(name)
		if c := r.Match(name); c != nil {
			return c, true
		}
		return r.Default, true
	case err == nil, err == sni.ErrNotTLS:
		return r.Default, true
	}
	level, kind, why := slog.LevelInfo, metrics.ClientParse, err.Error()
	switch {
	case errors.Is(err, io.EOF):
		level, kind, why = slog.LevelDebug, metrics.ClientReset, "connection closed before a complete ClientHello"
	case sni.IsTimeout(err):
		level, kind, why = slog.LevelDebug, metrics.ClientTimeout, "no complete ClientHello within the request timeout"
	case err != sni.ErrTooLarge && !sni.IsMalformed(err):
		level, kind = slog.LevelDebug, metrics.ClientReset
	}
	if lm := s.ln.M; lm != nil {
		lm.Errors[kind].Inc()
	}
	s.env.Log.Log(context.Background(), level, "tcp connection closed: no server name read",
		"listener", s.ln.Addr, "client", s.client(), "bytes", n, "reason", why)
	return nil, false
}

// replay writes the bytes read by pickBySNI to the backend, before the
// relay starts, within the back timeout.
func (s *session) replay(bc *backend.Conn) bool {
	if s.helloLen == 0 {
		return true
	}
	_ = bc.SetWriteDeadline(time.Now().Add(s.set.BackTimeout))
	if _, err := bc.Write(s.hello.raw[:s.helloLen]); err != nil {
		s.env.Log.Warn("replaying the ClientHello to the backend failed", "listener", s.ln.Addr,
			"backend", bc.Backend.Config.ID, "error", err)
		return false
	}
	_ = bc.SetWriteDeadline(time.Time{})
	s.rec.sent(int64(s.helloLen))
	if lm := s.ln.M; lm != nil {
		lm.BytesIn.Add(int64(s.helloLen))
	}
	if bm := bc.Backend.M; bm != nil {
		bm.BytesSent.Add(int64(s.helloLen))
	}
	s.releaseHello()
	return true
}

// releaseHello gives the ClientHello buffers back; idempotent.
func (s *session) releaseHello() {
	if s.hello != nil {
		helloBufs.Put(s.hello)
		s.hello, s.helloLen = nil, 0
	}
}
