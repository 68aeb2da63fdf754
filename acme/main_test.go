package acme_test

import (
	"testing"

	"github.com/sluiceproxy/sluice/internal/pebbletest"
	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind
// (pebble's validation authority keeps one it cannot stop).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction(pebbletest.LeakedGoroutine))
}
