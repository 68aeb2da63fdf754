package h2

import (
	"io"
	"net/http"
	"time"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// bodyCopy streams a response body from the backend to the client.
type bodyCopy struct {
	x   *exchange
	w   io.Writer
	fl  http.Flusher
	buf []byte
}

func (b *bodyCopy) write(p []byte) bool {
	if len(p) == 0 {
		return true
	}
	if _, err := b.w.Write(p); err != nil {
		return false
	}
	if b.fl != nil {
		b.fl.Flush()
	}
	return true
}

func (b *bodyCopy) read() (int, error) {
	bc := b.x.cur.Load()
	_ = bc.SetReadDeadline(time.Now().Add(b.x.st.set.BackTimeout))
	for {
		n, err := bc.Read(b.buf)
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// length copies a body of n bytes, initial first.
func (b *bodyCopy) length(initial []byte, n int64, keep bool) (ok, reusable bool) {
	k := min(int64(len(initial)), n)
	if !b.write(initial[:k]) {
		return false, false
	}
	extra := int64(len(initial)) > k
	for left := n - k; left > 0; {
		m, _ := b.read()
		if m == 0 {
			return false, false // the backend closed or went silent
		}
		c := min(int64(m), left)
		if !b.write(b.buf[:c]) {
			return false, false
		}
		left -= c
		extra = extra || int64(m) > c
	}
	return true, keep && !extra
}

// chunked decodes a chunked body, initial first.
func (b *bodyCopy) chunked(initial []byte, keep bool) (ok, reusable bool) {
	var sc h1.ChunkedScanner
	p := initial
	for {
		n, m, done, err := sc.Decode(p)
		if !b.write(p[:m]) || err != nil {
			return false, false
		}
		if done {
			return true, keep && n == len(p)
		}
		k, _ := b.read()
		if k == 0 {
			return false, false // the backend closed or went silent
		}
		p = b.buf[:k]
	}
}

// untilClose copies a body delimited by the backend closing.
func (b *bodyCopy) untilClose(initial []byte) bool {
	if !b.write(initial) {
		return false
	}
	for {
		n, err := b.read()
		if n > 0 && !b.write(b.buf[:n]) {
			return false
		}
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}
