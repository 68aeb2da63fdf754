// Package tcp serves client connections of tcp listeners: each connection
// is sent to a backend of the listener's cluster and its bytes are relayed
// both ways until both directions end.
//
// A connection is served by [Serve] in the goroutine the listener started
// for it, plus one more while the relay runs (package internal/pipe). In
// order, a session:
//
//  1. reads the client's PROXY protocol header, when the listener expects
//     one, within the listener's request timeout (package
//     internal/proxyproto; a missing or malformed header closes the
//     connection and is logged);
//  2. takes the listener's cluster (none: the connection is closed): the
//     default route, or, when the listener has server-name routes, the
//     route of the server name (SNI) in the client's ClientHello, read
//     without terminating TLS (package internal/sni, within the request
//     timeout, at most 16 KiB, kept for replay; see peek.go and
//     routes.go); then picks a backend with the cluster's load
//     balancing, trying up to three backends when connects fail;
//  3. writes a PROXY protocol v2 header to the backend when the cluster
//     sends one: the client's own header relayed (addresses and TLVs kept)
//     when one came in, else one naming the client's address; then the
//     ClientHello bytes read to route, if any;
//  4. relays bytes with splice(2) between the two *net.TCPConn (no wrapper
//     is put around either), honouring half-closes, with the listener's
//     front timeout on the client side and back timeout on the backend
//     side;
//  5. writes its access log line when the proxy keeps one (Env.AccessLog):
//     accepted at, routed where, bytes each way, durations and how it
//     ended (see accesslog.Conn), however early it ended (accesslog.go).
//
// Routing state is read from immutable snapshots: the listener's cluster
// is an atomic pointer swapped by the proxy, so removing the frontend or
// the listener only affects new connections; connections in flight keep
// their backend until they end, even when it is removed from its cluster.
package tcp
