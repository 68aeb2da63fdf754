package fleet_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: every
// test stops its instances, its etcd and its clients.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
