package proxy_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/sluiceproxy/sluice/internal/pebbletest"
)

// TestMain fails the package when a test leaves a goroutine behind: every
// test stops its proxy, its origins and its clients' idle connections.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction(pebbletest.LeakedGoroutine))
}
