package exchange

import (
	"io"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// The rest of a response body, after what came with the head, is copied
// from the backend to the front read by read, by its framing: through
// x.buf (BufSize) while the body is short, through a bulk buffer
// (BulkBufSize, from the Env's pool, given back by dropBulk once the body
// is copied) when more than x.buf holds is still to come, or, for a body
// of unknown length, once a read filled x.buf. A 64 KiB response then
// takes two reads and two writes of the body instead of five: fewer system
// calls, and fewer, larger TCP segments for the client's kernel to take in.
// When Env.BulkMax bulk buffers are in use (slow downloads hold theirs
// until their body is copied), a body goes on through x.buf.

// bulkBuf is the bulk buffer, taken on first use; x.buf when none is
// free.
func (x *Exchange) bulkBuf() []byte {
	if x.bulk == nil {
		if x.noBulk {
			return x.buf
		}
		if x.bulk = x.Env.GetBulk(); x.bulk == nil {
			x.noBulk = true // not asked again for this body
			return x.buf
		}
	}
	return *x.bulk
}

// dropBulk gives the bulk buffer back, if one was taken.
func (x *Exchange) dropBulk() {
	x.noBulk = false
	if x.bulk != nil {
		x.Env.PutBulk(x.bulk)
		x.bulk = nil
	}
}

// copyLength copies the remaining bytes of a content-length body. Bytes
// beyond it make the connection unusable (false).
func (x *Exchange) copyLength(bc *backend.Conn, remaining int64) bool {
	buf := x.buf
	if remaining > int64(len(buf)) {
		buf = x.bulkBuf()
	}
	for remaining > 0 {
		n, ok := x.readBody(bc, buf)
		if !ok {
			return false
		}
		k := int(min(int64(n), remaining))
		if !x.write(buf[:k]) {
			return false
		}
		remaining -= int64(k)
		if k < n {
			return false
		}
	}
	return true
}

// copyChunked copies the rest of a chunked body, checking its framing;
// decoded (for fronts that do not take chunks) or as it is.
func (x *Exchange) copyChunked(bc *backend.Conn, chunks *h1.ChunkedScanner, decode bool) bool {
	buf := x.buf
	for {
		n, ok := x.readBody(bc, buf)
		if !ok {
			return false
		}
		var k, m int
		var fin bool
		var err error
		if decode {
			k, m, fin, err = chunks.Decode(buf[:n])
		} else {
			k, fin, err = chunks.Scan(buf[:n])
			m = k
		}
		if err != nil {
			x.m.backendErr(metrics.BackendParse)
			x.Env.Log.Warn("malformed chunked response body", "request_id", string(x.ID[:]), "error", err)
			return false
		}
		if !x.write(buf[:m]) {
			return false
		}
		if fin {
			return k == n
		}
		if n == len(buf) { // more is coming than x.buf holds
			buf = x.bulkBuf()
		}
	}
}

// copyUntilClose copies a body delimited by the backend closing: whole
// when the backend closes cleanly (EOF), cut short on any other error.
func (x *Exchange) copyUntilClose(bc *backend.Conn) bool {
	buf := x.buf
	for {
		n, err := x.readSome(bc, buf)
		if n > 0 && !x.write(buf[:n]) {
			return false
		}
		if err != nil {
			if err != io.EOF {
				x.bodyCut(err)
			}
			return err == io.EOF
		}
		if n == len(buf) { // more is coming than x.buf holds
			buf = x.bulkBuf()
		}
	}
}

// readBody reads the next body bytes from the backend into buf; false
// when the backend closed, failed or went silent for back_timeout (which
// the exchange's accounting records: the body was cut short).
func (x *Exchange) readBody(bc *backend.Conn, buf []byte) (int, bool) {
	n, err := x.readSome(bc, buf)
	if n == 0 && err != nil {
		x.bodyCut(err)
	}
	return n, n > 0 || err == nil
}

// bodyCut records a response body the backend cut short with err: a
// timeout when it went silent for back_timeout, else a reset (closed or
// reset before the body's end), for the access log's error and the
// cluster's errors, with a debug line.
func (x *Exchange) bodyCut(err error) {
	k := metrics.BackendReset
	if isTimeout(err) {
		k = metrics.BackendTimeout
	}
	x.m.backendErr(k)
	x.Env.Log.Debug("backend response cut short", "request_id", string(x.ID[:]), "error", err)
}

// readSome reads at least one byte from the backend into buf, or fails.
func (x *Exchange) readSome(bc *backend.Conn, buf []byte) (int, error) {
	_ = bc.SetReadDeadline(x.backDeadline())
	for {
		n, err := bc.Read(buf)
		if n > 0 {
			x.m.recvB += int64(n)
			x.z.short = n < len(x.buf)
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// write hands body bytes to the front (through the encoder when the
// response is compressed).
func (x *Exchange) write(p []byte) bool {
	if x.z.on {
		if err := x.z.write(p); err != nil {
			x.m.clientErr(clientReset)
			return false
		}
		return true
	}
	if len(p) == 0 {
		return true
	}
	if err := x.front.WriteBody(p); err != nil {
		x.m.clientErr(clientReset)
		return false
	}
	return true
}
