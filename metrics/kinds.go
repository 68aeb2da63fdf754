package metrics

// NumClasses is the number of HTTP status classes counted: 1xx to 5xx.
const NumClasses = 5

// Responses counts responses by status class: index 0 counts 1xx, index 4
// counts 5xx.
type Responses [NumClasses]Counter

// Inc counts one response of the given HTTP status code. Codes outside
// 100–599 (which the HTTP parser refuses) are not counted.
func (r *Responses) Inc(status int) {
	if c := uint(status/100) - 1; c < NumClasses {
		r[c].Inc()
	}
}

// classNames are the export labels of the status classes.
var classNames = [NumClasses]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// ClientError is a kind of error on the client side of a listener.
type ClientError uint8

// The client error kinds.
const (
	// ClientParse is a request the proxy could not parse or refused for its
	// form or size (answered 400, 413, 414, 431, ...).
	ClientParse ClientError = iota
	// ClientTimeout is a client that stayed silent past a timeout (request
	// or front timeout) in the middle of an exchange.
	ClientTimeout
	// ClientReset is a client that closed or reset its connection in the
	// middle of an exchange.
	ClientReset
	// ClientTLS is a TLS error on an established TLS connection (a bad
	// record, an unexpected alert). Failed handshakes are counted by
	// Listener.TLSHandshakeFailures only.
	ClientTLS
	// NumClientErrors is the number of client error kinds.
	NumClientErrors
)

// clientErrorNames are the export labels of the client error kinds.
var clientErrorNames = [NumClientErrors]string{"parse", "timeout", "reset", "tls"}

// BackendError is a kind of error on the backend side of a cluster.
type BackendError uint8

// The backend error kinds.
const (
	// BackendConnect is a failed connect to a backend (refused, unreachable,
	// or past the connect timeout).
	BackendConnect BackendError = iota
	// BackendTimeout is a backend that stayed silent past the back timeout
	// while a response was awaited or streamed.
	BackendTimeout
	// BackendReset is a backend connection closed or reset before its
	// response was complete.
	BackendReset
	// BackendParse is a response the proxy could not parse (answered 502).
	BackendParse
	// BackendTLS is a failed TLS handshake with a backend of a cluster
	// that speaks TLS to its backends (a certificate that does not verify,
	// a client certificate refused...).
	BackendTLS
	// NumBackendErrors is the number of backend error kinds.
	NumBackendErrors
)

// backendErrorNames are the export labels of the backend error kinds.
var backendErrorNames = [NumBackendErrors]string{"connect", "timeout", "reset", "parse", "tls"}

// String is the kind's export label (connect, timeout, reset, parse, tls),
// also written in access log lines.
func (k BackendError) String() string {
	if k < NumBackendErrors {
		return backendErrorNames[k]
	}
	return "unknown"
}
