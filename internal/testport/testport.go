// Package testport picks loopback TCP ports for tests that must name a
// listening address before the process that listens on it starts (a
// configuration file for a daemon started by the test).
//
// A port taken with bind(":0") and closed again comes from the kernel's
// ephemeral range, the range every outgoing connection of every process
// on the machine takes its source port from: between the pick and the
// daemon's bind, any connection made meanwhile (other test packages run
// at the same time) may hold it, and the daemon's bind fails. Free picks
// below that range instead, where no outgoing connection goes, checks
// that the port can be bound, and never gives the same port twice in one
// test binary.
package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
)

// lowest is the lowest port Free picks.
const lowest = 10000

var (
	mu    sync.Mutex
	given = map[int]bool{}
)

// Free returns "127.0.0.1:PORT" with PORT free now, below the ephemeral
// range (from ip_local_port_range; 32768 when it cannot be read), and not
// returned before by this process. It is safe for concurrent use.
func Free(t testing.TB) string {
	t.Helper()
	high := ephemeralLow()
	mu.Lock()
	defer mu.Unlock()
	for range 1000 {
		p := lowest
		if high > lowest+1 {
			p = lowest + rand.IntN(high-lowest)
		}
		if given[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		given[p] = true
		return l.Addr().String()
	}
	t.Fatal("testport: no free port below the ephemeral range in 1000 tries")
	return ""
}

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil || lo <= lowest {
		return 32768
	}
	return lo
}
