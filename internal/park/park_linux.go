//go:build linux

package park

import (
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Poller wakes parked connections. Its methods are safe for concurrent use.
// It owns one goroutine, which Close stops and waits for.
//
// The Poller's epoll descriptor is itself watched by the Go runtime's
// network poller (an epoll set is readable while it has events), so its
// goroutine sleeps like any network read and no thread blocks in
// epoll_wait.
type Poller struct {
	epfd int
	file *os.File // epfd, registered with the runtime's poller
	rc   syscall.RawConn

	mu      sync.Mutex
	next    Key
	waiters map[Key]Waker
	closed  bool
	// ctl runs epoll_ctl(op, fd, &ev) into ctlErr; bound once so that
	// Park and Unpark allocate no closure. Guarded by mu.
	ctl    func(fd uintptr)
	op     int
	ev     unix.EpollEvent
	ctlErr error

	done chan struct{}
}

// New starts a Poller.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("park: epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("park: set non-blocking: %w", err)
	}
	f := os.NewFile(uintptr(epfd), "park-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("park: %w", err)
	}
	p := &Poller{epfd: epfd, file: f, rc: rc, next: 1, waiters: map[Key]Waker{}, done: make(chan struct{})}
	p.ctl = func(fd uintptr) { p.ctlErr = unix.EpollCtl(p.epfd, p.op, int(fd), &p.ev) }
	go p.loop()
	return p, nil
}

// Park watches c until it is readable or hung up, then calls w.Wake once in
// a new goroutine. Bytes already waiting count: they wake w at once. The
// caller must not read c until woken or until it has called Unpark.
func (p *Poller) Park(c Conn, w Waker) (Key, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, ErrClosed
	}
	k := p.next
	p.next++
	p.op = unix.EPOLL_CTL_ADD
	p.ev = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT}
	p.ev.Fd, p.ev.Pad = int32(uint32(k)), int32(uint32(k>>32))
	p.ctlErr = nil
	if err := c.Control(p.ctl); err != nil {
		return 0, fmt.Errorf("park: %w", err)
	}
	if p.ctlErr != nil {
		return 0, fmt.Errorf("park: epoll_ctl add: %w", p.ctlErr)
	}
	p.waiters[k] = w
	return k, nil
}

// Unpark stops watching the connection parked under k. A Wake already on
// its way may still run; one that has not been decided will not. If c is
// already closed, the kernel dropped the watch with the descriptor.
func (p *Poller) Unpark(c Conn, k Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.waiters, k)
	if p.closed {
		return
	}
	p.op, p.ev = unix.EPOLL_CTL_DEL, unix.EpollEvent{}
	_ = c.Control(p.ctl)
}

// Parked is the number of connections parked now.
func (p *Poller) Parked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}

// Close stops the Poller and waits for its goroutine. Connections still
// parked are not woken; their owners close them.
func (p *Poller) Close() {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	p.mu.Unlock()
	if !already {
		p.file.Close() // ends the loop's wait
	}
	<-p.done
}

func (p *Poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 128)
	for {
		err := p.rc.Read(func(fd uintptr) bool {
			for {
				n, err := unix.EpollWait(int(fd), events, 0)
				if err == unix.EINTR {
					continue
				}
				if err != nil || n == 0 {
					return err != nil // nothing left: wait for the next edge
				}
				p.dispatch(events[:n])
			}
		})
		if err != nil {
			return // closed
		}
	}
}

// dispatch wakes the waiters of events.
func (p *Poller) dispatch(events []unix.EpollEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range events {
		k := Key(uint32(ev.Fd)) | Key(uint32(ev.Pad))<<32
		if w, ok := p.waiters[k]; ok {
			delete(p.waiters, k)
			go w.Wake()
		}
	}
}
