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
// the head), the cookies joined, and the forwarding fields.
func (x *Exchange) h2Fields(fs []h2client.Field) []h2client.Field {
	req := &x.Req
	for i := range req.Fields {
		f := &req.Fields[i]
		if x.forwardField(f) && f.Kind != h1.HeaderExpect && !(x.reqEdits && x.dropRequestField(f)) {
			fs = append(fs, h2client.Field{Name: string(f.Name), Value: string(f.Value)})
		}
	}
	if x.reqEdits {
		fs = x.h2Edits(fs)
	}
	var b []byte
	if b = x.appendCookies(b); len(b) > 0 {
		fs = append(fs, h2client.Field{Name: "cookie", Value: string(b[len("Cookie: ") : len(b)-2])})
	}
	b = x.appendClientIP(appendValues(b[:0], req.Fields, h1.HeaderXForwardedFor))
	fs = append(fs, h2client.Field{Name: "x-forwarded-for", Value: string(b)})
	b = appendValues(b[:0], req.Fields, h1.HeaderForwarded)
	b = append(x.appendForwardedNode(append(b, "for="...)), ";proto="...)
	b = append(append(append(b, x.Set.Proto...), ";by="...), x.Ln.ByNode()...)
	fs = append(fs, h2client.Field{Name: "forwarded", Value: string(b)},
		h2client.Field{Name: "x-forwarded-proto", Value: x.Set.Proto},
		h2client.Field{Name: "x-forwarded-port", Value: x.Ln.Port()},
		h2client.Field{Name: string(x.requestIDName()), Value: string(x.ID[:]), NoIndex: true})
	if x.tr.send {
		fs = append(fs, h2client.Field{Name: "traceparent", Value: string(x.appendTraceparent(nil)), NoIndex: true})
	}
	x.clientCertFields(func(name, value string) {
		fs = append(fs, h2client.Field{Name: name, Value: value})
	})
	return fs
}

// h2Edits appends the request fields the configuration adds (see
// appendRequestEdits) to the fields of an HTTP/2 request.
func (x *Exchange) h2Edits(fs []h2client.Field) []h2client.Field {
	var b []byte
	b = x.appendRequestEdits(b)
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\r\n"))
		name, value, _ := bytes.Cut(b[:i], []byte(": "))
		fs = append(fs, h2client.Field{Name: string(name), Value: string(value)})
		b = b[i+2:]
	}
	return fs
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
