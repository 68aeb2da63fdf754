package exchange

import (
	"bytes"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/encode"
	"github.com/sluiceproxy/sluice/internal/h1"
)

// Compression of responses (a cluster's compression policy). A response
// is compressed when the client accepts one of the policy's encodings
// (negotiated from Accept-Encoding when the request came, see
// preparePolicy) and it is a final response with a body (not to HEAD, not
// 204 or 304, not 206, not to a request with Range), it has no
// Content-Encoding already, its Content-Type is one of the policy's types,
// its Cache-Control does not say no-transform, and its Content-Length,
// when it has one, is at least the policy's min_size. Its head then loses
// Content-Length and gains Content-Encoding and Vary: Accept-Encoding
// (a strong ETag turns weak), and its body reaches the front as Unsized:
// the front frames it (chunked on HTTP/1.1, DATA frames on HTTP/2), the
// same for every front. The body is compressed as it streams, never held
// whole: the encoder is flushed whenever a read from the backend comes
// back short (the backend has nothing more for now, as a streaming
// response does between events), and closed at the end. Encoders come
// from pools (package internal/encode): a compressed response allocates
// nothing of its own once the pools are warm.

// compressor is the exchange's compression of the response in progress.
type compressor struct {
	on    bool
	alg   string
	level int
	enc   encode.Encoder
	w     frontWriter
	short bool // the last backend read came back short: flush after writing it
	vary  []byte
	etag  []byte
}

// frontWriter is the encoder's output: the front's body.
type frontWriter struct {
	x   *Exchange
	err error
}

func (w *frontWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if err := w.x.front.WriteBody(p); err != nil {
		w.err = err
		return 0, err
	}
	return len(p), nil
}

// compressible reports whether the backend response with status, fields
// fs and declared length (-1: none) is to be compressed under z.
func (x *Exchange) compressible(z *backend.Compression, status int, fs []h1.Header, length int64) bool {
	if x.pol.encoding == "" || status < 200 || status == 204 || status == 206 || status == 304 {
		return false
	}
	if length >= 0 && length < z.MinSize {
		return false
	}
	typed := false
	for i := range fs {
		f := &fs[i]
		switch {
		case len(f.Name) == 16 && h1.EqualFold(f.Name, "content-encoding"):
			if len(bytes.TrimSpace(f.Value)) > 0 && !h1.EqualFold(bytes.TrimSpace(f.Value), "identity") {
				return false
			}
		case len(f.Name) == 12 && h1.EqualFold(f.Name, "content-type"):
			typed = encode.TypeMatches(f.Value, z.Types)
			if !typed {
				return false
			}
		case len(f.Name) == 13 && h1.EqualFold(f.Name, "cache-control"):
			if containsFold(f.Value, "no-transform") {
				return false
			}
		case len(f.Name) == 13 && h1.EqualFold(f.Name, "content-range"):
			return false
		}
	}
	return typed
}

// compressHead turns h, a head whose body is to be compressed, into the
// compressed response's head and starts the encoder.
func (x *Exchange) compressHead(h *Head, z *backend.Compression) {
	c := &x.z
	c.on, c.alg, c.level = true, x.pol.encoding, z.GzipLevel
	fs := h.Fields[:0]
	varied := false
	for _, f := range h.Fields {
		switch {
		case len(f.Name) == 16 && h1.EqualFold(f.Name, "content-encoding"):
			continue // identity
		case len(f.Name) == 4 && h1.EqualFold(f.Name, "vary"):
			if !varied {
				varied = true
				if !containsFold(f.Value, "accept-encoding") && !bytes.Equal(bytes.TrimSpace(f.Value), []byte("*")) {
					c.vary = append(append(c.vary[:0], f.Value...), ", Accept-Encoding"...)
					f.Value = c.vary
				}
			}
		case len(f.Name) == 4 && h1.EqualFold(f.Name, "etag"):
			if len(f.Value) > 0 && f.Value[0] == '"' {
				c.etag = append(append(c.etag[:0], "W/"...), f.Value...)
				f.Value = c.etag
			}
		}
		fs = append(fs, f)
	}
	fs = append(fs, h1.Header{Name: nameContentEncoding, Value: encodingName(c.alg)})
	if !varied {
		fs = append(fs, h1.Header{Name: nameVary, Value: valueAcceptEncoding})
	}
	x.fields = fs
	h.Fields = fs
	h.Framing, h.ContentLength = Unsized, -1
	c.w = frontWriter{x: x}
	c.enc = encode.Get(c.alg, c.level, &c.w)
}

// writeCompressed writes p to the encoder, flushing it when the read that
// brought p came back short.
func (c *compressor) write(p []byte) error {
	if len(p) > 0 {
		if _, err := c.enc.Write(p); err != nil {
			return err
		}
	}
	if c.short {
		if err := c.enc.Flush(); err != nil {
			return err
		}
	}
	return c.w.err
}

// finish ends the compressed stream (its last bytes go to the front).
func (c *compressor) finish() error {
	err := c.enc.Close()
	if err == nil {
		err = c.w.err
	}
	c.release()
	return err
}

// release gives the encoder back to its pool.
func (c *compressor) release() {
	if c.enc != nil {
		encode.Put(c.alg, c.level, c.enc)
		c.enc = nil
	}
	c.on, c.short = false, false
	c.w = frontWriter{}
}

var (
	nameContentEncoding = []byte("Content-Encoding")
	nameVary            = []byte("Vary")
	valueAcceptEncoding = []byte("Accept-Encoding")
	encodingNames       = map[string][]byte{"gzip": []byte("gzip"), "zstd": []byte("zstd"), "br": []byte("br")}
)

func encodingName(alg string) []byte { return encodingNames[alg] }

// containsFold reports whether b contains the lower-case ASCII word s,
// whatever its case.
func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if h1.EqualFold(b[i:i+len(s)], s) {
			return true
		}
	}
	return false
}
