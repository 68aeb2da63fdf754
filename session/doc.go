// Package session is the HTTP/1.1 front: it serves the client connections
// of http listeners (and HTTP/1.1 on https ones). It reads request heads
// with the hand-written parser of internal/h1, hands each request to the
// protocol-neutral pipeline of package exchange, and writes what the
// pipeline gives it as HTTP/1.1: response heads, bodies (chunked framing
// passes through, checked), interim responses, upgrade tunnels. It decides
// only what HTTP/1.1 decides: keep-alive, pipelining, when a connection
// closes.
//
// A connection is served by one goroutine (plus one more while a request
// body is uploaded, and one while an upgraded connection is tunnelled).
// Between requests the goroutine parks on the socket holding no buffer: read
// buffers come from a pool when bytes arrive and go back before the next
// wait, and the exchange state (package exchange's Exchange, with the parsed
// head) lives in a pooled struct taken per request, so an idle keep-alive
// connection costs its socket and its Session, nothing more.
//
// A Session lives as long as its connection; an exchange.Exchange as long as
// one request; Session.loop joins them.
package session
