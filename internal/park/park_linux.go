//go:build linux

package park

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

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
	waiters map[Key]waiter
	closed  bool
	// timed holds the deadlines of ParkUntil, earliest first; the loop's
	// wait ends at the first (the epoll file's read deadline). Guarded by
	// mu.
	timed deadlines
	// ctl runs epoll_ctl(op, fd, &ev) into ctlErr; bound once so that
	// Park and Unpark allocate no closure. Guarded by mu.
	ctl    func(fd uintptr)
	op     int
	ev     unix.EpollEvent
	ctlErr error

	done  chan struct{}
	epoch time.Time // origin of the deadlines' offsets (monotonic)
}

// waiter is one parked connection: what to wake, and where its deadline
// sits in timed (-1 for none).
type waiter struct {
	w  Waker
	at int
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
	p := &Poller{epfd: epfd, file: f, rc: rc, next: 1, waiters: map[Key]waiter{}, done: make(chan struct{}),
		epoch: time.Now()}
	p.ctl = func(fd uintptr) { p.ctlErr = unix.EpollCtl(p.epfd, p.op, int(fd), &p.ev) }
	go p.loop()
	return p, nil
}

// Park watches c until it is readable or hung up, then calls w.Wake once in
// a new goroutine. Bytes already waiting count: they wake w at once. The
// caller must not read c until woken or until it has called Unpark.
func (p *Poller) Park(c Conn, w Waker) (Key, error) {
	return p.park(c, w, time.Time{})
}

// ParkUntil is Park with a deadline: if c is not readable by then, w's
// Expire is called (in a new goroutine) instead of its Wake, and the watch
// ends. The Poller keeps the deadlines itself, so a parked connection
// needs no timer of its own.
func (p *Poller) ParkUntil(c Conn, w Expirer, deadline time.Time) (Key, error) {
	return p.park(c, w, deadline)
}

func (p *Poller) park(c Conn, w Waker, deadline time.Time) (Key, error) {
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
	p.waiters[k] = waiter{w: w, at: -1}
	if !deadline.IsZero() {
		p.timed.push(p, k, int64(deadline.Sub(p.epoch)))
		if p.timed.first() == k {
			p.armLocked()
		}
	}
	return k, nil
}

// Unpark stops watching the connection parked under k. A Wake already on
// its way may still run; one that has not been decided will not. If c is
// already closed, the kernel dropped the watch with the descriptor.
func (p *Poller) Unpark(c Conn, k Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forgetLocked(k)
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
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return // closed
		}
		p.expire()
	}
}

// dispatch wakes the waiters of events.
func (p *Poller) dispatch(events []unix.EpollEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range events {
		k := Key(uint32(ev.Fd)) | Key(uint32(ev.Pad))<<32
		if wt, ok := p.waiters[k]; ok {
			p.forgetLocked(k)
			go wt.w.Wake()
		}
	}
}
