package exchange

import (
	"io"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// The rest of a response body, after what came with the head, is copied
// from the backend to the front read by read, by its framing.

// copyLength copies the remaining bytes of a content-length body. Bytes
// beyond it make the connection unusable (false).
func (x *Exchange) copyLength(bc *backend.Conn, remaining int64) bool {
	for remaining > 0 {
		n, ok := x.readBody(bc)
		if !ok {
			return false
		}
		k := int(min(int64(n), remaining))
		if !x.write(x.buf[:k]) {
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
	for {
		n, ok := x.readBody(bc)
		if !ok {
			return false
		}
		var k, m int
		var fin bool
		var err error
		if decode {
			k, m, fin, err = chunks.Decode(x.buf[:n])
		} else {
			k, fin, err = chunks.Scan(x.buf[:n])
			m = k
		}
		if err != nil {
			x.Env.Log.Warn("malformed chunked response body", "request_id", string(x.ID[:]), "error", err)
			return false
		}
		if !x.write(x.buf[:m]) {
			return false
		}
		if fin {
			return k == n
		}
	}
}

// copyUntilClose copies a body delimited by the backend closing: whole
// when the backend closes cleanly (EOF), cut short on any other error.
func (x *Exchange) copyUntilClose(bc *backend.Conn) bool {
	for {
		n, err := x.readSome(bc)
		if n > 0 && !x.write(x.buf[:n]) {
			return false
		}
		if err != nil {
			return err == io.EOF
		}
	}
}

// readBody reads the next body bytes from the backend into x.buf; false
// when the backend closed, failed or went silent for back_timeout.
func (x *Exchange) readBody(bc *backend.Conn) (int, bool) {
	n, err := x.readSome(bc)
	return n, n > 0 || err == nil
}

// readSome reads at least one byte from the backend into x.buf, or fails.
func (x *Exchange) readSome(bc *backend.Conn) (int, error) {
	_ = bc.SetReadDeadline(x.backDeadline())
	for {
		n, err := bc.Read(x.buf)
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
