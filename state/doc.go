// Package state holds a proxy's configuration — listeners, clusters,
// frontends, backends and certificates — and the rules for changing it.
//
// A [State] is an immutable value. [State.Apply] is a transition function
// in the manner of etcd raft's Step: given an order it returns the next
// State and the [Effect] values that bring the running proxy from one to
// the other (bind a socket, publish a route, add a backend, …), or an
// error and no change. It does no I/O; the proxy executes the effects and
// nothing else (see package proxy). [State.ApplyAll] does the same for a
// batch, all or nothing. [Diff] computes the orders that turn one State
// into another, for reloads; Diff(a, b) applied to a gives b.
//
// Every check that needs no I/O happens in Apply, before any effect
// exists: the order's fields, references, conflicts, answer templates
// (answer.Compile) and certificates (cert.Parse, at the State's clock).
//
// Referential rules:
//   - a frontend names an existing listener of its protocol and, unless it
//     denies, an existing cluster of the matching protocol;
//   - a backend names an existing cluster;
//   - removing a listener removes its frontends and certificates;
//   - removing a cluster removes its frontends and backends (requests in
//     flight finish; new requests to those frontends get 404).
//
// Adding an object identical to an existing one succeeds and changes
// nothing. Adding a different object under an existing key is refused,
// with a message naming the update order (update_listener, update_cluster,
// update_backend, update_http_frontend, …) that changes the existing one
// in place, only in the fields it gives.
//
// A listener's default certificate is one of its certificates, marked
// default: listed, replaced and removed like the others. add_listener
// with a certificate adds it so.
//
// Transcripts in testdata/ show, order by order, the effects and the
// resulting state (transcript_test.go).
package state
