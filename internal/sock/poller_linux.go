//go:build linux

package sock

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pollerSys is the epoll set of a Poller, itself watched by the runtime's
// network poller (an epoll set is readable while it has events).
type pollerSys struct {
	epfd int
	file *os.File
	rc   syscall.RawConn
}

// NewPoller starts a Poller.
func NewPoller() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sock: epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("sock: set non-blocking: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "sock-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sock: %w", err)
	}
	p := &Poller{sys: pollerSys{epfd: epfd, file: f, rc: rc}, done: make(chan struct{})}
	p.kick = func() { _ = f.SetReadDeadline(time.Now().Add(Tick)) }
	go p.loop()
	return p, nil
}

// add watches c's socket for readability, edge-triggered, under key. A
// socket readable already is reported at once.
func (s *pollerSys) add(c *Conn, key uint64) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET}
	ev.Fd, ev.Pad = int32(uint32(key)), int32(uint32(key>>32))
	var e syscall.Errno
	cerr := c.rc.Control(func(fd uintptr) {
		_, _, e = syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(s.epfd), unix.EPOLL_CTL_ADD, fd,
			uintptr(unsafe.Pointer(&ev)), 0, 0)
	})
	if cerr != nil {
		return cerr
	}
	if e != 0 {
		return fmt.Errorf("sock: epoll_ctl add: %w", e)
	}
	return nil
}

// epollWait is epoll_pwait(2) with no timeout as a raw call: a system call
// made through the scheduler (entersyscall) would also wake the runtime's
// monitor thread from its sleep, a context switch per batch on a quiet
// processor.
func epollWait(epfd uintptr, events []unix.EpollEvent) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, epfd, uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	return int(r), e
}

// close ends the loop's wait; the loop then returns.
func (s *pollerSys) close() { s.file.Close() }

// loop reads the epoll set's events in the order the kernel reports them
// and dispatches them, and checks deadlines every Tick while some wait
// has one.
func (p *Poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	keys := make([]uint64, len(events))
	read := func(fd uintptr) bool {
		for {
			n, e := epollWait(fd, events)
			if e == syscall.EINTR {
				continue
			}
			if e != 0 || n <= 0 {
				return e != 0 // nothing left: wait for the next edge
			}
			for i, ev := range events[:n] {
				keys[i] = uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			}
			p.dispatch(keys[:n])
			if n < len(events) {
				return false
			}
		}
	}
	for {
		err := p.sys.rc.Read(read)
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return // closed
		}
		now := time.Now()
		p.expire(now)
		if p.timed.Load() == 0 {
			_ = p.sys.file.SetReadDeadline(time.Time{})
			// A wait that began meanwhile may have kicked before the
			// line above: look again.
		}
		if p.timed.Load() > 0 {
			_ = p.sys.file.SetReadDeadline(now.Add(Tick))
		}
	}
}
