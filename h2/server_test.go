package h2

import (
	"bytes"
	"testing"
	"time"

	"github.com/sluiceproxy/sluice/internal/testwait"
	"golang.org/x/net/http2/hpack"
)

// TestIdleWorkersRetire: the workers a burst of streams leaves waiting end
// within a few periods of retiring once no stream comes, and the
// retiring timer is off while none waits; a later stream is served (by a
// new worker).
func TestIdleWorkersRetire(t *testing.T) {
	ts := startServer(t, testOptions{plain: true, workerIdle: 20 * time.Millisecond})
	cl := ts.dial(t)
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	wave := func(n int) {
		cl.out = cl.out[:0]
		for range n {
			cl.out = headersFrame(cl.out, cl.next, requestBlock(enc, &buf, "bench.test"), true)
			cl.next += 2
		}
		cl.write(cl.out)
		if ended := cl.endings(n); ended != n {
			t.Fatalf("%d of %d streams ended well", ended, n)
		}
	}
	wave(20)
	testwait.For(t, "a worker to wait", func() bool { return ts.s.workers.Idle() > 0 })
	testwait.For(t, "the idle workers to end", func() bool { return ts.s.workers.Idle() == 0 })
	testwait.For(t, "the retiring to stop", func() bool { return !ts.s.retiring.Load() })
	wave(1)
	testwait.For(t, "the retiring to run again", func() bool { return ts.s.retiring.Load() })
}
