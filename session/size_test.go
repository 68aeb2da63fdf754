package session

import (
	"testing"
	"unsafe"
)

// TestSessionSize keeps a Session in the allocator's 1024-byte size class
// (the next one up is 1152 bytes). The Session is the largest object a
// parked keep-alive connection keeps: about half of its live heap in a
// heap profile of 10 000 idle connections. bench/README.md measures the
// whole cost per idle connection against a 4 KiB budget.
func TestSessionSize(t *testing.T) {
	const max = 1024
	if n := unsafe.Sizeof(Session{}); n > max {
		t.Fatalf("Session is %d bytes, over the %d-byte size class a parked connection should cost; "+
			"move per-exchange state into the pooled heads, or fill padding", n, max)
	}
}
