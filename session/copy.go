package session

import (
	"time"

	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// copyLength streams the remaining bytes of a content-length response body.
func (x *responseExchange) copyLength(remaining int64) bool {
	for remaining > 0 {
		n, ok := x.readBody()
		if !ok {
			return false
		}
		k := int(min(int64(n), remaining))
		if !x.write(x.buf[:k]) {
			return false
		}
		remaining -= int64(k)
		if k < n {
			return false // bytes beyond the body: the connection is unusable
		}
	}
	return true
}

// copyChunked streams the rest of a chunked response body, checking its
// framing.
func (x *responseExchange) copyChunked(chunks *h1.ChunkedScanner) bool {
	for {
		n, ok := x.readBody()
		if !ok {
			return false
		}
		k, fin, err := chunks.Scan(x.buf[:n])
		if err != nil {
			x.s.env.Log.Warn("malformed chunked response body", "request_id", string(x.s.id[:]), "error", err)
			return false
		}
		if !x.write(x.buf[:k]) {
			return false
		}
		if fin {
			return k == n
		}
	}
}

// copyUntilClose streams a response body delimited by the backend closing.
func (x *responseExchange) copyUntilClose() {
	for {
		n, ok := x.readBody()
		if !ok || !x.write(x.buf[:n]) {
			return
		}
	}
}

func (x *responseExchange) readBody() (int, bool) {
	_ = x.bc.SetReadDeadline(time.Now().Add(x.s.set.BackTimeout))
	for {
		n, err := x.bc.Read(x.buf)
		if n > 0 {
			x.s.m.recvB += int64(n)
			return n, true
		}
		if err != nil {
			return 0, false
		}
	}
}

func (x *responseExchange) write(p []byte) bool {
	_ = x.s.conn.SetWriteDeadline(time.Now().Add(x.s.set.FrontTimeout))
	n, err := x.s.sock.Write(p)
	x.s.m.out += int64(n)
	if err != nil {
		x.s.m.clientErr(metrics.ClientReset)
	}
	return err == nil
}
