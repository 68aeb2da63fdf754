package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestExample runs the seed's example end to end and checks what it prints:
// three acknowledgements, then the origin's answer through the proxy.
func TestExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"HTTP -> {ID:ID_CLUSTER Status:ok",
		"HTTP -> {ID:ID_ABCD Status:ok",
		"HTTP -> {ID:ID_EFGH Status:ok",
		"GET http://example.com/hello -> 200 OK: hello from the origin, you asked for example.com/hello",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
