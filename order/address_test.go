package order_test

import (
	"strings"
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

func TestAddresses(t *testing.T) {
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	for _, c := range []struct {
		addr              string
		listener, backend bool
	}{
		{"127.0.0.1:8080", true, true},
		{"[::1]:8080", true, true},
		{"0.0.0.0:80", true, true},
		{"localhost:8080", true, true},
		{"shop-1.internal.:3000", true, true},
		{"my_service:80", true, true},
		{long + ":1", true, true},
		{":8080", true, false},
		{"localhost", false, false},
		{"localhost:0", false, false},
		{"localhost:65536", false, false},
		{"local host:80", false, false},
		{"-x:80", false, false},
		{"x-:80", false, false},
		{"a..b:80", false, false},
		{"1.2.3.4.5:80", false, false},
		{"300.1.1.1:80", false, false},
		{long + "d:1", false, false},
		{"héllo:80", false, false},
		{"", false, false},
	} {
		if err := order.ValidateAddress("a", c.addr); (err == nil) != c.listener {
			t.Errorf("listener %q: %v", c.addr, err)
		}
		if err := order.ValidateBackendAddress("a", c.addr); (err == nil) != c.backend {
			t.Errorf("backend %q: %v", c.addr, err)
		}
	}
}
