// Package systemd speaks the two protocols a service manager offers a
// daemon, written from their documentation (sd_notify(3),
// sd_listen_fds(3)) with the standard library alone: readiness
// notification (Notify: READY=1, RELOADING=1, STOPPING=1, MAINPID=, over
// the unix datagram socket named by $NOTIFY_SOCKET) and socket activation
// (Listeners: the sockets passed as descriptors 3 and up, described by
// $LISTEN_PID, $LISTEN_FDS and $LISTEN_FDNAMES). Both do nothing when the
// variables are unset, so a daemon calls them unconditionally.
package systemd

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Notify sends state, newline-separated KEY=VALUE assignments such as
// "READY=1", to the service manager at $NOTIFY_SOCKET: a path, or an
// abstract socket name starting with '@'. It returns nil without sending
// when the variable is unset. The variable is left set: a process that
// replaces this one (sluice upgrade) notifies the same manager.
func Notify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] != '/' && path[0] != '@' {
		return fmt.Errorf("systemd: NOTIFY_SOCKET=%q is neither a path nor an abstract socket (@name)", path)
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("systemd: notify: %w", err)
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("systemd: notify: %w", err)
	}
	return nil
}

// Reloading is the RELOADING=1 message, with the MONOTONIC_USEC= that
// systemd 253 and later ask of it (Type=notify-reload).
func Reloading() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "RELOADING=1"
	}
	return "RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(ts.Nano()/1e3, 10)
}

// Socket is one socket the service manager passed.
type Socket struct {
	// Name is its FileDescriptorName= (systemd.socket(5)), "" when the
	// manager gave none or "unknown".
	Name string
	File *os.File
}

// firstFD is SD_LISTEN_FDS_START: the first descriptor passed.
const firstFD = 3

// Listeners returns the sockets passed by socket activation, when
// $LISTEN_PID is this process, and unsets the three variables (so that
// no process started later takes them for its own). The descriptors get
// close-on-exec. It returns nil when nothing was passed.
func Listeners() ([]Socket, error) {
	defer func() {
		os.Unsetenv("LISTEN_PID")
		os.Unsetenv("LISTEN_FDS")
		os.Unsetenv("LISTEN_FDNAMES")
	}()
	return listeners(os.Getenv, os.Getpid())
}

// listeners is Listeners with the environment and the pid given.
func listeners(getenv func(string) string, pid int) ([]Socket, error) {
	p, n := getenv("LISTEN_PID"), getenv("LISTEN_FDS")
	if p == "" && n == "" {
		return nil, nil
	}
	lp, err := strconv.Atoi(p)
	if err != nil {
		return nil, fmt.Errorf("systemd: LISTEN_PID=%q is not a process id", p)
	}
	if lp != pid {
		return nil, nil // meant for another process (ours started it)
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 0 || count > 1<<16 {
		return nil, fmt.Errorf("systemd: LISTEN_FDS=%q is not a number of descriptors", n)
	}
	var names []string
	if v := getenv("LISTEN_FDNAMES"); v != "" {
		names = strings.Split(v, ":")
		if len(names) != count {
			return nil, fmt.Errorf("systemd: LISTEN_FDNAMES names %d sockets, LISTEN_FDS=%d", len(names), count)
		}
	}
	out := make([]Socket, 0, count)
	for i := 0; i < count; i++ {
		fd := firstFD + i
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			for _, s := range out {
				s.File.Close()
			}
			return nil, fmt.Errorf("systemd: LISTEN_FDS=%d but descriptor %d: %w", count, fd, err)
		}
		syscall.CloseOnExec(fd)
		s := Socket{}
		if names != nil && names[i] != "unknown" {
			s.Name = names[i]
		}
		name := s.Name
		if name == "" {
			name = "LISTEN_FDS #" + strconv.Itoa(i)
		}
		s.File = os.NewFile(uintptr(fd), name)
		out = append(out, s)
	}
	return out, nil
}
