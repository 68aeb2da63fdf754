package exchange

import (
	"io"
	"sync/atomic"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// upload streams the rest of a request body from the front to an
// HTTP/1.1 backend while the exchange waits for the response, so that
// 100-continue, early answers and full-duplex exchanges work. The body
// comes as payload whatever the client's protocol and goes out framed
// anew: as it is under a Content-Length, in chunks otherwise (chunk
// extensions and trailers are not forwarded). Its goroutine belongs to the
// exchange, which waits for it (finishUpload) before it returns.
type upload struct {
	on      bool // a goroutine was started for this request
	bc      *backend.Conn
	done    chan struct{}
	err     error       // nil when the body went out whole; readable once done
	client  bool        // err is the client's (a broken body, or it went away)
	stopped bool        // the exchange cut the upload short
	read    atomic.Bool // the whole body was read from the front
	waited  bool        // finishUpload has waited for done
	// sent counts the payload bytes read from the front (those sent with
	// the head included), wrote the bytes written to the backend by the
	// goroutine; both are the goroutine's until done.
	sent, wrote int64
}

func (up *upload) reset() {
	up.on, up.bc, up.err, up.client, up.stopped, up.waited, up.sent, up.wrote = false, nil, nil, false, false, false, 0, 0
	up.read.Store(false)
}

// bodyRead reports whether the whole request body has been read from the
// front (it may still be on its way to the backend).
func (up *upload) bodyRead() bool { return up.read.Load() }

// startUpload starts the upload of what follows the body's first bytes
// to bc.
func (x *Exchange) startUpload(bc *backend.Conn) {
	up := &x.up
	up.on, up.bc, up.done = true, bc, make(chan struct{})
	go x.uploadBody()
}

// uploadBody is the upload goroutine.
func (x *Exchange) uploadBody() {
	up := &x.up
	defer close(up.done)
	bufp := x.Env.GetBuf()
	defer x.Env.PutBuf(bufp)
	buf := *bufp
	const room = 18 // a chunk-size line before the data, CRLF after it
	unsized := x.Req.Unsized
	for {
		var p []byte
		if unsized {
			p = buf[room-2 : len(buf)-2]
		} else {
			p = buf[:min(int64(len(buf)), x.Req.ContentLength-up.sent)]
		}
		n, err := x.readRequestBody(p, &up.sent)
		if n > 0 {
			out := p[:n]
			if unsized {
				out = frameChunk(buf, n, room)
			}
			if !unsized && up.sent == x.Req.ContentLength {
				up.read.Store(true)
			}
			_ = up.bc.SetWriteDeadline(x.backDeadline())
			w, werr := up.bc.Write(out)
			up.wrote += int64(w)
			if werr != nil {
				up.err = werr
				return
			}
			if up.read.Load() {
				return
			}
		}
		switch {
		case err == io.EOF && unsized:
			up.read.Store(true)
			w, werr := up.bc.Write(lastChunk)
			up.wrote, up.err = up.wrote+int64(w), werr
			return
		case err == io.EOF:
			up.failClient(ErrBadBody) // shorter than its length
			return
		case err != nil:
			up.failClient(err)
			return
		}
	}
}

// readRequestBody reads request body bytes from the front into p, for a
// backend of either protocol, and adds them to *read (which counts the
// bytes that came with the head too): past the listener's max_body_bytes
// it fails with ErrTooLarge, whatever the framing. A declared length over
// the limit is answered before anything is sent; this is the one check of
// a body whose length only its end tells.
func (x *Exchange) readRequestBody(p []byte, read *int64) (int, error) {
	n, err := x.front.ReadBody(p)
	*read += int64(n)
	if max := x.Set.MaxBodyBytes; max > 0 && *read > max {
		return 0, ErrTooLarge
	}
	return n, err
}

// frameChunk frames the n payload bytes at buf[room-2:] as one chunk, in
// place, and returns it.
func frameChunk(buf []byte, n, room int) []byte {
	var size [16]byte
	s := appendHex(size[:0], n)
	start := room - 2 - len(s) - 2
	copy(buf[start:], s)
	buf[room-4], buf[room-3] = '\r', '\n'
	buf[room-2+n], buf[room-1+n] = '\r', '\n'
	return buf[start : room+n]
}

func appendHex(b []byte, n int) []byte {
	const digits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[n&0xf]
		n >>= 4
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// failClient ends the upload on the client's side: its body broke or it
// went away. The backend connection is cut at once, so the exchange stops
// waiting for an answer to a request that will never be whole, and the
// connection is never reused.
func (up *upload) failClient(err error) {
	up.err, up.client = err, true
	up.bc.Close()
}

// finishUpload waits for the upload, stopping it first when abort is set
// or when it is still reading the body (the response ended before the
// request body). It reports whether the body was read and sent whole; true
// when there was no upload and the body was whole with the head.
func (x *Exchange) finishUpload(abort bool) bool {
	up := &x.up
	if !up.on {
		return x.bodyDone || !x.Req.HasBody()
	}
	if !up.waited {
		up.waited = true
		select {
		case <-up.done:
		default:
			// Still running: if it has read the whole body it is only
			// finishing its last write (bounded by the back timeout), so
			// wait for it; else the body will not be needed, stop it.
			if abort || !up.bodyRead() {
				up.stopped = true
				x.front.StopBody()
			}
			<-up.done
		}
		x.bodyDone = up.bodyRead()
		x.m.sentB += up.wrote
	}
	return up.err == nil && !up.stopped && !abort
}

// lastChunk ends a chunked body (no trailers).
var lastChunk = []byte(h1.LastChunk)
