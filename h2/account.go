package h2

import (
	"net/http"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
)

// countingWriter is the stream's ResponseWriter as the handler sees it: it
// notes the final status and counts the body bytes, for the metrics and
// the access log.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Flush passes flushes on (a streamed body goes out as it comes).
func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// account counts the stream into the metric sets of its listener, cluster
// and backend, and writes its access log line.
func (st *stream) account() {
	ln, al := st.srv.ln, st.srv.env.AccessLog
	if ln.M == nil && al == nil {
		return
	}
	total := time.Since(st.start)
	var ttfb time.Duration
	if !st.first.IsZero() && !st.sent.IsZero() {
		ttfb = st.first.Sub(st.sent)
	}
	status, out := st.out.status, st.out.n
	in := max(st.r.ContentLength, 0)
	if lm := ln.M; lm != nil {
		lm.Requests.Inc()
		if status != 0 {
			lm.Responses.Inc(status)
		}
		lm.RequestTime.Observe(total) // bytes are counted by the connection (conn.Read, conn.Write)
	}
	if c := st.cluster; c != nil && c.M != nil {
		c.M.Requests.Inc()
		if status != 0 {
			c.M.Responses.Inc(status)
		}
		c.M.RequestTime.Observe(total)
		if ttfb > 0 {
			c.M.ResponseTime.Observe(ttfb)
		}
	}
	if b := st.backend; b != nil && b.M != nil {
		b.M.Requests.Inc()
		if ttfb > 0 {
			b.M.Responses.Inc(status)
			b.M.ResponseTime.Observe(ttfb)
		}
		b.M.BytesSent.Add(in)
		b.M.BytesReceived.Add(out)
	}
	if al == nil {
		return
	}
	e := accesslog.Entry{Time: st.start, RequestID: st.id[:], Client: st.c.client, Listener: ln.Addr,
		Method: []byte(st.r.Method), Host: []byte(st.r.Host), Path: []byte(st.r.RequestURI),
		Status: status, BytesIn: in, BytesOut: out, Total: total, BackendTime: ttfb, Connect: st.connTime,
		UserAgent: []byte(st.r.UserAgent())}
	cs := st.c.tls.ConnectionState()
	e.TLSVersion, e.SNI = cs.Version, cs.ServerName
	if st.cluster != nil {
		e.Cluster = st.cluster.ID
	}
	if st.backend != nil {
		e.Backend = st.backend.Config.ID
	}
	al.Log(&e)
}
