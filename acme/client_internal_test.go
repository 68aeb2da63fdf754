package acme

import (
	"testing"

	"github.com/sluiceproxy/sluice/internal/pebbletest"
	"github.com/sluiceproxy/sluice/internal/testcert"
)

// TestHTTPClientTrustsTheCABundle: the client made from Options.CA
// reaches a directory whose certificate the bundle holds, and refuses one
// signed by anyone else (the system's roots are not added to a bundle).
func TestHTTPClientTrustsTheCABundle(t *testing.T) {
	peb := pebbletest.Start(t, pebbletest.Options{HTTPPort: 1, TLSPort: 1})
	c, err := newHTTPClient(peb.CAPEM)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(peb.Directory)
	if err != nil {
		t.Fatalf("directory with its CA: %v", err)
	}
	resp.Body.Close()
	c.CloseIdleConnections()
	other, err := newHTTPClient(testcert.NewCA().PEM)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := other.Get(peb.Directory); err == nil {
		resp.Body.Close()
		t.Fatal("a directory signed by another CA was trusted")
	}
	other.CloseIdleConnections()
	if _, err := newHTTPClient("not PEM"); err == nil {
		t.Fatal("a bundle without a certificate was taken")
	}
}
