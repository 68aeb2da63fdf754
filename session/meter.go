package session

import (
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// meter is the accounting of the exchange in progress: what its access log
// line says and what it adds to the metric sets of the listener, the
// cluster and the backend. It is filled along the exchange and spent by
// Session.account when the exchange ends. When the proxy keeps no metrics
// and writes no access log, nothing is measured (on is false).
type meter struct {
	on      bool
	start   time.Time // first byte of the request head (or the read that brought it)
	sent    time.Time // the request started going to the backend
	first   time.Time // the first response byte came back
	connect time.Duration
	in, out int64 // bytes from and to the client for this exchange
	sentB   int64 // bytes to the backend
	recvB   int64 // bytes from the backend
	status  int   // of the response sent; 0 when none was
	// answered is set when the backend's response head came; fields when
	// the request's fields were kept for the access log.
	answered, fields bool
	parsed           bool // a request head was parsed (not a refused one)
	cluster          *backend.Cluster
	backend          *backend.Backend
	retries          int64 // attempts that failed and were made again
	berr             metrics.BackendError
	hasBerr          bool
	cerr             metrics.ClientError
	hasCerr          bool
}

// begin starts the accounting of a request whose head is in s.req.
func (s *Session) begin() {
	m := &s.m
	*m = meter{on: s.ln.M != nil || s.env.AccessLog != nil}
	if !m.on {
		return
	}
	m.start = time.Now()
	m.parsed = true
	m.in = int64(s.req.HeadLen)
	if s.env.AccessLog != nil {
		s.keepLogFields()
	}
}

// keepLogFields copies what the access log line needs of the request head,
// which a body upload may overwrite in s.buf, into the session's own
// buffer (reused from request to request).
func (s *Session) keepLogFields() {
	req, hs := s.req, s.hs
	b := hs.logBuf[:0]
	b = append(b, req.Method...)
	b = append(b, req.Host...)
	b = append(b, req.Target...)
	b = append(b, userAgent(req.Headers)...)
	hs.logBuf = b
	hs.logMethod, hs.logHost = len(req.Method), len(req.Method)+len(req.Host)
	hs.logTarget = hs.logHost + len(req.Target)
	s.m.fields = true
}

func userAgent(hs []h1.Header) []byte {
	for i := range hs {
		if len(hs[i].Name) == 10 && asciiEqualFold(hs[i].Name, "user-agent") {
			return hs[i].Value
		}
	}
	return nil
}

func asciiEqualFold(b []byte, lower string) bool {
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// retried records an attempt on b that failed and is made again.
func (m *meter) retried(b *backend.Backend) {
	m.retries++
	if b.M != nil {
		b.M.Retries.Inc()
	}
}

// backendErr records the kind of a backend failure of the exchange.
func (m *meter) backendErr(k metrics.BackendError) { m.berr, m.hasBerr = k, true }

// clientErr records the kind of a client failure of the exchange.
func (m *meter) clientErr(k metrics.ClientError) { m.cerr, m.hasCerr = k, true }

// account spends the meter: counts into the metric sets and writes the
// access log line.
func (s *Session) account() {
	m := &s.m
	if !m.on {
		return
	}
	m.on = false
	total := time.Since(m.start)
	var ttfb time.Duration
	if !m.first.IsZero() && !m.sent.IsZero() {
		ttfb = m.first.Sub(m.sent)
	}
	if lm := s.ln.M; lm != nil {
		if m.parsed {
			lm.Requests.Inc()
		}
		if m.status != 0 {
			lm.Responses.Inc(m.status)
		}
		lm.BytesIn.Add(m.in)
		lm.BytesOut.Add(m.out)
		lm.RequestTime.Observe(total)
		if m.hasCerr {
			lm.Errors[m.cerr].Inc()
		}
	}
	if c := m.cluster; c != nil && c.M != nil {
		cm := c.M
		cm.Requests.Inc()
		if m.status != 0 {
			cm.Responses.Inc(m.status)
		}
		cm.Retries.Add(m.retries)
		cm.RequestTime.Observe(total)
		if ttfb > 0 {
			cm.ResponseTime.Observe(ttfb)
		}
		if m.hasBerr && m.berr != metrics.BackendConnect { // connects count in backend.Dial
			cm.Errors[m.berr].Inc()
		}
	}
	if b := m.backend; b != nil && b.M != nil {
		bm := b.M
		bm.Requests.Inc()
		if m.answered {
			bm.Responses.Inc(m.status)
		}
		bm.BytesSent.Add(m.sentB)
		bm.BytesReceived.Add(m.recvB)
		if ttfb > 0 {
			bm.ResponseTime.Observe(ttfb)
		}
	}
	if al := s.env.AccessLog; al != nil {
		e := &s.hs.entry
		*e = accesslog.Entry{Time: m.start, RequestID: s.id[:], Client: s.client, Listener: s.ln.Addr,
			Status: m.status, BytesIn: m.in, BytesOut: m.out, Total: total, BackendTime: ttfb,
			Connect: m.connect, TLSVersion: s.tlsVersion, SNI: s.sni}
		if m.cluster != nil {
			e.Cluster = m.cluster.ID
		}
		if m.backend != nil {
			e.Backend = m.backend.Config.ID
		}
		if m.fields {
			hs := s.hs
			lb := hs.logBuf
			e.Method, e.Host, e.Path, e.UserAgent = lb[:hs.logMethod], lb[hs.logMethod:hs.logHost],
				lb[hs.logHost:hs.logTarget], lb[hs.logTarget:]
		}
		al.Log(e)
	}
}

// beginRejected starts the accounting of a request head the proxy refuses
// before any exchange (unparsable, too large, too slow): the answer and
// account follow; the access log line has no request fields.
func (s *Session) beginRejected(kind metrics.ClientError) {
	s.m = meter{on: s.ln.M != nil || s.env.AccessLog != nil, start: time.Now(), in: int64(s.w - s.r)}
	s.m.clientErr(kind)
}
