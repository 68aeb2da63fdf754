package h2

// HPACK encoding of response heads (RFC 7541), the part without state
// that is a response's own: :status (the literals, integers, static names
// and content-length are internal/hpack's, shared with the HTTP/2
// client). The dynamic table is the encoder's (hpackenc.go): a
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
