package testport

import (
	"net"
	"strconv"
	"testing"
)

// TestFree: the ports are distinct, below the ephemeral range, and can be
// listened on.
func TestFree(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		a := Free(t)
		if seen[a] {
			t.Fatalf("%s given twice", a)
		}
		seen[a] = true
		_, p, _ := net.SplitHostPort(a)
		n, _ := strconv.Atoi(p)
		if n < lowest || n >= ephemeralLow() {
			t.Fatalf("%s outside [%d, %d)", a, lowest, ephemeralLow())
		}
	}
	l, err := net.Listen("tcp", Free(t))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}
