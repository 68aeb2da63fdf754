package accesslog

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Syslog is a syslog target: where and how access log lines go as syslog
// messages (RFC 5424), one message per line. See [ParseTarget] for how a
// target is written.
type Syslog struct {
	// Network is "udp" (RFC 5426: one message per datagram), "tcp"
	// (RFC 6587 octet counting: "LEN SP MSG") or "unixgram" (a local
	// socket such as /dev/log: one message per datagram).
	Network string
	// Address is host:port for udp and tcp, a socket path for unixgram.
	Address string
	// Facility is the syslog facility, 0 to 23 (16, local0, by default);
	// messages are sent at severity 6 (informational).
	Facility int
	// Tag is the APP-NAME of the messages: 1 to 48 printable ASCII
	// characters; "sluice" by default.
	Tag string
}

// Syslog defaults.
const (
	DefaultSyslogFacility = 16 // local0
	DefaultSyslogTag      = "sluice"
	DefaultSyslogUDPPort  = "514"
	DefaultSyslogTCPPort  = "601"
	// syslogTimeout bounds a dial or a write to a syslog target: a
	// receiver that takes nothing for that long fails the lines, and the
	// queue in front of the writer drops what comes meanwhile.
	syslogTimeout = 5 * time.Second
)

var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "security": 13, "console": 14, "solaris-cron": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// IsSyslogTarget reports whether target names a syslog target (a URL with
// a syslog scheme), to be checked with ParseTarget.
func IsSyslogTarget(target string) bool {
	return strings.HasPrefix(target, "syslog:") || strings.HasPrefix(target, "syslog+")
}

// ParseTarget parses a syslog target:
//
//	syslog://127.0.0.1:514          UDP (the port defaults to 514)
//	syslog+tcp://127.0.0.1:601      TCP, octet counting (the port defaults to 601)
//	syslog+unix:///dev/log          a local datagram socket
//
// each optionally followed by ?facility=local0&tag=sluice (facility by name,
// kern to local7, or number 0 to 23).
func ParseTarget(target string) (*Syslog, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	s := &Syslog{Facility: DefaultSyslogFacility, Tag: DefaultSyslogTag}
	switch u.Scheme {
	case "syslog", "syslog+udp":
		s.Network = "udp"
	case "syslog+tcp":
		s.Network = "tcp"
	case "syslog+unix":
		s.Network = "unixgram"
	default:
		return nil, fmt.Errorf("scheme %q is not syslog, syslog+udp, syslog+tcp or syslog+unix", u.Scheme)
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%q: want scheme://host:port or syslog+unix:///path, no user, opaque part or fragment", target)
	}
	if s.Network == "unixgram" {
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return nil, fmt.Errorf("%q: want an absolute path, as in syslog+unix:///dev/log", target)
		}
		s.Address = u.Path
	} else {
		if u.Path != "" || u.Host == "" {
			return nil, fmt.Errorf("%q: want %s://host:port", target, u.Scheme)
		}
		host, port := u.Hostname(), u.Port()
		if host == "" {
			return nil, fmt.Errorf("%q: no host", target)
		}
		if port == "" {
			if strings.HasSuffix(u.Host, ":") {
				return nil, fmt.Errorf("%q: empty port", target)
			}
			port = DefaultSyslogUDPPort
			if s.Network == "tcp" {
				port = DefaultSyslogTCPPort
			}
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%q: port %q is not 1 to 65535", target, port)
		}
		s.Address = net.JoinHostPort(host, port)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%q: query: %v", target, err)
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, fmt.Errorf("%q: %s given %d times", target, k, len(vs))
		}
		v := vs[0]
		switch k {
		case "facility":
			f, ok := facilities[v]
			if !ok {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 || n > 23 {
					return nil, fmt.Errorf("%q: facility %q is not kern..local7 or 0 to 23", target, v)
				}
				f = n
			}
			s.Facility = f
		case "tag":
			if !printName(v, 48) {
				return nil, fmt.Errorf("%q: tag %q is not 1 to 48 printable ASCII characters", target, v)
			}
			s.Tag = v
		default:
			return nil, fmt.Errorf("%q: unknown parameter %q (want facility or tag)", target, k)
		}
	}
	return s, nil
}

// printName reports whether v is 1 to max printable ASCII characters
// without spaces, as RFC 5424 wants its header fields.
func printName(v string, max int) bool {
	if len(v) == 0 || len(v) > max {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 33 || v[i] > 126 {
			return false
		}
	}
	return true
}

// syslogOut writes batches of lines to a syslog target, one message per
// line. Only the writer goroutine uses it. It dials when it has a line and
// no connection, and drops its connection when a write fails, so the next
// batch dials again.
type syslogOut struct {
	cfg      Syslog
	header   []byte // "<PRI>1 " ... up to the timestamp
	trailer  []byte // " HOSTNAME APP-NAME PROCID MSGID SD "
	conn     net.Conn
	msg      []byte // scratch: the messages of a batch
	one      []byte // scratch: one message, for tcp framing
	lastDial time.Time
	now      func() time.Time
}

func newSyslogOut(cfg Syslog) *syslogOut {
	host, err := os.Hostname()
	if err != nil || !printName(host, 255) {
		host = "-"
	}
	o := &syslogOut{cfg: cfg, now: time.Now}
	o.header = fmt.Appendf(nil, "<%d>1 ", cfg.Facility*8+6)
	o.trailer = fmt.Appendf(nil, " %s %s %d access - ", host, cfg.Tag, os.Getpid())
	return o
}

// appendMessage appends the RFC 5424 message of line (without its
// newline) sent at t.
func (o *syslogOut) appendMessage(b []byte, line []byte, t time.Time) []byte {
	b = append(b, o.header...)
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
	b = append(b, o.trailer...)
	return append(b, line...)
}

// Write sends the lines of p, each a message: for udp and unixgram a
// datagram each, for tcp all in one write with octet-counting framing. It
// fails when the target cannot be dialled (at most once a second) or a
// write fails.
func (o *syslogOut) Write(p []byte) (int, error) {
	if o.conn == nil {
		if time.Since(o.lastDial) < retryOpen && !o.lastDial.IsZero() {
			return 0, fmt.Errorf("syslog %s %s: not connected (retrying every %v)", o.cfg.Network, o.cfg.Address, retryOpen)
		}
		o.lastDial = time.Now()
		c, err := net.DialTimeout(o.cfg.Network, o.cfg.Address, syslogTimeout)
		if err != nil {
			return 0, fmt.Errorf("syslog: %w", err)
		}
		o.conn = c
	}
	t := o.now()
	stream := o.cfg.Network == "tcp"
	b := o.msg[:0]
	_ = o.conn.SetWriteDeadline(time.Now().Add(syslogTimeout))
	for rest := p; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if !stream {
			b = o.appendMessage(b[:0], line, t)
			if _, err := o.conn.Write(b); err != nil {
				o.msg = b
				return 0, o.broken(err)
			}
			continue
		}
		o.one = o.appendMessage(o.one[:0], line, t)
		b = strconv.AppendInt(b, int64(len(o.one)), 10)
		b = append(b, ' ')
		b = append(b, o.one...)
	}
	o.msg = b
	if stream && len(b) > 0 {
		if _, err := o.conn.Write(b); err != nil {
			return 0, o.broken(err)
		}
	}
	if cap(o.msg) > 4*batchSize {
		o.msg = nil
	}
	return len(p), nil
}

// broken closes the connection after a failed write, so that the next
// batch dials again.
func (o *syslogOut) broken(err error) error {
	o.conn.Close()
	o.conn = nil
	return fmt.Errorf("syslog: %w", err)
}

// Close closes the connection, if any.
func (o *syslogOut) Close() error {
	if o.conn == nil {
		return nil
	}
	err := o.conn.Close()
	o.conn = nil
	return err
}
