package exchange

import (
	"sync/atomic"
	"time"

	"github.com/sluiceproxy/sluice/accesslog"
	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/metrics"
)

// Client error kinds, short names.
const (
	clientParse = metrics.ClientParse
	clientReset = metrics.ClientReset
)

// meter is the accounting of the exchange in progress: what its access log
// line says and what it adds to the metric sets of the listener, the
// cluster and the backend. It is filled along the exchange and spent by
// account when the exchange ends. When the proxy keeps no metrics and
// writes no access log, nothing is measured (on is false).
type meter struct {
	on    bool
	start time.Time // the request began (its head's first byte, as the front saw it)
	sent  time.Time // the request started going to the backend
	first time.Time // the first response byte came back
	// end is a clock reading taken as the exchange ended, for account to
	// use instead of one of its own: the one that pooled the backend
	// connection (respond), cleared when another attempt is sent. Zero
	// until then.
	end     time.Time
	connect time.Duration
	// in counts bytes from the client (the front counts them; an upload
	// goroutine may add to it), out bytes to it (counted by the front).
	in    atomic.Int64
	out   int64
	sentB int64 // bytes to the backend
	recvB int64 // bytes from the backend
	// status is the final status sent; 0 when none was. answeredBy is set
	// when it was the backend's.
	status     int
	answeredBy bool
	sentStatus int  // the status the client got when not status (a bridged WebSocket's 200), else 0
	parsedReq  bool // a request head was parsed (not a refused one)
	cluster    *backend.Cluster
	backend    *backend.Backend
	retries    int64 // attempts that failed and were made again
	berr       metrics.BackendError
	hasBerr    bool
	cerr       metrics.ClientError
	hasCerr    bool
	logFields  bool   // logBuf holds the request's fields
	logBuf     []byte // method, host, target, user agent, end to end
	logMethod  int
	logHost    int
	logTarget  int
	entry      accesslog.Entry
}

// begin starts the accounting of a request.
func (m *meter) begin(x *Exchange) {
	on := x.Ln.M != nil || x.Env.AccessLog != nil || x.Env.Tracer != nil
	m.on, m.status, m.answeredBy, m.parsedReq, m.sentStatus = on, 0, false, false, 0
	m.connect, m.out, m.sentB, m.recvB, m.retries = 0, 0, 0, 0, 0
	m.in.Store(0)
	m.cluster, m.backend = nil, nil
	m.hasBerr, m.hasCerr, m.logFields = false, false, false
	m.sent, m.first, m.end = time.Time{}, time.Time{}, time.Time{}
	m.start = time.Now() // metered or not: Started; the wall clock's reading for the access log
}

// parsed records that the request head in x.Req was read, and copies what
// the access log line needs of it (the front's buffer may be overwritten
// by the body's upload).
func (m *meter) parsed(x *Exchange) {
	if !m.on {
		return
	}
	m.parsedReq = true
	if x.Env.AccessLog == nil && !x.tr.sampled {
		return
	}
	req := &x.Req
	b := m.logBuf[:0]
	b = append(b, req.Method...)
	b = append(b, req.Host...)
	b = append(b, req.Target...)
	b = append(b, userAgent(req.Fields)...)
	m.logBuf = b
	m.logMethod, m.logHost = len(req.Method), len(req.Method)+len(req.Host)
	m.logTarget = m.logHost + len(req.Target)
	m.logFields = true
}

func userAgent(hs []h1.Header) []byte {
	for i := range hs {
		if len(hs[i].Name) == 10 && h1.EqualFold(hs[i].Name, "user-agent") {
			return hs[i].Value
		}
	}
	return nil
}

// clock reads the clock for the exchange's durations and deadlines: the
// monotonic clock only (time.Now reads the wall clock too, and costs
// twice as much), returned as a Time on start's wall clock. Valid after
// begin.
func (m *meter) clock() time.Time { return m.start.Add(time.Since(m.start)) }

// sentAt notes that the request starts going to the backend, and returns
// the clock reading it took.
func (m *meter) sentAt() time.Time {
	now := m.clock()
	m.end = time.Time{} // an earlier attempt's end is not the exchange's
	if m.on {
		m.sent = now
	}
	return now
}

// firstByte notes k bytes of the backend's response.
func (m *meter) firstByte(k int) {
	if m.on {
		if m.first.IsZero() {
			m.first = m.clock()
		}
		m.recvB += int64(k)
	}
}

// answered records the backend's final status.
func (m *meter) answered(status int) { m.status, m.answeredBy = status, true }

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

// CountIn adds n bytes read from the client to the exchange's accounting.
// It is safe to call from the upload goroutine (a front's ReadBody).
func (x *Exchange) CountIn(n int) {
	if x.m.on {
		x.m.in.Add(int64(n))
	}
}

// CountOut adds n bytes written to the client.
func (x *Exchange) CountOut(n int) { x.m.out += int64(n) }

// Status is the status of the response sent (0 when none was).
func (x *Exchange) Status() int { return x.m.clientStatus() }

// clientStatus is the status the client got: the final one sent, or a
// front's own for it (sentStatus).
func (m *meter) clientStatus() int {
	if m.sentStatus != 0 {
		return m.sentStatus
	}
	return m.status
}

// account spends the meter: counts into the metric sets and writes the
// access log line.
func (m *meter) account(x *Exchange) {
	if !m.on {
		return
	}
	m.on = false
	if m.end.IsZero() {
		m.end = m.clock()
	}
	total := m.end.Sub(m.start)
	var ttfb time.Duration
	if !m.first.IsZero() && !m.sent.IsZero() {
		ttfb = m.first.Sub(m.sent)
	}
	in := m.in.Load()
	sent := m.clientStatus()
	if lm := x.Ln.M; lm != nil {
		if m.parsedReq {
			lm.Requests.Inc()
		}
		if sent != 0 {
			lm.Responses.Inc(sent)
		}
		if !x.BytesByConn {
			lm.BytesIn.Add(in)
			lm.BytesOut.Add(m.out)
		}
		lm.RequestTime.Observe(total)
		if m.hasCerr {
			lm.Errors[m.cerr].Inc()
		}
	}
	if c := m.cluster; c != nil && c.M != nil {
		cm := c.M
		cm.Requests.Inc()
		if sent != 0 {
			cm.Responses.Inc(sent)
		}
		cm.Retries.Add(m.retries)
		cm.RequestTime.Observe(total)
		if ttfb > 0 {
			cm.ResponseTime.Observe(ttfb)
		}
		if m.hasBerr && m.berr != metrics.BackendConnect && m.berr != metrics.BackendTLS { // counted in backend.Dial
			cm.Errors[m.berr].Inc()
		}
	}
	if b := m.backend; b != nil && b.M != nil {
		bm := b.M
		bm.Requests.Inc()
		if m.answeredBy {
			bm.Responses.Inc(m.status)
		}
		bm.BytesSent.Add(m.sentB)
		bm.BytesReceived.Add(m.recvB)
		if ttfb > 0 {
			bm.ResponseTime.Observe(ttfb)
		}
	}
	if al := x.Env.AccessLog; al != nil {
		e := &m.entry
		cl := x.Client
		*e = accesslog.Entry{Time: m.start, RequestID: x.ID[:], Client: cl.Addr, Listener: x.Ln.Addr,
			Status: sent, BytesIn: in, BytesOut: m.out, Total: total, BackendTime: ttfb,
			Connect: m.connect, TLSVersion: cl.TLSVersion, SNI: cl.SNI, TraceID: x.traceID()}
		if m.cluster != nil {
			e.Cluster = m.cluster.ID
		}
		if m.backend != nil {
			e.Backend = m.backend.Config.ID
		}
		if m.hasBerr {
			e.Error = m.berr.String()
		}
		if m.logFields {
			lb := m.logBuf
			e.Method, e.Host, e.Path, e.UserAgent = lb[:m.logMethod], lb[m.logMethod:m.logHost],
				lb[m.logHost:m.logTarget], lb[m.logTarget:]
		}
		al.Log(e)
	}
	if x.tr.sampled {
		x.recordSpan(x.Env.Tracer, m, m.start.Add(total), in)
	}
}
