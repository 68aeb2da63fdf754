// Package metrics counts what the proxy does and exports the counts.
//
// The data path holds pointers to metric sets ([Listener], [Cluster],
// [Backend]) and counts through their fields: every count is one atomic add
// on a field of the set, takes no lock and allocates nothing. A [Registry]
// names the sets of the objects that exist now (a listener by its address, a
// cluster by its id, a backend by its cluster and backend ids); the proxy
// registers a set when it adds the object and unregisters it when it removes
// it, and counting never touches the registry.
//
// Three exports read the registry: Prometheus text format ([Registry.Handler],
// [Registry.Collector]), statsd over UDP ([Statsd]) and the wire form of the
// metrics order ([Registry.Snapshot]). A removed object's series disappear
// from all three.
//
// Reads are not a consistent snapshot across fields: an export running while
// requests are counted may see a request counted and its response not yet.
// Each single value is exact.
package metrics
