package h2

import (
	"io"
	"net/http"
	"strings"

	"github.com/sluiceproxy/sluice/backend"
)

// hopByHop are the fields never forwarded between HTTP/2 peers.
var hopByHop = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Te": true, "Upgrade": true, "Transfer-Encoding": true, "Http2-Settings": true}

// forwardH2C serves the stream through a backend of a cluster with http2
// set: the request goes out as a stream of a pooled cleartext HTTP/2
// connection, with the same forwarding fields as HTTP/1.1, and the response
// (trailers included) comes back as it arrives.
func (st *stream) forwardH2C(c *backend.Cluster, cs *backend.Settings) {
	b, _ := c.Pick(nil) // h2c: the transport dials; no trial
	if b == nil {
		st.answer(503, nil, cs.Answers)
		return
	}
	b.Acquire()
	defer b.Release()
	r := st.r
	out := &http.Request{
		Method: r.Method, URL: r.URL, Host: r.Host, Header: http.Header{},
		Body: r.Body, ContentLength: r.ContentLength, Proto: "HTTP/2.0", ProtoMajor: 2,
	}
	u := *r.URL
	u.Scheme, u.Host = "http", b.Addr
	out.URL = &u
	if r.ContentLength == 0 {
		out.Body = http.NoBody
	}
	for name, vs := range r.Header {
		if !skipRequest[name] || name == "Content-Length" {
			out.Header[name] = vs
		}
	}
	delete(out.Header, "Content-Length")
	st.setForwarded(out.Header, r.Header)
	out = out.WithContext(backend.WithConnectTimeout(r.Context(), st.set.ConnectTimeout))
	resp, err := b.RoundTripH2C(out)
	if err != nil {
		if r.Context().Err() == nil {
			st.srv.env.Log.Warn("backend exchange failed", "request_id", string(st.id[:]), "step", "h2c", "error", err)
			st.answer(502, nil, cs.Answers)
		}
		return
	}
	defer b.DoneH2C()
	defer resp.Body.Close()
	h := st.w.Header()
	for name, vs := range resp.Header {
		if !hopByHop[name] && name != "Sluice-Request-Id" {
			h[name] = vs
		}
	}
	for name := range resp.Trailer {
		h.Add("Trailer", name)
	}
	h["Sluice-Request-Id"] = []string{string(st.id[:])}
	if st.hsts != nil && h.Get("Strict-Transport-Security") == "" {
		h.Set("Strict-Transport-Security", hstsValue(st.hsts))
	}
	st.w.WriteHeader(resp.StatusCode)
	fl, _ := st.w.(http.Flusher)
	bw := &bodyCopy{w: st.w, fl: fl}
	buf := *st.bufp
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 && !bw.write(buf[:n]) {
			return
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(http.ErrAbortHandler) // reset the stream: see exchange.forward
		}
	}
	for name, vs := range resp.Trailer {
		h[http.TrailerPrefix+name] = vs
	}
}

// setForwarded sets the forwarding fields and the request id on a request
// going to a backend, from the client's fields in in.
func (st *stream) setForwarded(h, in http.Header) {
	h["X-Forwarded-For"] = []string{joinAfter(in["X-Forwarded-For"], st.c.clientIP)}
	h["Forwarded"] = []string{joinAfter(in["Forwarded"], "for="+st.c.forwardedFor+";proto=https;by="+st.srv.ln.ByNode())}
	h["X-Forwarded-Proto"] = []string{"https"}
	h["X-Forwarded-Port"] = []string{st.srv.ln.Port()}
	h["Sluice-Request-Id"] = []string{string(st.id[:])}
}

func joinAfter(earlier []string, v string) string {
	if len(earlier) == 0 {
		return v
	}
	return strings.Join(earlier, ", ") + ", " + v
}

// hstsValue is the value of an HSTS header line.
func hstsValue(line []byte) string {
	return string(line[len("Strict-Transport-Security: ") : len(line)-2])
}
