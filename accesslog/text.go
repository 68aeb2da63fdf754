package accesslog

import (
	"net/netip"
	"time"
)

// appendText appends e as one line of the Text format (see the package
// documentation), newline included.
func appendText(b []byte, e *Entry) []byte {
	b = appendHead(b, e.Time, e.RequestID, e.Client, e.Listener, e.Cluster, e.Backend)
	b = append(b, ' ', '"')
	b = appendBare(b, e.Method, maxMethod)
	b = append(b, ' ')
	b = appendBare(b, e.Host, maxName)
	b = append(b, ' ')
	b = appendBare(b, e.Path, maxPath)
	b = append(b, '"', ' ')
	if e.Status > 0 {
		b = appendInt(b, int64(e.Status))
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = appendInt(b, e.BytesIn)
	b = append(b, ' ')
	b = appendInt(b, e.BytesOut)
	for _, d := range [...]time.Duration{e.Total, e.BackendTime, e.Connect} {
		b = append(b, ' ')
		if d > 0 {
			b = appendMs(b, d)
		} else {
			b = append(b, '-')
		}
	}
	b = append(b, ' ')
	if e.TLSVersion != 0 {
		b = appendTLS(b, e.TLSVersion)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = appendBare(b, e.SNI, maxName)
	b = append(b, ' ', '"')
	b = appendField(b, e.UserAgent, maxUA, true)
	b = append(b, '"', ' ')
	b = appendBare(b, e.TraceID, maxID)
	b = appendBare(append(b, ' '), e.Error, maxName)
	return append(b, '\n')
}

// appendBare appends a field that holds no space.
func appendBare[T ~string | ~[]byte](b []byte, v T, limit int) []byte {
	return appendField(b, v, limit, false)
}

// appendField appends "-" when v is empty, v escaped otherwise (a lone "-"
// escaped too, to stay distinct).
func appendField[T ~string | ~[]byte](b []byte, v T, limit int, space bool) []byte {
	switch {
	case len(v) == 0:
		return append(b, '-')
	case len(v) == 1 && v[0] == '-':
		return append(b, `\x2d`...)
	}
	return appendEscaped(b, v, limit, space)
}

// appendEscaped appends at most limit bytes of v, each byte outside
// printable ASCII, '"', '\' and (unless space is true) the space written
// as \xHH; "..." follows a value that was cut.
func appendEscaped[T ~string | ~[]byte](b []byte, v T, limit int, space bool) []byte {
	const hex = "0123456789abcdef"
	n := min(len(v), limit)
	start := 0 // of the run of bytes written as they are
	for i := 0; i < n; i++ {
		c := v[i]
		if c > ' ' && c < 0x7f && c != '"' && c != '\\' || c == ' ' && space {
			continue
		}
		b = append(b, v[start:i]...)
		b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		start = i + 1
	}
	b = append(b, v[start:n]...)
	if n < len(v) {
		b = append(b, "..."...)
	}
	return b
}

// appendHead appends the fields every line begins with, request or tcp
// connection: time, id, client, listener, cluster and backend.
func appendHead(b []byte, t time.Time, id []byte, client netip.AddrPort, listener, cluster, backend string) []byte {
	if t.IsZero() {
		b = append(b, '-')
	} else {
		b = appendTime(b, t)
	}
	b = append(b, ' ')
	b = appendBare(b, id, maxID)
	b = append(b, ' ')
	if client.IsValid() {
		b = client.AppendTo(b)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = appendBare(b, listener, maxName)
	b = append(b, ' ')
	b = appendBare(b, cluster, maxName)
	b = append(b, ' ')
	return appendBare(b, backend, maxName)
}
