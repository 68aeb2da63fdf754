// Package backend holds the runtime side of clusters: the backends of each
// cluster, the choice of a backend for a request (load balancing), and the
// pooled keep-alive connections to each backend.
//
// A [Cluster] is created by the proxy when a cluster is added and lives until
// it is removed. Its settings and its backend list are immutable snapshots
// published through atomic pointers, so the request path picks a backend
// without taking a lock. A [Backend] removed from its cluster keeps serving
// the requests that already hold it; it gets no new ones, its idle pooled
// connections are closed at once, and connections released to it later are
// closed instead of pooled.
package backend
