package session

import (
	"io"
	"net"
	"sync"
	"time"
)

// tunnel completes an upgrade: it relays the 101 response, then copies bytes
// both ways until both directions end. The connection is not reused.
func (x *responseExchange) tunnel(upgrade []byte) bool {
	s := x.s
	x.finishUpload(false)
	resp := s.resp
	out := s.appendResponseHead(s.out(), false, upgradeValue(resp.Headers))
	out = append(out, x.buf[resp.HeadLen:x.n]...)
	*s.outp = out[:cap(out)]
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.set.FrontTimeout))
	if _, err := s.conn.Write(out); err != nil {
		x.bc.Close()
		return false
	}
	if s.r < s.w { // client bytes sent right after its request
		if _, err := x.bc.Write(s.buf[s.r:s.w]); err != nil {
			x.bc.Close()
			return false
		}
		s.r = s.w
	}
	idle := s.set.FrontTimeout
	_ = s.conn.SetDeadline(time.Time{})
	_ = x.bc.SetDeadline(time.Time{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // owned by this tunnel, which waits for it
		defer wg.Done()
		pipe(x.bc.Conn, s.conn, s.buf[:cap(s.buf)], idle)
	}()
	pipe(s.conn, x.bc.Conn, x.buf, idle)
	wg.Wait()
	x.bc.Close()
	return false
}

// pipe copies src to dst until src ends or stays silent for idle. At the
// end of the stream it half-closes dst so the peer sees it; on an error or a
// timeout it closes both connections, which ends the other direction too.
func pipe(dst, src net.Conn, buf []byte, idle time.Duration) {
	for {
		_ = src.SetReadDeadline(time.Now().Add(idle))
		n, err := src.Read(buf)
		if n > 0 {
			_ = dst.SetWriteDeadline(time.Now().Add(idle))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err == io.EOF {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
				return
			}
		}
		if err != nil {
			dst.Close()
			src.Close()
			return
		}
	}
}
