// Package command implements the daemon's command socket: a [Server] that
// takes orders over a unix stream socket and a [Client] that sends them. The
// CLI ("sluice cluster add ...") is a client; the running proxy is the server.
//
// # Protocol
//
// The socket carries newline-delimited JSON in both directions. Each line a
// client writes is one [order.Request]:
//
//	{"id":"c1","kind":"add_cluster","order":{"id":"shop","protocol":"http"}}
//
// and the server answers each request with zero or more "processing"
// responses followed by exactly one final response, "ok" or "error", each an
// [order.Response] on its own line carrying the request's id:
//
//	{"id":"c1","status":"ok"}
//
// Requests on one connection are handled one after the other, in the order
// they were written; a client may write several lines without waiting
// (pipelining) and reads the answers in the same order. Many connections are
// served at once.
//
// The id is the client's: it is echoed, never checked. A missing id is
// allowed and echoed as "". A client that pipelines should use distinct ids.
//
// # Bad input
//
// Bad input never closes the connection. A line that is not JSON, names an
// unknown kind, has an unknown or mistyped field, or is longer than
// [Server.MaxLineBytes] (1 MiB by default; the newline is not counted) gets
// one error response and the next line is read as usual. The error's id is
// the line's "id" when it can still be read from the line, otherwise "". An
// over-long line is discarded up to its newline without being kept in
// memory. A blank line (only spaces, tabs or a carriage return) is ignored
// and gets no answer, so an operator typing by hand may press Enter freely.
// A last line without a newline is handled when the client closes or
// half-closes its side.
//
// The server decodes a request but does not validate the order: the
// [Handler] does (the proxy checks every order it applies).
//
// # Closing
//
// When a client half-closes (shuts down its writing side) the server answers
// every line already sent, then closes the connection. When a client goes
// away entirely, the context of the running handler is cancelled. A client
// that does not read its answers for [Server.WriteTimeout] is disconnected.
// When the server closes, running handlers are cancelled, their final
// answers are still written, and orders pipelined behind them are dropped.
//
// # Streams
//
// A handler may send any number of processing responses before its final
// one. A future "events" order uses this: its handler streams one processing
// response per event until the client disconnects (its context ends), and
// [Client.Do] delivers them to its onProgress callback until the caller
// cancels the context.
//
// docs/command-protocol.md has complete examples and how to talk to the
// socket by hand with socat or nc.
package command
