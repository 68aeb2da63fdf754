package h2

// HPACK encoding of response heads (RFC 7541), the parts without state:
// :status, content-length, string literals and integers, and the static
// table's names. The dynamic table is the encoder's (hpackenc.go).
// Strings go as they are, not Huffman-coded, as HAProxy sends them:
// Huffman coding would shorten a typical value by a fifth, at the cost of
// about thirty instructions per byte here and a decoding pass in the
// client, for a few bytes of a TLS record; a repeated field costs one
// byte through the dynamic table.

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
	b = appendInt(b, 0x00, 4, 28)
	b = append(b, byte(len(d)-i))
	return append(b, d[i:]...)
}

// appendString appends a string literal as it is (not Huffman-coded).
func appendString(b, s []byte) []byte {
	return append(appendInt(b, 0x00, 7, len(s)), s...)
}

// appendInt appends an HPACK integer with an n-bit prefix after the bits
// of first (RFC 7541 §5.1).
func appendInt(b []byte, first byte, n uint, v int) []byte {
	max := 1<<n - 1
	if v < max {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(max))
	v -= max
	for v >= 128 {
		b = append(b, byte(v%128)|0x80)
		v /= 128
	}
	return append(b, byte(v))
}

// staticIndex is the first index of name in RFC 7541's static table, 0
// when it is not there. A switch on the string compiles to comparisons
// of lengths and bytes, without hashing the name.
func staticIndex(name []byte) int {
	switch string(name) {
	case ":authority":
		return 1
	case ":method":
		return 2
	case ":path":
		return 4
	case ":scheme":
		return 6
	case ":status":
		return 8
	case "accept-charset":
		return 15
	case "accept-encoding":
		return 16
	case "accept-language":
		return 17
	case "accept-ranges":
		return 18
	case "accept":
		return 19
	case "access-control-allow-origin":
		return 20
	case "age":
		return 21
	case "allow":
		return 22
	case "authorization":
		return 23
	case "cache-control":
		return 24
	case "content-disposition":
		return 25
	case "content-encoding":
		return 26
	case "content-language":
		return 27
	case "content-length":
		return 28
	case "content-location":
		return 29
	case "content-range":
		return 30
	case "content-type":
		return 31
	case "cookie":
		return 32
	case "date":
		return 33
	case "etag":
		return 34
	case "expect":
		return 35
	case "expires":
		return 36
	case "from":
		return 37
	case "host":
		return 38
	case "if-match":
		return 39
	case "if-modified-since":
		return 40
	case "if-none-match":
		return 41
	case "if-range":
		return 42
	case "if-unmodified-since":
		return 43
	case "last-modified":
		return 44
	case "link":
		return 45
	case "location":
		return 46
	case "max-forwards":
		return 47
	case "proxy-authenticate":
		return 48
	case "proxy-authorization":
		return 49
	case "range":
		return 50
	case "referer":
		return 51
	case "refresh":
		return 52
	case "retry-after":
		return 53
	case "server":
		return 54
	case "set-cookie":
		return 55
	case "strict-transport-security":
		return 56
	case "transfer-encoding":
		return 57
	case "user-agent":
		return 58
	case "vary":
		return 59
	case "via":
		return 60
	case "www-authenticate":
		return 61
	}
	return 0
}
