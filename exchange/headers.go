package exchange

import "github.com/sluiceproxy/sluice/internal/h1"

// The header table: what happens to each kind of field on its way through
// the proxy, in both directions, for every front and every backend
// protocol. It is the one place that decides it; the hop-by-hop kinds
// themselves are listed once, by h1.HeaderKind.HopByHop.

// fate is what the proxy does with a field.
type fate uint8

const (
	keep    fate = iota // forwarded as it is
	drop                // never forwarded (hop-by-hop, or announcing what is not forwarded)
	written             // never forwarded: the proxy writes its own (Host, framing)
	append_             // forwarded with the proxy's value appended (X-Forwarded-For, Forwarded)
	replace             // never forwarded: the proxy sets its own value
	join                // cookies: joined into one field, the sticky cookie left out
)

// requestFate is the fate of a client's field on its way to a backend.
var requestFate = func() (t [h1.NumHeaderKinds]fate) {
	for k := range t {
		if h1.HeaderKind(k).HopByHop() {
			t[k] = drop
		}
	}
	t[h1.HeaderHost] = written
	t[h1.HeaderContentLength] = written
	t[h1.HeaderTransferEncoding] = written
	// Request bodies are re-framed (see upload.go): trailers are not
	// forwarded, so neither is the field announcing them.
	t[h1.HeaderTrailer] = drop
	t[h1.HeaderXForwardedFor] = append_
	t[h1.HeaderForwarded] = append_
	t[h1.HeaderXForwardedProto] = replace
	t[h1.HeaderXForwardedPort] = replace
	t[h1.HeaderSluiceRequestID] = replace
	// The verified client certificate (clientcert.go): a client's own
	// claims are never forwarded.
	t[h1.HeaderClientCertDN] = replace
	t[h1.HeaderClientCertFP] = replace
	t[h1.HeaderCookie] = join
	return t
}()

// responseFate is the fate of a backend's field on its way to a client.
var responseFate = func() (t [h1.NumHeaderKinds]fate) {
	for k := range t {
		if h1.HeaderKind(k).HopByHop() {
			t[k] = drop
		}
	}
	t[h1.HeaderContentLength] = written // from Head.ContentLength, by the front
	t[h1.HeaderSluiceRequestID] = replace
	return t
}()

// forwardField reports whether the client's field f goes to the backend
// as it is (fields of the other fates are written by the stage itself).
func (r *Request) forwardField(f *h1.Header) bool {
	if requestFate[f.Kind] != keep {
		return false
	}
	return f.Kind != h1.HeaderOther || !r.ConnectionListed(f.Name)
}

// forwardResponseField reports whether the field f of a response whose
// fields are fs goes to the client as it is.
func forwardResponseField(f *h1.Header, fs []h1.Header) bool {
	if responseFate[f.Kind] != keep {
		return false
	}
	return f.Kind != h1.HeaderOther || !h1.ConnectionListed(fs, f.Name)
}

// upgradeValue returns the value of the Upgrade field of hs, or nil.
func upgradeValue(hs []h1.Header) []byte {
	for i := range hs {
		if hs[i].Kind == h1.HeaderUpgrade {
			return hs[i].Value
		}
	}
	return nil
}
