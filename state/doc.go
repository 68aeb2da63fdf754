// Package state holds a proxy's configuration — listeners, clusters,
// frontends, backends and certificates — and applies orders to it.
//
// A State is the source of truth for what the proxy should be doing: the
// proxy's loop owns one, checks each order against it ([State.Check]),
// performs the side effects that can fail (binding a socket), then applies
// the order ([State.Apply]) and publishes the runtime structures derived from
// it. An order that fails Check changes nothing.
//
// Referential rules:
//   - a frontend names an existing listener of its protocol and, unless it
//     denies, an existing cluster of the matching protocol;
//   - a backend names an existing cluster;
//   - removing a listener removes its frontends and certificates;
//   - removing a cluster removes its frontends and backends (requests in
//     flight finish; new requests to those frontends get 404).
//
// Adding an object identical to an existing one is a no-op that succeeds;
// adding a different object under an existing key is an error, except for
// clusters, where AddCluster updates the settings.
//
// A State is not safe for concurrent use; its owner serialises access.
package state
