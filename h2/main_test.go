package h2

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: the
// servers end their connections, writers and workers, the origins theirs.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
