package daemon

import (
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// tailBytes is how much of the new process's stderr an upgrade keeps for
// its error.
const tailBytes = 2048

// tail copies what a new process writes to its stderr (a pipe) to this
// process's stderr, keeping the last tailBytes, until the pipe ends: the
// new process exited, or serves and writes to this stderr directly.
type tail struct {
	r    *os.File
	mu   sync.Mutex
	last []byte
	done chan struct{}
}

func newTail(r *os.File, out io.Writer) *tail {
	t := &tail{r: r, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				out.Write(buf[:n])
				t.mu.Lock()
				t.last = append(t.last, buf[:n]...)
				if len(t.last) > tailBytes {
					t.last = append(t.last[:0], t.last[len(t.last)-tailBytes:]...)
				}
				t.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return t
}

// wait waits up to d for the pipe to end.
func (t *tail) wait(d time.Duration) {
	select {
	case <-t.done:
	case <-time.After(d):
	}
}

// close stops reading (a process that inherited the pipe may hold it open)
// and waits for the copying goroutine.
func (t *tail) close() {
	t.r.Close()
	<-t.done
}

// String is the last lines kept, trimmed, the first one cut off if only
// part of it is kept.
func (t *tail) String() string {
	t.mu.Lock()
	s := string(t.last)
	full := len(t.last) < tailBytes
	t.mu.Unlock()
	if !full {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return strings.TrimSpace(s)
}
