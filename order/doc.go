// Package order defines the messages that drive a Sluice proxy: the orders
// (changes and queries) a caller sends, and the responses the proxy returns.
//
// Every order travels inside a [Request] that carries a caller-chosen id; the
// proxy answers each request with one or more [Response] values carrying the
// same id. A response's status is [StatusOK], [StatusError] (the order changed
// nothing; Message names the field and the reason) or [StatusProcessing] (the
// order was accepted and a final response follows).
//
// The same types are used by the library's channel API and, encoded as JSON,
// by the daemon's command socket: there is one definition, not a second copy
// for the wire. A Request encodes as
//
//	{"id": "ID_ABCD", "kind": "add_cluster", "order": {"id": "shop", ...}}
//
// where kind names the order type (see [Kind]) and order holds its fields.
//
// Orders validate their own fields (syntax: an address that parses, a known
// load-balancing name) through their Validate method; whether they fit the
// current state (a frontend naming a listener that exists) is checked by the
// state package when the order is applied.
package order
