package accesslog

import (
	"net/netip"
	"time"
)

// Conn is one connection of a tcp listener, as the proxy knows it when the
// connection ends. Byte slices may be views into the caller's buffers, as
// for [Entry]. The zero value of a field means absent.
type Conn struct {
	// Time is when the connection was accepted.
	Time time.Time
	// ID is the proxy's id of the connection (the shape of a request id).
	ID []byte
	// Client is the client's address: the source announced by the PROXY
	// protocol when the listener expects it, otherwise the peer address.
	Client netip.AddrPort
	// Listener is the address of the listener the connection came to.
	Listener string
	// Cluster is the id of the cluster the connection was routed to, empty
	// when none; Backend the id of the backend it was relayed to, empty
	// when none was reached.
	Cluster, Backend string
	// SNI is the server name of the client's ClientHello, read on a
	// listener with server-name routes (passthrough, TLS is not
	// terminated); empty when none was read.
	SNI []byte
	// BytesIn counts the bytes relayed from the client to the backend
	// (the ClientHello replayed included, PROXY headers not); BytesOut
	// those relayed from the backend to the client.
	BytesIn, BytesOut int64
	// Connect is the time the backend connect took (all attempts), zero
	// when none was made; Total the time from accept to the end.
	Connect, Total time.Duration
	// End is how the connection ended.
	End End
}

// End is how a tcp connection ended.
type End uint8

// The ends of a tcp connection, as written in the end field.
const (
	EndClientClose    End = iota // the client closed first (then the backend), the normal end
	EndBackendClose              // the backend closed first (then the client)
	EndClientTimeout             // the client side was idle for the front timeout
	EndBackendTimeout            // the backend side was idle for the back timeout
	EndClientError               // a read from or write to the client failed (a reset)
	EndBackendError              // a read from or write to the backend failed
	EndStopped                   // the proxy closed it (hard stop)
	EndNoRoute                   // no cluster for it: no frontend, or no route for its server name
	EndNoBackend                 // no backend of the cluster could be reached
	EndRefused                   // refused: max_connections_per_ip reached
	EndProxyHeader               // a PROXY protocol header was expected and missing or malformed
	EndHello                     // the ClientHello to route by could not be read (malformed, too large, silence, close)
	EndSetup                     // writing the PROXY header or the ClientHello to the backend failed
)

var endNames = [...]string{
	EndClientClose:    "client_close",
	EndBackendClose:   "backend_close",
	EndClientTimeout:  "client_timeout",
	EndBackendTimeout: "backend_timeout",
	EndClientError:    "client_error",
	EndBackendError:   "backend_error",
	EndStopped:        "stopped",
	EndNoRoute:        "no_route",
	EndNoBackend:      "no_backend",
	EndRefused:        "refused",
	EndProxyHeader:    "proxy_header",
	EndHello:          "bad_hello",
	EndSetup:          "backend_setup",
}

// String returns the end's name as the log writes it.
func (e End) String() string {
	if int(e) < len(endNames) {
		return endNames[e]
	}
	return "unknown"
}

// appendConnText appends c as one line of the Text format for tcp
// connections (see the package documentation), newline included.
func appendConnText(b []byte, c *Conn) []byte {
	b = appendConnHead(b, c)
	b = append(b, " tcp "...)
	b = appendBare(b, c.SNI, maxName)
	b = append(b, ' ')
	b = appendInt(b, c.BytesIn)
	b = append(b, ' ')
	b = appendInt(b, c.BytesOut)
	for _, d := range [...]time.Duration{c.Total, c.Connect} {
		b = append(b, ' ')
		if d > 0 {
			b = appendMs(b, d)
		} else {
			b = append(b, '-')
		}
	}
	b = append(b, ' ')
	b = append(b, c.End.String()...)
	return append(b, '\n')
}

// appendConnHead appends the fields a tcp line shares with a request's:
// time, id, client, listener, cluster and backend.
func appendConnHead(b []byte, c *Conn) []byte {
	return appendHead(b, c.Time, c.ID, c.Client, c.Listener, c.Cluster, c.Backend)
}

// appendConnJSON appends c as one line of the JSON format for tcp
// connections, newline included.
func appendConnJSON(b []byte, c *Conn) []byte {
	b = append(b, `{"time":`...)
	if c.Time.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = appendTime(b, c.Time)
		b = append(b, '"')
	}
	b = jsonString(append(b, `,"conn_id":`...), c.ID, maxID)
	b = append(b, `,"client":`...)
	if c.Client.IsValid() {
		b = append(c.Client.AppendTo(append(b, '"')), '"')
	} else {
		b = append(b, "null"...)
	}
	b = jsonString(append(b, `,"listener":`...), c.Listener, maxName)
	b = jsonString(append(b, `,"cluster":`...), c.Cluster, maxName)
	b = jsonString(append(b, `,"backend":`...), c.Backend, maxName)
	b = append(b, `,"protocol":"tcp"`...)
	b = jsonString(append(b, `,"sni":`...), c.SNI, maxName)
	b = appendInt(append(b, `,"bytes_in":`...), c.BytesIn)
	b = appendInt(append(b, `,"bytes_out":`...), c.BytesOut)
	b = jsonMs(append(b, `,"total_ms":`...), c.Total)
	b = jsonMs(append(b, `,"connect_ms":`...), c.Connect)
	b = append(append(append(b, `,"end":"`...), c.End.String()...), '"')
	return append(b, '}', '\n')
}

// LogConn formats c into a line and queues it for the writer, like Log:
// it never blocks, drops and counts when the queue is full, and retains
// neither c nor anything it points to.
func (l *Logger) LogConn(c *Conn) {
	if l.off {
		return
	}
	if l.closed.Load() || len(l.queue) == cap(l.queue) {
		l.dropped.Add(1)
		return
	}
	bp := l.pool.Get().(*[]byte)
	if l.format == JSON {
		*bp = appendConnJSON((*bp)[:0], c)
	} else {
		*bp = appendConnText((*bp)[:0], c)
	}
	l.enqueue(bp)
}
