// Package fleet makes Sluice follow etcd: many instances watch one key
// prefix and each keeps its running configuration equal to what etcd
// holds (see docs/fleet.md).
//
// The pure half turns a set of keys and values into the orders that build
// the configuration they describe (Desired, under a documented key
// layout: Layout) and back (Encode); it is tested without etcd. The
// Follower is the half that talks to etcd: it reads the prefix, watches it
// from the revision it has, and hands each revision's configuration to an
// Apply function as one batch (the daemon's applies it as a reload: the
// proxy applies state.Diff(running, desired) all or nothing). A revision
// whose values are bad is refused whole and the last good configuration
// keeps serving. The Registrar publishes the instance under a lease, and
// Push writes a whole configuration in one compare-and-swap transaction.
package fleet
