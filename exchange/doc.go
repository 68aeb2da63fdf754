// Package exchange is the request pipeline every protocol front shares:
// one HTTP exchange, from a request head a front has parsed to the response
// the front writes, decided and carried out once for HTTP/1.1 and HTTP/2
// alike.
//
// A front (package session for HTTP/1.1, package h2 for HTTP/2) reads a
// request in its protocol, checks it against that protocol's grammar and
// fills a [Request]: a protocol-neutral head whose target is in
// origin-form and whose authority is the one to route by. It then calls
// [Exchange.Serve], which runs the stages in order:
//
//  1. decide ([Decide], pure): the request's fate from the request, the
//     listener's settings and routing table and the TLS certificate:
//     501, 431, 421, 404, 403, the https redirect, 413, or a cluster to
//     forward to (over HTTP/1.1 or HTTP/2, as its backend_protocol
//     says), whether the request may be replayed, and its sticky cookie;
//  2. answer, or pick a backend (sticky first, then balancing) and connect
//     (pooled when the request can be replayed);
//  3. rewrite the head from one header table (upstream.go: hop-by-hop
//     fields dropped, Host and framing written by the proxy, forwarding
//     fields, the request id and, when the proxy traces, its traceparent
//     added: trace.go);
//  4. forward: send the head and the body, read the response, relay
//     interim responses, stream the body back through the front, replay a
//     replayable request once on a fresh connection (replay.go);
//  5. account: the metric sets, the access log line (meter.go) and a
//     sampled request's span (trace.go).
//
// The front renders every response, the backend's and the proxy's own
// answers alike, from one protocol-neutral [Head]; the stage never writes
// a protocol's bytes to a client, and a front never decides anything about
// routing, backends or headers.
//
// An Exchange lives for one request; a front reuses it for the next one.
// Its methods run in the front's goroutine, except the request body
// upload, which runs in a goroutine of the exchange that Serve waits for.
package exchange
