package h2

import (
	"io"
	"strconv"
	"time"
)

// upload streams a request body from the client's stream to the backend
// while the stream reads the response (so 100-continue, early answers and
// full-duplex exchanges work). Its owner, the stream, waits for done.
type upload struct {
	x      *exchange
	body   io.ReadCloser
	length int64 // -1: unknown, sent chunked
	done   chan struct{}
	err    error // nil when the body went out whole
	// client is set when reading the client's body failed (its DATA
	// disagreed with its content-length, or the stream was reset);
	// readable once done is closed.
	client bool
}

// failClient ends the upload on a broken client body: the backend
// connection is cut at once, so the exchange stops waiting for an answer
// to a request that will never be whole.
func (up *upload) failClient(err error) {
	up.err, up.client = err, true
	up.x.cur.Load().Close()
}

func startUpload(x *exchange, body io.ReadCloser, length int64) *upload {
	up := &upload{x: x, body: body, length: length, done: make(chan struct{})}
	go up.run()
	return up
}

func (up *upload) run() {
	defer close(up.done)
	st := up.x.st
	bufp := st.srv.bufs.Get().(*[]byte)
	defer st.srv.bufs.Put(bufp)
	buf := *bufp
	const room = 18 // a chunk-size line and CRLF around the data
	var sent int64
	for {
		var n int
		var err error
		if up.length < 0 {
			n, err = up.body.Read(buf[room-2 : len(buf)-2])
		} else {
			n, err = up.body.Read(buf[:min(int64(len(buf)), up.length-sent)])
		}
		if n > 0 {
			var out []byte
			if up.length < 0 {
				size := strconv.AppendInt(buf[:0:room-2], int64(n), 16)
				start := room - 2 - len(size) - 2
				copy(buf[start:], size)
				buf[room-4], buf[room-3] = '\r', '\n'
				buf[room-2+n], buf[room-1+n] = '\r', '\n'
				out = buf[start : room+n]
			} else {
				out = buf[:n]
			}
			sent += int64(n)
			bc := up.x.cur.Load()
			_ = bc.SetWriteDeadline(time.Now().Add(st.set.BackTimeout))
			if _, werr := bc.Write(out); werr != nil {
				up.err = werr
				return
			}
		}
		if up.length >= 0 && sent == up.length {
			return
		}
		if err == io.EOF {
			if up.length >= 0 {
				up.failClient(io.ErrUnexpectedEOF)
				return
			}
			bc := up.x.cur.Load()
			_, up.err = bc.Write([]byte("0\r\n\r\n"))
			return
		}
		if err != nil {
			up.failClient(err)
			return
		}
	}
}

// finishUpload waits for the upload, stopping it first when abort is set.
// It reports whether the body went out whole (true when there was none).
func (x *exchange) finishUpload(abort bool) bool {
	up := x.up
	if up == nil {
		return true
	}
	if abort {
		x.abortUpload()
	}
	select {
	case <-up.done:
	default:
		// The response ended before the request body: stop reading it.
		_ = up.body.Close()
		<-up.done
		return false
	}
	return up.err == nil
}

// abortUpload stops the upload: the body is closed (a pending read
// returns) and so is the backend connection (a pending write returns).
func (x *exchange) abortUpload() {
	if x.up != nil {
		_ = x.up.body.Close()
		x.cur.Load().Close()
		<-x.up.done
	}
}
