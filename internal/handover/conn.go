package handover

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// EnvFD is the environment variable that gives the new process the
// descriptor of its end of the handover socket.
const EnvFD = "SLUICE_HANDOVER_FD"

// MaxMessageBytes bounds one message (the state of a large configuration
// fits easily).
const MaxMessageBytes = 256 << 20

// maxFDsPerMessage stays under the kernel's SCM_MAX_FD (253).
const maxFDsPerMessage = 200

// The steps.
const (
	Ready   = "ready"   // new → old: sockets adopted, state applied
	Commit  = "commit"  // old → new: accept and serve
	Serving = "serving" // new → old: accepting and serving the command socket
	failed  = "failed"  // new → old: it stops, with its error
	offer   = "offer"   // old → new
	fds     = "fds"     // descriptors ahead of the message that names them
)

// message is the envelope of every message.
type message struct {
	Type string `json:"type"`
	// FDs is the number of descriptors sent with this message.
	FDs   int    `json:"fds,omitempty"`
	Offer *Offer `json:"offer,omitempty"`
	Error string `json:"error,omitempty"`
}

// Conn is one end of a handover socket. Its methods are for one goroutine.
type Conn struct {
	c       *net.UnixConn
	buf     []byte // bytes read and not yet consumed
	pending []int  // descriptors received and not yet given out
}

// Spawn starts cmd with the new process's end of a handover socket pair
// (added to cmd.ExtraFiles, its number in EnvFD added to cmd.Env, which
// defaults to this process's environment) and returns this process's end.
func Spawn(cmd *exec.Cmd) (*Conn, error) {
	syscall.ForkLock.RLock() // no process started meanwhile inherits the pair
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(pair[0])
		unix.CloseOnExec(pair[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("handover: socket pair: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(pair[0]), "handover"), os.NewFile(uintptr(pair[1]), "handover")
	defer theirs.Close()
	c, err := newConn(mine)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, theirs)
	cmd.Env = append(cmd.Env, EnvFD+"="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	if err := cmd.Start(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// FromEnv returns the new process's end of the handover socket named by
// EnvFD, and unsets it; nil and no error when it is not set (no upgrade).
func FromEnv() (*Conn, error) {
	v, ok := os.LookupEnv(EnvFD)
	if !ok {
		return nil, nil
	}
	os.Unsetenv(EnvFD)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("handover: %s=%q is not a descriptor", EnvFD, v)
	}
	unix.CloseOnExec(fd)
	return newConn(os.NewFile(uintptr(fd), "handover"))
}

func newConn(f *os.File) (*Conn, error) {
	defer f.Close()
	nc, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("handover: %w", err)
	}
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("handover: descriptor %s is not a unix socket", f.Name())
	}
	return &Conn{c: uc}, nil
}

// Close closes the socket and the descriptors received and not given out.
func (c *Conn) Close() error {
	closeFDs(c.pending)
	c.pending = nil
	return c.c.Close()
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// Send sends a step without content (Ready, Commit, Serving).
func (c *Conn) Send(step string) error { return c.send(message{Type: step}, nil) }

// Fail tells the old process that this one stops, and why.
func (c *Conn) Fail(err error) error { return c.send(message{Type: failed, Error: err.Error()}, nil) }

// Expect waits until deadline for the step, and returns an error for
// anything else: the peer's own error when it failed, or that it went
// away.
func (c *Conn) Expect(step string, deadline time.Time) error {
	m, got, err := c.receive(deadline)
	closeFDs(got)
	switch {
	case err != nil:
		return err
	case m.Type == failed:
		return &PeerError{Msg: m.Error}
	case m.Type != step:
		return fmt.Errorf("handover: expected %q, got %q", step, m.Type)
	case len(got) > 0:
		return fmt.Errorf("handover: %q came with %d descriptors", step, len(got))
	}
	return nil
}

// ErrTimeout is the error of a step that did not come before its deadline.
var ErrTimeout = errors.New("handover: no answer before the deadline")

// PeerError is the error the other process said it failed with.
type PeerError struct{ Msg string }

func (e *PeerError) Error() string { return e.Msg }

// send writes m with descriptors: those past maxFDsPerMessage go ahead in
// "fds" messages.
func (c *Conn) send(m message, fds0 []int) error {
	for len(fds0) > maxFDsPerMessage {
		if err := c.write(message{Type: fds, FDs: maxFDsPerMessage}, fds0[:maxFDsPerMessage]); err != nil {
			return err
		}
		fds0 = fds0[maxFDsPerMessage:]
	}
	m.FDs = len(fds0)
	return c.write(m, fds0)
}

func (c *Conn) write(m message, fds []int) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("handover: %w", err)
	}
	if len(body) > MaxMessageBytes {
		return fmt.Errorf("handover: a %s message of %d bytes; at most %d", m.Type, len(body), MaxMessageBytes)
	}
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body)))
	frame = append(frame, body...)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	_ = c.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	n, _, err := c.c.WriteMsgUnix(frame, oob, nil)
	if err != nil {
		return fmt.Errorf("handover: sending %s: %w", m.Type, err)
	}
	if n < len(frame) {
		if _, err := c.c.Write(frame[n:]); err != nil {
			return fmt.Errorf("handover: sending %s: %w", m.Type, err)
		}
	}
	return nil
}

// receive reads the next message that is not "fds" and the descriptors
// that came for it (and with the "fds" messages before it).
func (c *Conn) receive(deadline time.Time) (message, []int, error) {
	_ = c.c.SetReadDeadline(deadline)
	var got []int
	for {
		m, err := c.next()
		if err != nil {
			closeFDs(got)
			return message{}, nil, err
		}
		if m.FDs < 0 || m.FDs > len(c.pending) {
			closeFDs(got)
			return message{}, nil, fmt.Errorf("handover: a %q message announces %d descriptors, %d came", m.Type, m.FDs, len(c.pending))
		}
		got = append(got, c.pending[:m.FDs]...)
		c.pending = c.pending[m.FDs:]
		if m.Type != fds {
			return m, got, nil
		}
	}
}

// next reads one message.
func (c *Conn) next() (message, error) {
	if err := c.fill(4); err != nil {
		return message{}, err
	}
	n := binary.BigEndian.Uint32(c.buf)
	if n > MaxMessageBytes {
		return message{}, fmt.Errorf("handover: the peer announces a message of %d bytes; at most %d (not a Sluice handover?)", n, MaxMessageBytes)
	}
	if err := c.fill(4 + int(n)); err != nil {
		return message{}, err
	}
	body := c.buf[4 : 4+n]
	var m message
	err := json.Unmarshal(body, &m)
	c.buf = c.buf[4+n:]
	if err != nil {
		return message{}, fmt.Errorf("handover: the peer sent something that is not a handover message: %w", err)
	}
	if m.Type == "" {
		return message{}, errors.New("handover: a message without a type")
	}
	return m, nil
}

// fill reads until c.buf holds n bytes, keeping the descriptors that come.
func (c *Conn) fill(n int) error {
	oob := make([]byte, unix.CmsgSpace(4*253))
	for len(c.buf) < n {
		chunk := make([]byte, max(n-len(c.buf), 64<<10))
		k, oobn, flags, _, err := c.c.ReadMsgUnix(chunk, oob)
		if oobn > 0 {
			if perr := c.keep(oob[:oobn]); perr != nil {
				return perr
			}
		}
		if flags&unix.MSG_CTRUNC != 0 {
			return errors.New("handover: descriptors were lost (control message truncated)")
		}
		if k > 0 {
			c.buf = append(c.buf, chunk[:k]...)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("handover: the peer closed the handover socket")
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return ErrTimeout
			}
			return fmt.Errorf("handover: %w", err)
		}
		if k == 0 && oobn == 0 {
			return errors.New("handover: the peer closed the handover socket")
		}
	}
	return nil
}

// keep parses the SCM_RIGHTS of oob into c.pending.
func (c *Conn) keep(oob []byte) error {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return fmt.Errorf("handover: control message: %w", err)
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
		}
		c.pending = append(c.pending, fds...)
	}
	return nil
}
