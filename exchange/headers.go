package exchange

import (
	"fmt"
	"strconv"

	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/order"
)

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
	traced              // W3C Trace Context: forwarded as it is unless the proxy traces (trace.go)
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
	t[h1.HeaderTraceparent] = traced
	t[h1.HeaderTracestate] = traced
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
func (x *Exchange) forwardField(f *h1.Header) bool {
	r := &x.Req
	if fa := requestFate[f.Kind]; fa != keep {
		return fa == traced && x.forwardTraced(f)
	}
	if f.Kind == h1.HeaderOther && r.BridgeWebSocket && isWSKey(f.Name) {
		return false // the stage sends its own key
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

// CheckEdits refuses configured header edits (order.HeaderEdit, of a
// frontend or a cluster) of a field whose fate in the table above is not
// keep: the proxy writes those itself (Host, Content-Length,
// Transfer-Encoding, the forwarding fields, the request id), joins them
// (Cookie) or drops them as hop-by-hop (Connection, Upgrade, TE, ...), so
// an edit could break the framing or contradict the proxy. A host change
// goes through rewrite_host. Pseudo-header names (":path") are not field
// names and are refused by the order's syntax check. field names the
// edits in errors ("frontend.headers").
func CheckEdits(field string, es []order.HeaderEdit) error {
	for i, e := range es {
		table := &requestFate
		if e.Position == order.EditResponse {
			table = &responseFate
		}
		if k := h1.ClassifyHeader([]byte(e.Name)); table[k] != keep {
			return &order.FieldError{Field: field + "[" + strconv.Itoa(i) + "].name",
				Reason: fmt.Sprintf("%q is handled by the proxy itself on the %s (framing, hop-by-hop, forwarding or request id): it cannot be edited%s",
					e.Name, e.Position, hostHint(k))}
		}
	}
	return nil
}

func hostHint(k h1.HeaderKind) string {
	if k == h1.HeaderHost {
		return " (use rewrite_host)"
	}
	return ""
}

// CheckRequestIDName refuses a listener's request_id_header naming a field
// the table gives another fate (Host, framing, hop-by-hop, forwarding
// fields, Cookie): the request id would break it.
func CheckRequestIDName(name string) error {
	if name == "" {
		return nil
	}
	k := h1.ClassifyHeader([]byte(name))
	if k != h1.HeaderSluiceRequestID && (requestFate[k] != keep || responseFate[k] != keep) {
		return &order.FieldError{Field: "listener.request_id_header",
			Reason: fmt.Sprintf("%q is a field the proxy handles itself", name)}
	}
	return nil
}
