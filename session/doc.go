// Package session serves client connections of http listeners: it reads
// requests, routes them, forwards them to a backend of the matched cluster
// and streams the responses back, one exchange after the other on each
// keep-alive connection.
//
// A connection is served by one goroutine (plus one more while a request
// body is uploaded, and one while an upgraded connection is tunnelled).
// Between requests the goroutine parks on the socket holding no buffer: read
// buffers come from a pool when bytes arrive and go back before the next
// wait, so an idle keep-alive connection costs its goroutine stack and its
// socket, nothing more.
//
// Routing state is read from immutable snapshots published by the proxy
// ([Listener.SetRoutes], [backend.Cluster]); a request keeps the snapshot it
// started with, so changes apply to the next request and never disturb an
// exchange in flight.
package session
