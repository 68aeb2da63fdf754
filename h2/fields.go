package h2

import "github.com/sluiceproxy/sluice/internal/h1"

// The rules of RFC 9113 §8.2 and §8.3 on a request's fields, applied to
// each decoded field as it comes (onField) and to the pseudo-header
// fields once the block is whole (checkPseudo).

// checkPseudo applies RFC 9113 §8.3.1's rules on the request
// pseudo-header fields: :method always; :scheme and a non-empty :path
// except for CONNECT, which has :authority and neither of them; and RFC
// 8441 §4's: :protocol only with CONNECT (an extended CONNECT), which then
// has :scheme, a non-empty :path and :authority.
func (h *headerBlock) checkPseudo(st *stream) bool {
	if h.pseudo&pseudoMethod == 0 {
		return false
	}
	all := pseudoScheme | pseudoPath | pseudoAuthority
	switch connect := string(st.span(st.method)) == "CONNECT"; {
	case connect && h.pseudo&pseudoProtocol != 0:
		return h.pseudo&all == all && st.path.b > st.path.a
	case connect:
		return h.pseudo&pseudoAuthority != 0 && h.pseudo&(pseudoScheme|pseudoPath) == 0
	case h.pseudo&pseudoProtocol != 0:
		return false
	}
	return h.pseudo&(pseudoScheme|pseudoPath) == pseudoScheme|pseudoPath && st.path.b > st.path.a
}

// onField takes one decoded field of the block in progress.
func (c *conn) onField(name, value []byte) {
	h := &c.hd
	h.size += len(name) + len(value) + 32
	if h.size > c.lim.MaxHeaderBlock {
		h.tooBig = true // decoded on, for the HPACK state; not kept
		return
	}
	if h.malformed {
		return
	}
	if len(name) == 0 {
		h.malformed = true
		return
	}
	st := h.st
	if name[0] == ':' {
		var bit uint8
		switch string(name) {
		case ":method":
			bit = pseudoMethod
		case ":scheme":
			bit = pseudoScheme
		case ":path":
			bit = pseudoPath
		case ":authority":
			bit = pseudoAuthority
		case ":protocol":
			bit = pseudoProtocol
		}
		if bit == 0 || h.trailers || h.regular || h.pseudo&bit != 0 || !plainValue(value) {
			h.malformed = true
			return
		}
		h.pseudo |= bit
		if st != nil {
			sp := st.add(value)
			switch bit {
			case pseudoMethod:
				st.method = sp
			case pseudoScheme:
				st.scheme = sp
			case pseudoPath:
				st.path = sp
			case pseudoAuthority:
				st.authority, st.hasAuthority = sp, true
			case pseudoProtocol:
				st.protocol = sp
			}
		}
		return
	}
	h.regular = true
	nb := name
	var ns span
	if st != nil {
		ns = st.add(name)
		nb = st.span(ns)
	}
	if !lowerToken(nb) || !plainValue(value) {
		h.malformed = true
		return
	}
	k := h1.ClassifyHeader(nb)
	if k.HopByHop() && (k != h1.HeaderTE || string(value) != "trailers") {
		h.connSpec = true
		return
	}
	if st == nil {
		return
	}
	vs := st.add(value)
	st.raw = append(st.raw, rawField{name: ns, value: vs, kind: k})
	if k == h1.HeaderContentLength {
		if st.ncl++; st.ncl == 1 {
			if n, ok := h1.ContentLength(st.span(vs)); ok {
				st.cl = n
			}
		} else {
			st.cl = -1 // refused by the worker; nothing to enforce
		}
	}
}

// lowerToken reports a field name of token characters without upper case
// letters (RFC 9113 §8.2.1).
func lowerToken(b []byte) bool {
	for _, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			return false
		}
	}
	return h1.ValidFieldName(b)
}

// plainValue reports a field value without NUL, CR or LF, which RFC 9113
// §8.2.1 makes malformed; the rest of HTTP/1.1's value grammar is applied
// to the request (400).
func plainValue(v []byte) bool {
	for i := 0; i < len(v); i++ {
		if ch := v[i]; ch == 0 || ch == '\r' || ch == '\n' {
			return false
		}
	}
	return true
}
