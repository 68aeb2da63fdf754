package config

import (
	"slices"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestSNIFrontends: tcp frontends with a hostname reach the orders with
// it (as written: the state normalises), beside the default route.
func TestSNIFrontends(t *testing.T) {
	cfg, err := Load(writeConfig(t, `[[listeners]]
protocol = "tcp"
address = "127.0.0.1:9443"
[clusters.a]
protocol = "tcp"
frontends = [ { address = "127.0.0.1:9443", hostname = "A.test" }, { address = "127.0.0.1:9443", hostname = "*.b.test" } ]
[clusters.other]
protocol = "tcp"
frontends = [ { address = "127.0.0.1:9443" } ]
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []order.TCPFrontend
	for _, o := range cfg.Orders {
		if f, ok := o.(order.AddTCPFrontend); ok {
			got = append(got, f.TCPFrontend)
		}
	}
	want := []order.TCPFrontend{
		{Address: "127.0.0.1:9443", Hostname: "A.test", ClusterID: "a"},
		{Address: "127.0.0.1:9443", Hostname: "*.b.test", ClusterID: "a"},
		{Address: "127.0.0.1:9443", ClusterID: "other"},
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("orders lack %+v; got %+v", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d tcp frontends, want %d", len(got), len(want))
	}
}
