package session

import (
	"testing"
	"unsafe"
)

// TestSessionSize keeps a Session, all a parked keep-alive connection
// keeps of the session (its work goes back to the pool when it parks), in
// the allocator's 224-byte size class (the next one up is 240 bytes).
// bench/README.md measures the whole cost per idle connection.
func TestSessionSize(t *testing.T) {
	const max = 224
	if n := unsafe.Sizeof(Session{}); n > max {
		t.Fatalf("Session is %d bytes, over the %d-byte size class a parked connection should cost; "+
			"move what only a served connection needs into its work, or fill padding", n, max)
	}
}
