//go:build !unix

package backend

import "net"

// probe is a no-op where the socket cannot be peeked at: a dead pooled
// connection is then found by the request that uses it.
type probe struct{}

func newProbe(net.Conn) *probe { return &probe{} }

func (*probe) alive() bool { return true }
