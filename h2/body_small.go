package h2

import (
	"io"
	"net/http"
	"time"
)

// smallBody is the largest declared request body read whole before the
// backend is contacted.
const smallBody = 8 << 10

// readSmallBody reads a request body of a declared length up to smallBody
// before any backend is contacted, so that a body that disagrees with its
// content-length is refused without reaching one (and the request goes out
// in one write). It reports false when it has answered (400) or the stream
// is gone; it waits for the body at most request_timeout.
func (st *stream) readSmallBody() bool {
	r := st.r
	if r.ContentLength <= 0 || r.ContentLength > smallBody {
		return true
	}
	rc := http.NewResponseController(st.w)
	_ = rc.SetReadDeadline(time.Now().Add(st.set.RequestTimeout))
	defer rc.SetReadDeadline(time.Time{})
	// One byte more than declared: the whole body is exactly the
	// declared length followed by its end (io.ErrUnexpectedEOF here).
	// The server fails the read when END_STREAM comes early or DATA
	// runs past the length.
	body := make([]byte, r.ContentLength+1)
	n, err := io.ReadFull(r.Body, body)
	if err == io.ErrUnexpectedEOF && int64(n) == r.ContentLength {
		st.body = body[:n]
		return true
	}
	if r.Context().Err() == nil {
		st.srv.env.Log.Debug("bad request body", "request_id", string(st.id[:]), "bytes", n, "error", err)
		st.answer(400, nil, nil)
	}
	return false
}
