package accesslog

import (
	"net/netip"
	"time"
)

// Entry is one request, as the caller knows it when the exchange ends. Byte
// slices may be views into the caller's buffers; see the package
// documentation for who owns what. The zero value of a field means absent.
type Entry struct {
	// Time is when the request's first byte arrived.
	Time time.Time
	// RequestID is the proxy's id of the request.
	RequestID []byte
	// Client is the client's address: the source announced by the PROXY
	// protocol when the listener expects it, otherwise the peer address.
	Client netip.AddrPort
	// Listener is the address of the listener the request arrived on.
	Listener string
	// Cluster is the id of the cluster the request was routed to, empty
	// when none (an answer of the proxy's own, such as 404).
	Cluster string
	// Backend is the id of the backend that served the request, empty when
	// none.
	Backend string
	// Method, Host and Path are the request's method, Host header and
	// request target, as received.
	Method, Host, Path []byte
	// Status is the status code of the response sent; 0 when none was.
	Status int
	// BytesIn is the number of bytes read from the client for the request
	// (head and body); BytesOut the number written to it (head and body).
	BytesIn, BytesOut int64
	// Total is the time from the request's first byte to the last byte of
	// the response; BackendTime the backend's time to first byte (from
	// writing the request to the first response byte); Connect the backend
	// connect time. Zero means not measured (a pooled connection
	// has no connect time, an answer of the proxy's own no backend time).
	Total, BackendTime, Connect time.Duration
	// TLSVersion is the connection's TLS version (tls.VersionTLS12, ...),
	// 0 for plain TCP.
	TLSVersion uint16
	// SNI is the server name the client sent in its TLS hello, empty when
	// none.
	SNI string
	// UserAgent is the User-Agent header's value, empty when absent.
	UserAgent []byte
	// TraceID is the W3C trace id of the request in lowercase hex (32
	// digits), empty when it has none (tracing off, or a request neither
	// sampled nor carrying a traceparent).
	TraceID []byte
	// Error is the kind of backend failure that shaped the response (the
	// metrics' names: connect, timeout, reset, parse, tls), empty when
	// none.
	Error string
}

// Field limits in bytes, before escaping; see the package documentation.
const (
	maxID     = 64
	maxMethod = 32
	maxName   = 256 // listener, cluster, backend, host, SNI
	maxPath   = 2048
	maxUA     = 512
)

// tlsNames are the names of TLS versions 1.0 to 1.3, spelled as the
// configuration spells them.
var tlsNames = [...]string{"TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"}

// appendTLS appends the name of TLS version v (nonzero), or its number in
// hex for a version it does not know.
func appendTLS(b []byte, v uint16) []byte {
	if i := int(v) - 0x0301; i >= 0 && i < len(tlsNames) {
		return append(b, tlsNames[i]...)
	}
	const hex = "0123456789abcdef"
	return append(b, '0', 'x', hex[v>>12], hex[v>>8&0xf], hex[v>>4&0xf], hex[v&0xf])
}

// appendMs appends d (positive) in milliseconds with three decimals.
func appendMs(b []byte, d time.Duration) []byte {
	us := int64(d / time.Microsecond)
	b = appendUint(b, uint64(us/1000))
	frac := us % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

func appendUint(b []byte, n uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		return appendUint(append(b, '-'), uint64(-n))
	}
	return appendUint(b, uint64(n))
}

// timeLayout is the layout of appendTime.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendTime appends t in UTC with milliseconds: 2026-12-01T10:00:00.123Z,
// as t.UTC().AppendFormat(b, timeLayout) does, with the digits written
// directly (the layout is not parsed for every line).
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return b
}
