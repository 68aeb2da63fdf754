// Package admin is the admin HTTP API: JSON over HTTP on an admin
// listener (off by default; [admin] address), mapping every order of the
// command socket one to one, an OpenAPI 3 description of itself at
// /api/openapi.json, Server-Sent Events for the event feed and a
// per-second metrics summary, bearer-token authentication with a
// read-only kind, and a seam for the web dashboard: the files served at /
// come from an fs.FS the composition root gives.
//
// There is one implementation of every order: a route turns its path,
// query and body into the order value the command socket would decode
// (through order.Request's own decoder, so the same rules and the same
// messages) and hands it to the same Handler the socket's server calls
// (the daemon's dispatcher, which sends it to the proxy). Nothing here
// validates an order; the answer is the socket's final answer, whose
// order.ErrorCode picks the HTTP status.
//
// Concurrency and ownership: a Server serves one listener; its streams
// (events, metrics) run a goroutine each besides net/http's, owned by the
// stream's request and waited for by Close. A stream's client has a
// bounded buffer; one that does not keep up is disconnected, never waited
// for. docs/admin-api.md is the user's reference.
package admin
