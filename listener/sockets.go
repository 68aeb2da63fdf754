package listener

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Sockets is where a process's listening TCP sockets are opened, and where
// the sockets it inherited wait to be taken: those of the process it
// replaces (a binary upgrade, see package handover) and those the service
// manager passed (systemd socket activation, LISTEN_FDS). Every listening
// socket of the proxy, and the metrics endpoint's, is opened by
// [Sockets.Listen], so that an upgrade can hand every one over ([Sockets.Dup]).
//
// A nil *Sockets inherits nothing and keeps no list: Listen binds. The
// methods are safe for concurrent use.
type Sockets struct {
	mu    sync.Mutex
	spare []*spare                    // inherited, waiting to be taken
	live  map[*net.TCPListener]Socket // opened by Listen and not forgotten
	gate  chan struct{}               // see Hold; nil when not held
}

// spare is an inherited socket.
type spare struct {
	inherited
	f     *os.File
	local *net.TCPAddr // the address it is bound to
}

type inherited struct {
	// addr is the address key it was handed over under; "" for a socket
	// of the service manager's, matched by its bound address.
	addr string
	// name is its name for the logs (systemd's FileDescriptorName).
	name string
	// kept sockets are the service manager's: it holds them open whatever
	// this process does, so a listener takes a duplicate and the socket
	// stays here for the next listener on its address (a listener
	// deactivated and activated again cannot bind an address the manager
	// holds).
	kept bool
}

// Socket describes a listening socket handed over or inherited.
type Socket struct {
	// Address is the address key of the listener that uses it; "" for a
	// kept socket of the service manager's that no listener uses now.
	Address string `json:"address,omitempty"`
	// Name is the service manager's name of the socket, if any.
	Name string `json:"name,omitempty"`
	// Kept marks a socket of the service manager's (see Sockets).
	Kept bool `json:"kept,omitempty"`
}

// Inherit adds a socket the process received: f must be a listening TCP
// socket; Sockets owns it from now on (also on error, when it is closed).
// A socket with an Address is taken by the listener with that address
// key; one without, by a listener whose address resolves to the socket's
// bound address (an unspecified IP matches an unspecified IP).
func (s *Sockets) Inherit(sock Socket, f *os.File) error {
	ln, err := net.FileListener(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("inherited socket %s: %w", describe(sock, f), err)
	}
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		ln.Close()
		f.Close()
		return fmt.Errorf("inherited socket %s: a %s socket, not a listening TCP socket", describe(sock, f), ln.Addr().Network())
	}
	local := tl.Addr().(*net.TCPAddr)
	tl.Close() // f holds the socket
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spare = append(s.spare, &spare{inherited: inherited{addr: sock.Address, name: sock.Name, kept: sock.Kept}, f: f, local: local})
	return nil
}

func describe(sock Socket, f *os.File) string {
	switch {
	case sock.Address != "":
		return sock.Address
	case sock.Name != "":
		return sock.Name
	}
	return f.Name()
}

// Hold makes the sockets that Listen returns from now on wait before they
// accept, until Release: a process that takes over from another gets
// every socket ready and accepts only once the other has agreed (until
// then the other accepts alone; connections wait in the shared backlog).
func (s *Sockets) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate == nil {
		s.gate = make(chan struct{})
	}
}

// Release ends Hold: the sockets waiting accept.
func (s *Sockets) Release() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// Gate is closed when the sockets Listen returns may accept; nil when they
// may at once.
func (s *Sockets) Gate() <-chan struct{} {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gate
}

// Listen returns a listening socket for addr: an inherited one that
// matches it, else a new one bound to it. It stays on the live list (see
// Dup) until Forget.
func (s *Sockets) Listen(addr string) (*net.TCPListener, error) {
	if s == nil {
		return bind(addr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tl, from, err := s.take(addr)
	if err != nil {
		return nil, err
	}
	if tl == nil {
		if tl, err = bind(addr); err != nil {
			return nil, err
		}
	}
	if s.live == nil {
		s.live = map[*net.TCPListener]Socket{}
	}
	s.live[tl] = Socket{Address: addr, Name: from.name}
	return tl, nil
}

// bind opens a new listening socket whose accepted connections have no
// TCP keep-alive probes (see Listen). Those of an inherited socket have
// Go's default probes (a listener made from a file has no ListenConfig):
// a few system calls more per connection, nothing else.
func bind(addr string) (*net.TCPListener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	return ln.(*net.TCPListener), nil
}

// Forget takes a listener off the live list; its owner closes it.
func (s *Sockets) Forget(tl *net.TCPListener) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, tl)
}

// take returns the inherited socket for addr, or nil when none matches.
// Caller holds s.mu.
func (s *Sockets) take(addr string) (*net.TCPListener, inherited, error) {
	i := s.match(addr)
	if i < 0 {
		return nil, inherited{}, nil
	}
	sp := s.spare[i]
	ln, err := net.FileListener(sp.f) // a duplicate
	if err != nil {
		return nil, inherited{}, fmt.Errorf("inherited socket %s: %w", describe(Socket{Address: sp.addr, Name: sp.name}, sp.f), err)
	}
	if !sp.kept {
		sp.f.Close()
		s.spare = append(s.spare[:i], s.spare[i+1:]...)
	}
	return ln.(*net.TCPListener), sp.inherited, nil
}

// match finds the spare for addr: the one handed over under that address
// key, else one bound to the address addr resolves to.
func (s *Sockets) match(addr string) int {
	for i, sp := range s.spare {
		if sp.addr == addr {
			return i
		}
	}
	want, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return -1
	}
	for i, sp := range s.spare {
		if sp.addr != "" || sp.local.Port != want.Port {
			continue
		}
		unspec := want.IP == nil || want.IP.IsUnspecified()
		if unspec && sp.local.IP.IsUnspecified() || !unspec && want.IP.Equal(sp.local.IP) {
			return i
		}
	}
	return -1
}

// Unclaimed closes the inherited sockets no listener took, except kept
// ones, and returns their descriptions (for a warning).
func (s *Sockets) Unclaimed() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	keep := s.spare[:0]
	for _, sp := range s.spare {
		if sp.kept {
			keep = append(keep, sp)
			continue
		}
		out = append(out, fmt.Sprintf("%s (bound to %s)", describe(Socket{Address: sp.addr, Name: sp.name}, sp.f), sp.local))
		sp.f.Close()
	}
	clear(s.spare[len(keep):])
	s.spare = keep
	return out
}

// Kept lists the service manager's sockets that no listener uses now
// (no live socket is bound to the same address).
func (s *Sockets) Kept() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	used := map[string]bool{}
	for tl := range s.live {
		used[tl.Addr().String()] = true
	}
	var out []string
	for _, sp := range s.spare {
		if sp.kept && !used[sp.local.String()] {
			out = append(out, fmt.Sprintf("%s (bound to %s)", describe(Socket{Name: sp.name}, sp.f), sp.local))
		}
	}
	return out
}

// Dup returns a duplicate descriptor of every live socket (under its
// address key) and of every kept one, for a handover; the caller closes
// them. The sockets themselves are not touched (their non-blocking mode
// included: the duplicates share it).
func (s *Sockets) Dup() (socks []Socket, fds []int, err error) {
	if s == nil {
		return nil, nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(e error) ([]Socket, []int, error) {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, nil, e
	}
	for tl, sock := range s.live {
		fd, err := dupRaw(tl)
		if err != nil {
			return fail(fmt.Errorf("listening socket %s: %w", sock.Address, err))
		}
		socks, fds = append(socks, sock), append(fds, fd)
	}
	for _, sp := range s.spare {
		if !sp.kept {
			continue
		}
		fd, err := dupRaw(sp.f)
		if err != nil {
			return fail(fmt.Errorf("inherited socket %s: %w", sp.name, err))
		}
		socks, fds = append(socks, Socket{Name: sp.name, Kept: true}), append(fds, fd)
	}
	return socks, fds, nil
}

// dupRaw duplicates c's descriptor (close-on-exec) without the blocking
// mode change that os.File.Fd makes.
func dupRaw(c syscall.Conn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	return nfd, derr
}
