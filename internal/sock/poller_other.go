//go:build !linux

package sock

// pollerSys has nothing where there is no epoll.
type pollerSys struct{}

// NewPoller reports ErrUnsupported where there is no epoll.
func NewPoller() (*Poller, error) { return nil, ErrUnsupported }

func (s *pollerSys) add(c *Conn, key uint64) error { return ErrUnsupported }

func (s *pollerSys) close() {}

func (p *Poller) loop() { close(p.done) }
