package h2client_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: every test
// closes the connections, streams and servers it opens.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
