package metrics

import (
	"strconv"
	"time"
)

// view lists the fields of one set under their statsd names.
type view struct {
	counters []namedCounter
	gauges   []namedGauge
	hists    []namedHist
}

type namedCounter struct {
	name string
	c    *Counter
}

type namedGauge struct {
	name string
	g    *Gauge
}

type namedHist struct {
	name string
	h    *Histogram
}

func (v *view) responses(r *Responses) {
	for i := range r {
		v.counters = append(v.counters, namedCounter{"responses." + classNames[i], &r[i]})
	}
}

func listenerView(l *Listener) view {
	v := view{
		counters: []namedCounter{
			{"connections_accepted", &l.ConnectionsAccepted},
			{"requests", &l.Requests},
			{"bytes_in", &l.BytesIn},
			{"bytes_out", &l.BytesOut},
			{"tls_handshakes", &l.TLSHandshakes},
			{"tls_handshake_failures", &l.TLSHandshakeFailures},
			{"ocsp_staples", &l.OCSPStaples},
			{"ocsp_failures", &l.OCSPFailures},
			{"acme_certificates", &l.ACMECertificates},
			{"acme_failures", &l.ACMEFailures},
		},
		gauges: []namedGauge{{"connections_active", &l.ConnectionsActive}, {"tunnels_active", &l.TunnelsActive}},
		hists:  []namedHist{{"request_time", &l.RequestTime}},
	}
	v.responses(&l.Responses)
	for k := range l.Errors {
		v.counters = append(v.counters, namedCounter{"errors." + clientErrorNames[k], &l.Errors[k]})
	}
	return v
}

func clusterView(c *Cluster) view {
	v := view{
		counters: []namedCounter{{"requests", &c.Requests}, {"retries", &c.Retries}},
		gauges:   []namedGauge{{"backends_up", &c.BackendsUp}, {"backends_down", &c.BackendsDown}},
		hists: []namedHist{
			{"request_time", &c.RequestTime},
			{"response_time", &c.ResponseTime},
			{"connect_time", &c.ConnectTime},
		},
	}
	v.responses(&c.Responses)
	for k := range c.Errors {
		v.counters = append(v.counters, namedCounter{"errors." + backendErrorNames[k], &c.Errors[k]})
	}
	return v
}

func backendView(b *Backend) view {
	v := view{
		counters: []namedCounter{
			{"requests", &b.Requests},
			{"bytes_sent", &b.BytesSent},
			{"bytes_received", &b.BytesReceived},
			{"connect_errors", &b.ConnectErrors},
			{"retries", &b.Retries},
		},
		gauges: []namedGauge{{"in_flight", &b.InFlight}},
		hists:  []namedHist{{"response_time", &b.ResponseTime}, {"connect_time", &b.ConnectTime}},
	}
	v.responses(&b.Responses)
	return v
}

// line appends "base.name<suffix>:n<typ>" to the packet.
func (s *Statsd) line(base, name, suffix string, n int64, typ string) {
	var num [20]byte
	s.appendLine(base, name, suffix, strconv.AppendInt(num[:0], n, 10), typ)
}

// floatLine appends a gauge of d in milliseconds, to the microsecond.
func (s *Statsd) floatLine(base, name, suffix string, d time.Duration) {
	var num [32]byte
	s.appendLine(base, name, suffix, strconv.AppendFloat(num[:0], ms(d), 'f', -1, 64), "|g")
}

func (s *Statsd) appendLine(base, name, suffix string, value []byte, typ string) {
	n := len(base) + 1 + len(name) + len(suffix) + 1 + len(value) + len(typ)
	if len(s.packet) > 0 && len(s.packet)+1+n > maxPacket {
		s.send()
	}
	if len(s.packet) > 0 {
		s.packet = append(s.packet, '\n')
	}
	s.packet = append(s.packet, base...)
	s.packet = append(s.packet, '.')
	s.packet = append(s.packet, name...)
	s.packet = append(s.packet, suffix...)
	s.packet = append(s.packet, ':')
	s.packet = append(s.packet, value...)
	s.packet = append(s.packet, typ...)
}

// sendTimeout bounds one datagram's write; UDP writes wait only when the
// socket's send buffer is full.
const sendTimeout = time.Second

// send writes the packet as one datagram, counting a failure, and empties it.
func (s *Statsd) send() {
	if len(s.packet) == 0 {
		return
	}
	err := s.conn.SetWriteDeadline(time.Now().Add(sendTimeout))
	if err == nil {
		_, err = s.conn.Write(s.packet)
	}
	if err != nil {
		s.errs.Add(1)
	}
	s.packet = s.packet[:0]
}

// sanitize makes an address or id one statsd name component: every byte
// other than a letter, a digit, '-' or '_' becomes '_'.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
