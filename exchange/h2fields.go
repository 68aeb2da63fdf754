package exchange

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"slices"

	"github.com/sluiceproxy/sluice/internal/h1"
)

// The request fields and the response of an HTTP/2 backend (forwardH2),
// through the one header table.

// h2Fields sets the fields of the request to an HTTP/2 backend: those the
// header table forwards (not Expect, which the transport handles), the
// cookies joined, and the forwarding fields.
func (x *Exchange) h2Fields(h http.Header) {
	req := &x.Req
	for i := range req.Fields {
		f := &req.Fields[i]
		if x.forwardField(f) && f.Kind != h1.HeaderExpect && !(x.reqEdits && x.dropRequestField(f)) {
			h.Add(string(f.Name), string(f.Value))
		}
	}
	if x.reqEdits {
		x.h2Edits(h)
	}
	var b []byte
	if b = x.appendCookies(b); len(b) > 0 {
		h.Set("Cookie", string(b[len("Cookie: "):len(b)-2]))
	}
	b = x.appendClientIP(appendValues(b[:0], req.Fields, h1.HeaderXForwardedFor))
	h.Set("X-Forwarded-For", string(b))
	b = appendValues(b[:0], req.Fields, h1.HeaderForwarded)
	b = append(x.appendForwardedNode(append(b, "for="...)), ";proto="...)
	b = append(append(append(b, x.Set.Proto...), ";by="...), x.Ln.ByNode()...)
	h.Set("Forwarded", string(b))
	h.Set("X-Forwarded-Proto", x.Set.Proto)
	h.Set("X-Forwarded-Port", x.Ln.Port())
	h.Set(string(x.requestIDName()), string(x.ID[:]))
	if x.tr.send {
		h.Set("traceparent", string(x.appendTraceparent(nil)))
	}
	x.clientCertFields(h.Set)
}

// h2Edits adds the request fields the configuration adds (see
// appendRequestEdits) to an HTTP/2 request.
func (x *Exchange) h2Edits(h http.Header) {
	var b []byte
	b = x.appendRequestEdits(b)
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\r\n"))
		name, value, _ := bytes.Cut(b[:i], []byte(": "))
		h.Add(string(name), string(value))
		b = b[i+2:]
	}
}

// h2HeadFields appends to fs the fields of an HTTP/2 backend's head (a
// response's, or an interim one's) that go on to the client: those the
// header table keeps and the edits leave, then trailers' announcements
// (Trailer, for the names given), the edits' fields and the proxy's own.
// The transport gives the fields as a map, which loses the backend's
// order: they go out sorted by name (as net/http's server writes them),
// the values of a name in the backend's order, so that a response comes
// out the same every time.
func (x *Exchange) h2HeadFields(fs []h1.Header, hdr http.Header, trailers http.Header) []h1.Header {
	names := sortedNames(x.h2names[:0], hdr)
	for _, name := range names {
		k := h1.ClassifyHeader([]byte(name))
		if responseFate[k] != keep || x.respEdits && x.dropResponseField([]byte(name)) {
			continue
		}
		for _, v := range hdr[name] {
			fs = append(fs, h1.Header{Name: []byte(name), Value: []byte(v), Kind: k})
		}
	}
	names = sortedNames(names[:0], trailers)
	for _, name := range names {
		fs = append(fs, h1.Header{Name: []byte("Trailer"), Value: []byte(name), Kind: h1.HeaderTrailer})
	}
	x.h2names = names[:0]
	if x.respEdits {
		fs = x.appendResponseEdits(fs)
	}
	return x.appendOwn(fs)
}

// sortedNames appends the names of h to names, sorted.
func sortedNames(names []string, h http.Header) []string {
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// h2Interim relays an HTTP/2 backend's 103 (Early Hints) to the client,
// as an HTTP/1.1 backend's interim responses are (the transport answers
// 100 itself). The transport calls it while RoundTrip waits for the
// final head, from its reading goroutine: the exchange's goroutine writes
// nothing to the front meanwhile.
func (x *Exchange) h2Interim(code int, hdr textproto.MIMEHeader) error {
	if code != 103 {
		return nil
	}
	x.fields = x.h2HeadFields(x.fields[:0], http.Header(hdr), nil)
	x.head = Head{Status: code, Reason: []byte(http.StatusText(code)), Fields: x.fields, Framing: NoBody, ContentLength: -1}
	x.began = true
	if err := x.front.WriteInterim(&x.head); err != nil {
		x.m.clientErr(clientReset)
		return err // the transport ends the stream
	}
	return nil
}

// streamH2Response writes an HTTP/2 backend's response through the front.
func (x *Exchange) streamH2Response(resp *http.Response) Result {
	fs := x.h2HeadFields(x.fields[:0], resp.Header, resp.Trailer)
	x.fields = fs
	x.head = Head{Status: resp.StatusCode, Reason: []byte(http.StatusText(resp.StatusCode)), Fields: fs,
		ContentLength: -1, BodyPending: x.bodyPending()}
	h := &x.head
	switch {
	case x.isHead || resp.StatusCode == 204 || resp.StatusCode == 304:
		h.Framing = NoBody
		if x.isHead && resp.ContentLength >= 0 {
			h.ContentLength = resp.ContentLength
		}
	case resp.ContentLength >= 0 && len(resp.Trailer) == 0:
		// Announced trailers make the body unsized (chunked to HTTP/1.1
		// clients), so that they can follow it.
		h.Framing, h.ContentLength = Length, resp.ContentLength
	default:
		h.Framing = Unsized
	}
	if x.pol.encoding != "" && h.Framing != NoBody &&
		x.compressible(x.dec.Settings.Policy.Compression, resp.StatusCode, fs, resp.ContentLength) {
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
		n, err := readAll(resp.Body, buf[:h.ContentLength+1])
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
		n, err := resp.Body.Read(buf)
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
	if len(resp.Trailer) > 0 {
		trailers = x.fields[:0]
		for name, vs := range resp.Trailer {
			k := h1.ClassifyHeader([]byte(name))
			if !isTrailer(k) {
				continue
			}
			for _, v := range vs {
				trailers = append(trailers, h1.Header{Name: []byte(name), Value: []byte(v), Kind: k})
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
