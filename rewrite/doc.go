// Package rewrite holds the configured rewrites of a request on its way
// through the proxy (issue 16): templates with captures from a frontend's
// hostname and path rule, the redirect policy that turns them into a
// Location, host and path rewrites, and header edits (set, add, delete)
// of requests and responses, per frontend and per cluster.
//
// Every setting is compiled once, when its frontend or cluster is added
// (the state checks it the same way before accepting the order), into an
// immutable value the routing table's route or the cluster's settings
// hold: a request never parses a template. Rendering appends into the
// exchange's own buffers and allocates nothing, except the captures of a
// regex (hostname or path), which Go's regexp returns in a new slice.
//
// What a header edit may name is not decided here: the exchange's header
// table (exchange/headers.go) lists the fields the proxy writes itself,
// and exchange.CheckEdits refuses edits of them.
package rewrite
