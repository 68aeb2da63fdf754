package exchange

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unsafe"

	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/h2client"
)

// The request fields and the response of an HTTP/2 backend (forwardH2),
// through the one header table.

// h2Fields appends to fs the fields of the request to an HTTP/2 backend:
// those the header table forwards (not Expect: the body goes right after
// the head), the cookies joined, and the forwarding fields. The fields
// alias the request and x.h2vals, where the values the stage makes are
// written: valid until the next h2Fields (h2client.Conn.Open encodes
// them at once).
func (x *Exchange) h2Fields(fs []h1.Header) []h1.Header {
	req := &x.Req
	for i := range req.Fields {
		f := &req.Fields[i]
		if x.forwardField(f) && f.Kind != h1.HeaderExpect && !(x.reqEdits && x.dropRequestField(f)) {
			fs = append(fs, *f)
		}
	}
	b := x.h2vals[:0]
	if x.reqEdits {
		fs, b = x.h2Edits(fs, b)
	}
	start := len(b)
	if b = x.appendCookies(b); len(b) > start {
		fs = append(fs, h1.Header{Name: nameCookie, Value: b[start+len("Cookie: ") : len(b)-2]})
	}
	start = len(b)
	b = x.appendClientIP(appendValues(b, req.Fields, h1.HeaderXForwardedFor))
	fs = append(fs, h1.Header{Name: nameXForwardedFor, Value: b[start:]})
	start = len(b)
	b = append(x.appendForwardedNode(append(appendValues(b, req.Fields, h1.HeaderForwarded), "for="...)), ";proto="...)
	b = append(append(append(b, x.Set.Proto...), ";by="...), x.Ln.ByNode()...)
	fs = append(fs, h1.Header{Name: nameForwarded, Value: b[start:]})
	start = len(b)
	b = append(append(b, x.Set.Proto...), x.Ln.Port()...)
	proto, port := b[start:start+len(x.Set.Proto)], b[start+len(x.Set.Proto):]
	fs = append(fs, h1.Header{Name: nameXForwardedProto, Value: proto}, h1.Header{Name: nameXForwardedPort, Value: port},
		h1.Header{Name: x.requestIDName(), Value: x.ID[:]})
	if x.tr.send {
		start = len(b)
		b = x.appendTraceparent(b)
		fs = append(fs, h1.Header{Name: nameTraceparent, Value: b[start:]})
	}
	x.clientCertFields(func(name, value string) {
		fs = append(fs, h1.Header{Name: bytesOf(name), Value: bytesOf(value)})
	})
	x.h2vals = b[:0]
	return fs
}

// Names of the fields the stage sets on requests to HTTP/2 backends.
var (
	nameCookie          = []byte("cookie")
	nameXForwardedFor   = []byte("x-forwarded-for")
	nameForwarded       = []byte("forwarded")
	nameXForwardedProto = []byte("x-forwarded-proto")
	nameXForwardedPort  = []byte("x-forwarded-port")
	nameTraceparent     = []byte("traceparent")
)

// h2Edits appends the request fields the configuration adds (see
// appendRequestEdits) to the fields of an HTTP/2 request, their bytes
// written in b.
func (x *Exchange) h2Edits(fs []h1.Header, b []byte) ([]h1.Header, []byte) {
	start := len(b)
	b = x.appendRequestEdits(b)
	for p := b[start:]; len(p) > 0; {
		i := bytes.Index(p, []byte("\r\n"))
		name, value, _ := bytes.Cut(p[:i], []byte(": "))
		fs = append(fs, h1.Header{Name: name, Value: value})
		p = p[i+2:]
	}
	return fs, b
}

// h2HeadFields appends to fs the fields of an HTTP/2 backend's head (a
// response's, or an interim one's) that go on to the client, in the
// backend's order: those the header table keeps and the edits leave
// (names in canonical case for HTTP/1.1 clients, as net/http writes
// them), then the
// edits' fields and the proxy's own. It reports whether the head
// announces trailers.
func (x *Exchange) h2HeadFields(fs []h1.Header, hdr []h2client.Field) ([]h1.Header, bool) {
	announced := false
	h1Client := x.front.TakesChunked() // an HTTP/1.1 client (an HTTP/2 one takes the names as they are)
	for i := range hdr {
		name := bytesOf(hdr[i].Name)
		k := h1.ClassifyHeader(name)
		if k == h1.HeaderTrailer {
			announced = true
		}
		if responseFate[k] != keep || x.respEdits && x.dropResponseField(name) {
			continue
		}
		if h1Client {
			name = canonicalName(name)
		}
		fs = append(fs, h1.Header{Name: name, Value: bytesOf(hdr[i].Value), Kind: k})
	}
	if x.respEdits {
		fs = x.appendResponseEdits(fs)
	}
	return x.appendOwn(fs), announced
}

// bytesOf is s's bytes, not copied: for reading only (the fronts write
// them, and nothing changes a field's bytes in place after this).
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// canonicalName is an HTTP/2 field name (lower case) in the canonical
// case of HTTP/1.1 (Content-Type): a copy when that changes it.
func canonicalName(name []byte) []byte {
	upper := true
	for i, c := range name {
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return canonicalCopy(name, i)
		}
		upper = c == '-'
	}
	return name
}

func canonicalCopy(name []byte, from int) []byte {
	b := append([]byte(nil), name...)
	upper := from == 0 || b[from-1] == '-'
	for i := from; i < len(b); i++ {
		c := b[i]
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
		upper = c == '-'
	}
	return b
}

// errInterim is an interim response the client could not be sent.
var errInterim = errors.New("writing an interim response to the client")

// h2Interim relays an HTTP/2 backend's 103 (Early Hints) to the client,
// as an HTTP/1.1 backend's interim responses are (a 100 is dropped: the
// body goes without waiting for it).
func (x *Exchange) h2Interim(h *h2client.Response) error {
	if h.Status != 103 {
		return nil
	}
	x.fields, _ = x.h2HeadFields(x.fields[:0], h.Fields)
	x.head = Head{Status: h.Status, Reason: []byte(http.StatusText(h.Status)), Fields: x.fields, Framing: NoBody, ContentLength: -1}
	x.began = true
	if err := x.front.WriteInterim(&x.head); err != nil {
		return fmt.Errorf("%w: %w", errInterim, err)
	}
	return nil
}

// streamH2Response writes an HTTP/2 backend's response (its head resp,
// its body and trailers from s) through the front.
func (x *Exchange) streamH2Response(s *h2client.Stream, resp *h2client.Response) Result {
	fs, announced := x.h2HeadFields(x.fields[:0], resp.Fields)
	x.fields = fs
	x.head = Head{Status: resp.Status, Reason: []byte(http.StatusText(resp.Status)), Fields: fs,
		ContentLength: -1, BodyPending: x.bodyPending()}
	h := &x.head
	switch {
	case x.isHead || resp.Status == 204 || resp.Status == 304:
		h.Framing = NoBody
		if x.isHead && resp.ContentLength >= 0 {
			h.ContentLength = resp.ContentLength
		}
	case resp.ContentLength >= 0 && !announced:
		// Announced trailers make the body unsized (chunked to HTTP/1.1
		// clients), so that they can follow it.
		h.Framing, h.ContentLength = Length, resp.ContentLength
	default:
		h.Framing = Unsized
	}
	if x.pol.encoding != "" && h.Framing != NoBody &&
		x.compressible(x.dec.Settings.Policy.Compression, resp.Status, fs, resp.ContentLength) {
		x.compressHead(h, x.dec.Settings.Policy.Compression)
	}
	bufp := x.Env.GetBuf()
	defer x.Env.PutBuf(bufp)
	buf := *bufp
	// A small body of known length goes out with the head, in one write
	// to the client as from an HTTP/1.1 backend: it is read whole first
	// (its end too, so that the stream is over when the body is closed).
	var first []byte
	if h.Framing == Length && !x.z.on && h.ContentLength > 0 && h.ContentLength < int64(len(buf)) {
		n, err := readAll(s, buf[:h.ContentLength+1])
		if err != nil || int64(n) != h.ContentLength {
			return x.fail(502, "reading HTTP/2 response body", err)
		}
		first = buf[:n]
	}
	x.began = true
	if err := x.front.WriteHead(h, first); err != nil {
		x.m.clientErr(clientReset)
		return Broken
	}
	if h.Framing == NoBody || first != nil {
		return Complete
	}
	for {
		n, err := s.Read(buf)
		x.z.short = n < len(buf)
		if n > 0 && !x.write(buf[:n]) {
			return Broken
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if x.front.Context().Err() == nil { // the backend's doing, not a client's reset
				x.bodyCut(err)
			}
			return Broken // cut short: the client sees the connection close or the stream reset
		}
	}
	var trailers []h1.Header
	if tr := s.Trailers(); len(tr) > 0 {
		trailers = x.fields[:0]
		for i := range tr {
			name := bytesOf(tr[i].Name)
			if k := h1.ClassifyHeader(name); isTrailer(k) {
				trailers = append(trailers, h1.Header{Name: canonicalName(name), Value: bytesOf(tr[i].Value), Kind: k})
			}
		}
		x.fields = trailers
	}
	if x.z.on {
		if err := x.z.finish(); err != nil {
			return Broken
		}
	}
	if h.Framing == Unsized || trailers != nil {
		if err := x.front.EndBody(trailers); err != nil {
			return Broken
		}
	}
	return Complete
}

// readAll reads r into p until io.EOF (nil error) or until p is full
// (then the body is longer than p: errLonger).
func readAll(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := r.Read(p[n:])
		n += k
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, errLonger
}

var errLonger = errors.New("response body longer than its content-length")
