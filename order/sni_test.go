package order_test

import (
	"testing"

	"github.com/sluiceproxy/sluice/order"
)

// TestNormalizeSNI: accepted server names and their normal form, refused
// ones with the field named.
func TestNormalizeSNI(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"A.Test":          "a.test",
		"a.test.":         "a.test",
		"*.Example.COM":   "*.example.com",
		"x_y-1.example":   "x_y-1.example",
		"localhost":       "localhost",
		"*.b.example.com": "*.b.example.com",
	} {
		got, err := order.NormalizeSNI("frontend.hostname", in)
		if err != nil || got != want {
			t.Errorf("NormalizeSNI(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	long := ""
	for len(long) < 260 {
		long += "abcdefghi."
	}
	for _, in := range []string{"*", "*.", ".", "a..b", "a.*.b", "a*.b", "a.test:443", "[::1]", "::1", "a b", "é.test",
		long, "x." + string(make([]byte, 64))} {
		_, err := order.NormalizeSNI("frontend.hostname", in)
		fe, ok := err.(*order.FieldError)
		if !ok || fe.Field != "frontend.hostname" {
			t.Errorf("NormalizeSNI(%q) = %v; want a frontend.hostname error", in, err)
		}
	}
	f := order.TCPFrontend{Address: "127.0.0.1:9", Hostname: "*", ClusterID: "c"}
	if err := f.Validate(); err == nil {
		t.Error("tcp frontend with hostname \"*\" accepted")
	}
	if err := (order.RemoveTCPFrontend{TCPFrontend: f}).Validate(); err == nil {
		t.Error("remove_tcp_frontend with hostname \"*\" accepted")
	}
}
