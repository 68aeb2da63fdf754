package h2

import "github.com/sluiceproxy/sluice/internal/hpack"

// HPACK encoding of response heads (RFC 7541), the parts without state
// that are a response's own: :status and content-length (the literals,
// integers and static names are internal/hpack's, shared with the
// HTTP/2 client). The dynamic table is the encoder's (hpackenc.go): a
// repeated field costs one byte through it.

// appendStatus appends :status.
func appendStatus(b []byte, status int) []byte {
	switch status {
	case 200:
		return append(b, 0x80|8)
	case 204:
		return append(b, 0x80|9)
	case 206:
		return append(b, 0x80|10)
	case 304:
		return append(b, 0x80|11)
	case 400:
		return append(b, 0x80|12)
	case 404:
		return append(b, 0x80|13)
	case 500:
		return append(b, 0x80|14)
	}
	if status < 100 || status > 999 {
		status = 500
	}
	return append(b, 8, 3, byte('0'+status/100), byte('0'+status/10%10), byte('0'+status%10))
}

// appendContentLength appends content-length: n.
func appendContentLength(b []byte, n int64) []byte {
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
	b = hpack.AppendInt(b, 0x00, 4, 28)
	b = append(b, byte(len(d)-i))
	return append(b, d[i:]...)
}
