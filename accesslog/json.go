package accesslog

import (
	"time"
	"unicode/utf8"
)

// appendJSON appends e as one line of the JSON format (see the package
// documentation), newline included.
func appendJSON(b []byte, e *Entry) []byte {
	b = append(b, `{"time":`...)
	if e.Time.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = appendTime(b, e.Time)
		b = append(b, '"')
	}
	b = jsonString(append(b, `,"request_id":`...), e.RequestID, maxID)
	b = append(b, `,"client":`...)
	if e.Client.IsValid() {
		b = append(e.Client.AppendTo(append(b, '"')), '"')
	} else {
		b = append(b, "null"...)
	}
	b = jsonString(append(b, `,"listener":`...), e.Listener, maxName)
	b = jsonString(append(b, `,"cluster":`...), e.Cluster, maxName)
	b = jsonString(append(b, `,"backend":`...), e.Backend, maxName)
	b = jsonString(append(b, `,"method":`...), e.Method, maxMethod)
	b = jsonString(append(b, `,"host":`...), e.Host, maxName)
	b = jsonString(append(b, `,"path":`...), e.Path, maxPath)
	b = append(b, `,"status":`...)
	if e.Status > 0 {
		b = appendInt(b, int64(e.Status))
	} else {
		b = append(b, "null"...)
	}
	b = appendInt(append(b, `,"bytes_in":`...), e.BytesIn)
	b = appendInt(append(b, `,"bytes_out":`...), e.BytesOut)
	b = jsonMs(append(b, `,"total_ms":`...), e.Total)
	b = jsonMs(append(b, `,"backend_ms":`...), e.BackendTime)
	b = jsonMs(append(b, `,"connect_ms":`...), e.Connect)
	b = append(b, `,"tls_version":`...)
	if e.TLSVersion != 0 {
		b = append(appendTLS(append(b, '"'), e.TLSVersion), '"')
	} else {
		b = append(b, "null"...)
	}
	b = jsonString(append(b, `,"sni":`...), e.SNI, maxName)
	b = jsonString(append(b, `,"user_agent":`...), e.UserAgent, maxUA)
	b = jsonString(append(b, `,"trace_id":`...), e.TraceID, maxID)
	b = jsonString(append(b, `,"error":`...), e.Error, maxName)
	return append(b, '}', '\n')
}

func jsonMs(b []byte, d time.Duration) []byte {
	if d <= 0 {
		return append(b, "null"...)
	}
	return appendMs(b, d)
}

// jsonString appends at most limit bytes of v as a JSON string, or null when
// v is empty. Quotes, backslashes, control characters, DEL, U+2028 and
// U+2029 are escaped; invalid UTF-8 becomes U+FFFD; "..." follows a value
// that was cut.
func jsonString[T ~string | ~[]byte](b []byte, v T, limit int) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	n := min(len(v), limit)
	start := 0 // of the run of bytes written as they are
	for i := 0; i < n; {
		c := v[i]
		if c >= ' ' && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, v[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // control characters and DEL
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		// The conversion of at most 4 bytes does not escape: no allocation.
		r, size := utf8.DecodeRuneInString(string(v[i:min(i+utf8.UTFMax, n)]))
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, v[start:i]...)
			b = append(b, `\ufffd`...)
			start = i + 1
		case r == '\u2028' || r == '\u2029':
			b = append(b, v[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			start = i + size
		}
		i += size
	}
	b = append(b, v[start:n]...)
	if n < len(v) {
		b = append(b, "..."...)
	}
	return append(b, '"')
}
