package exchange

import (
	"net"
	"net/netip"

	"github.com/sluiceproxy/sluice/cert"
	"github.com/sluiceproxy/sluice/internal/h1"
	"github.com/sluiceproxy/sluice/internal/proxyproto"
)

// Request is a client's request head as a front hands it to the stage,
// whatever protocol it came by. The front has parsed it and checked it
// against its protocol's grammar (internal/h1's for a request line and its
// fields, the same rules applied to HTTP/2 pseudo-header fields), so every
// slice holds only what HTTP/1.1 allows where it will be written. The
// slices alias the front's buffers, which the upload of the request body
// may reuse: the stage reads them until the body starts to go, and keeps
// what it needs after that (the access log's fields, whether it is HEAD).
type Request struct {
	// Method is a token.
	Method []byte
	// Target is in origin-form ("/path?query"), or "*" (OPTIONS): an
	// absolute-form target has been reduced to it by the front.
	Target []byte
	// Path is Target without its query; "*" for the asterisk-form.
	Path []byte
	// Host is the authority the request is routed by and that goes to the
	// backend as its only Host: the Host field, an absolute-form target's
	// authority, or :authority. Empty only for an HTTP/1.0 request without
	// one.
	Host []byte
	// Fields are the client's fields in order, as sent. The stage decides
	// which go on (Host, framing and hop-by-hop ones never do).
	Fields []h1.Header
	// ContentLength is the declared body length, or -1.
	ContentLength int64
	// Unsized is set when a body of unknown length follows (HTTP/1.1
	// chunked, an HTTP/2 stream without content-length): it goes to an
	// HTTP/1.1 backend chunked.
	Unsized bool
	// Minor is 0 for an HTTP/1.0 client (its request goes on as
	// HTTP/1.0), 1 otherwise.
	Minor int
	// Upgrade is the protocol an HTTP/1.1 client asks to switch to
	// (Connection: upgrade with an Upgrade field, h2c excluded), or nil.
	Upgrade []byte
	// BridgeWebSocket is set with Upgrade "websocket" by a front whose
	// protocol has no WebSocket handshake key (HTTP/2's extended CONNECT,
	// RFC 8441): the stage makes the key and checks the backend's answer
	// to it (websocket.go).
	BridgeWebSocket bool
	// HeadLen is the size of the head as received, for the accounting.
	HeadLen int
}

// HasBody reports whether a body follows the head.
func (r *Request) HasBody() bool { return r.ContentLength > 0 || r.Unsized }

// Expects100 reports an HTTP/1.1 request with "Expect: 100-continue": its
// client may wait for a 100 (Continue) before it sends the body.
func (r *Request) Expects100() bool {
	if r.Minor == 0 {
		return false
	}
	for i := range r.Fields {
		if f := &r.Fields[i]; f.Kind == h1.HeaderExpect && h1.EqualFold(f.Value, "100-continue") {
			return true
		}
	}
	return false
}

// IsHead reports a HEAD request, whose response has no body.
func (r *Request) IsHead() bool { return string(r.Method) == "HEAD" }

// Query returns the target's query, without its '?' (nil when it has
// none).
func (r *Request) Query() []byte {
	if len(r.Target) > len(r.Path)+1 && r.Target[len(r.Path)] == '?' {
		return r.Target[len(r.Path)+1:]
	}
	return nil
}

// NumFields and Field give the router the request's fields (router.Fields),
// for frontends with conditions on them.
func (r *Request) NumFields() int { return len(r.Fields) }

// Field returns the name and value of field i.
func (r *Request) Field(i int) (name, value []byte) { return r.Fields[i].Name, r.Fields[i].Value }

// ConnectionListed reports whether name is a token of the request's
// Connection fields, which makes it hop-by-hop.
func (r *Request) ConnectionListed(name []byte) bool { return h1.ConnectionListed(r.Fields, name) }

// Client is what the stage knows of the connection an exchange came on.
// It lives as long as the connection; the front owns it and fills it
// before its first exchange.
type Client struct {
	// Addr is the client: its PROXY protocol header's source when it
	// sent one with addresses, else the connection's peer.
	Addr netip.AddrPort
	// Conn is the client connection (for the addresses of a PROXY header
	// sent to send_proxy clusters).
	Conn net.Conn
	// ProxyHeader is the client's PROXY protocol header, or nil.
	ProxyHeader *proxyproto.Header
	// Cert is the certificate served on a TLS connection (nil on plain
	// ones): a request for a host it does not cover gets 421.
	Cert *cert.Cert
	// TLSVersion and SNI describe a TLS connection, for the access log.
	TLSVersion uint16
	SNI        string
}
