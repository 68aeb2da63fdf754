package order

// BackendProtocol is the HTTP version an http cluster speaks to its
// backends. The names are HAProxy's and Caddy's where they have one:
// HAProxy's "proto h2" (h2 prior knowledge, over TLS or not) and
// "alpn h2,http/1.1", Caddy's "transport http { versions h2 }" and
// "versions h2c".
type BackendProtocol string

// The backend protocols.
const (
	// HTTP1 is HTTP/1.1 (the default, also the empty string): over TLS
	// with ALPN http/1.1.
	HTTP1 BackendProtocol = "http1"
	// H2 is HTTP/2: over TLS with ALPN h2 (a backend that names no
	// protocol is spoken to in HTTP/2 anyway), without TLS cleartext
	// HTTP/2 with prior knowledge (h2c). Requests of many clients share
	// few connections as streams.
	H2 BackendProtocol = "h2"
	// Auto offers ALPN h2 and http/1.1 and speaks what each backend
	// picks (a backend that names no protocol gets HTTP/1.1). It needs
	// TLS: without it there is nothing to negotiate with.
	Auto BackendProtocol = "auto"
)

// Speaks returns the protocol the cluster speaks to its backends: H2 for
// the earlier http2 = true, HTTP1 for the default.
func (c *Cluster) Speaks() BackendProtocol {
	switch {
	case c.HTTP2 && c.BackendProtocol == "":
		return H2
	case c.BackendProtocol == "":
		return HTTP1
	}
	return c.BackendProtocol
}

// validateBackendProtocol checks backend_protocol against the cluster's
// other settings.
func (c *Cluster) validateBackendProtocol() error {
	const field = "cluster.backend_protocol"
	switch c.BackendProtocol {
	case "", HTTP1, H2, Auto:
	default:
		return fieldErr(field, "%q is not http1, h2 or auto", c.BackendProtocol)
	}
	p := c.Speaks()
	switch {
	case c.HTTP2 && p != H2:
		return fieldErr(field, "http2 = true is backend_protocol h2; %s contradicts it (give one of them)", p)
	case p == HTTP1:
		return nil
	case c.Protocol == TCP:
		return fieldErr(field, "%s is for http clusters; a tcp cluster relays bytes as they come", p)
	case p == Auto && c.TLS == nil:
		return fieldErr(field, "auto chooses by ALPN, which needs tls; use h2 for cleartext HTTP/2 (h2c) or set tls")
	case c.SendProxy:
		return fieldErr(field, "%s with send_proxy: an HTTP/2 connection carries many clients' requests, a PROXY header names one", p)
	}
	return nil
}
