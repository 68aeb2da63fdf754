package tcp

import (
	"testing"

	"github.com/sluiceproxy/sluice/backend"
	"github.com/sluiceproxy/sluice/order"
)

// TestRoutesMatch: exact names beat wildcards, the longest wildcard suffix
// wins, names compare case-insensitively with one trailing dot ignored,
// and removing a route leaves the table it came from unchanged.
func TestRoutesMatch(t *testing.T) {
	cl := map[string]*backend.Cluster{}
	for _, id := range []string{"a", "wb", "wxb", "def"} {
		cl[id] = backend.NewCluster(&backend.Settings{Cluster: order.Cluster{ID: id, Protocol: order.TCP}}, nil)
	}
	var r *Routes
	if r.SNI() || r.Match([]byte("a.test")) != nil {
		t.Fatal("nil Routes routes")
	}
	r = r.With("", cl["def"])
	if r.SNI() {
		t.Fatal("a default route alone makes the listener peek")
	}
	r = r.With("a.test", cl["a"]).With("*.b.test", cl["wb"]).With("*.x.b.test", cl["wxb"])
	if !r.SNI() || r.Default != cl["def"] {
		t.Fatal("routes lost")
	}
	for name, want := range map[string]string{
		"a.test": "a", "A.TEST": "a", "a.test.": "a",
		"c.b.test": "wb", "d.c.B.Test": "wb", "y.x.b.test": "wxb", "z.y.x.b.test": "wxb",
		"x.b.test": "wb", // *.x.b.test does not take x.b.test itself
		"b.test":   "", "test": "", "": "", "a.test..": "", "aa.test": "", ".": "",
	} {
		got := r.Match([]byte(name))
		if want == "" && got != nil || want != "" && got != cl[want] {
			t.Errorf("Match(%q) = %v, want %q", name, got, want)
		}
	}
	r2 := r.With("*.b.test", nil)
	if r2.Match([]byte("c.b.test")) != nil || r.Match([]byte("c.b.test")) != cl["wb"] {
		t.Error("removing a route changed the old table or kept the route")
	}
	if r2.With("a.test", nil).With("*.x.b.test", nil).SNI() {
		t.Error("no server-name route left, but SNI() is true")
	}
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a'
	}
	if r.Match(long) != nil {
		t.Error("a name over 253 bytes matched")
	}
	allocs := testing.AllocsPerRun(100, func() { r.Match([]byte("Z.Y.x.b.test")) })
	if allocs != 0 {
		t.Errorf("Match allocates %v times", allocs)
	}
}
