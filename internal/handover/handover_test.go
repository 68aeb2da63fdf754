package handover

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/sluiceproxy/sluice/listener"
)

func TestMain(m *testing.M) {
	if os.Getenv("HANDOVER_TEST_CHILD") == "1" {
		os.Exit(child())
	}
	goleak.VerifyTestMain(m)
}

// pair returns two connected Conns.
func pair(t *testing.T) (*Conn, *Conn) {
	t.Helper()
	p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newConn(os.NewFile(uintptr(p[0]), "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newConn(os.NewFile(uintptr(p[1]), "b"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// rawFD duplicates c's descriptor.
func rawFD(t *testing.T, f *os.File) int {
	t.Helper()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestOffer: the offer arrives with its sockets, which are the old
// process's (a connection made to one is accepted through the received
// descriptor), the command socket and stderr; the steps follow; no
// descriptor is left open on either side. More sockets than one message
// carries go ahead in "fds" messages.
func TestOffer(t *testing.T) {
	before := openFDs(t)
	old, nw := pair(t)
	const n = maxFDsPerMessage + 5
	var lns []*net.TCPListener
	var socks []listener.Socket
	var fds []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		tl := ln.(*net.TCPListener)
		lns = append(lns, tl)
		f, _ := tl.File()
		fds = append(fds, rawFD(t, f))
		f.Close()
		socks = append(socks, listener.Socket{Address: tl.Addr().String()})
	}
	cmd, err := net.ListenUnix("unix", &net.UnixAddr{Name: t.TempDir() + "/s", Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := cmd.File()
	o := Offer{PID: 7, State: json.RawMessage(`{"version":2}`), Sockets: socks, CommandSocket: "/run/sluice.sock"}
	done := make(chan error, 1)
	go func() {
		done <- old.SendOffer(o, fds, int(cf.Fd()), int(os.Stderr.Fd()))
	}()
	deadline := time.Now().Add(5 * time.Second)
	r, err := nw.ReceiveOffer(deadline)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	cf.Close()
	if r.PID != 7 || string(r.State) != `{"version":2}` || r.CommandSocket != "/run/sluice.sock" || len(r.Sockets) != n {
		t.Fatalf("received %+v", r.Offer)
	}
	// The last socket's descriptor is the listener's socket.
	last := lns[n-1]
	c, err := net.Dial("tcp", last.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	got, err := net.FileListener(r.Sockets[n-1])
	if err != nil {
		t.Fatal(err)
	}
	got.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	a, err := got.Accept()
	if err != nil {
		t.Fatalf("accepting through the received descriptor: %v", err)
	}
	a.Close()
	got.Close()
	r.Close()
	for _, l := range lns {
		l.Close()
	}
	cmd.Close()

	go func() {
		if err := nw.Send(Ready); err != nil {
			done <- err
			return
		}
		done <- nw.Expect(Commit, deadline)
	}()
	if err := old.Expect(Ready, deadline); err != nil {
		t.Fatal(err)
	}
	if err := old.Send(Commit); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	old.Close()
	nw.Close()
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before, %d after", before, after)
	}
}

// TestBadPeer: garbage, a message too long, a wrong step, descriptors
// missing or a peer that goes away: each a clear error, never a panic or
// a descriptor left open.
func TestBadPeer(t *testing.T) {
	before := openFDs(t)
	frame := func(body string) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
	}
	soon := func() time.Time { return time.Now().Add(5 * time.Second) }
	for _, tc := range []struct {
		name, want string
		send       func(c *Conn) error
	}{
		{"garbage", "not a handover message", func(c *Conn) error { _, err := c.c.Write(frame("GET / HTTP/1.1")); return err }},
		{"too long", "at most", func(c *Conn) error { _, err := c.c.Write([]byte{0xff, 0xff, 0xff, 0xff}); return err }},
		{"no type", "without a type", func(c *Conn) error { _, err := c.c.Write(frame(`{"fds":0}`)); return err }},
		{"wrong step", `expected the offer, got "ready"`, func(c *Conn) error { return c.Send(Ready) }},
		{"no state", "without a state", func(c *Conn) error {
			return c.send(message{Type: offer, Offer: &Offer{CommandSocket: "x"}}, nil)
		}},
		{"descriptors missing", "announces 3 descriptors, 0 came", func(c *Conn) error {
			_, err := c.c.Write(frame(`{"type":"offer","fds":3}`))
			return err
		}},
		{"too few descriptors", "came with 1 descriptors", func(c *Conn) error {
			return c.send(message{Type: offer, Offer: &Offer{State: json.RawMessage(`{}`), CommandSocket: "x",
				Sockets: []listener.Socket{{Address: "a"}}}}, []int{int(os.Stderr.Fd())})
		}},
		{"gone", "closed the handover socket", func(c *Conn) error { return c.c.Close() }},
		{"half a message", "closed the handover socket", func(c *Conn) error {
			c.c.Write(frame(`{"type":"offer"}`)[:8])
			return c.c.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, nw := pair(t)
			if err := tc.send(old); err != nil {
				t.Fatal(err)
			}
			r, err := nw.ReceiveOffer(soon())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if r != nil {
				t.Fatal("an offer with the error")
			}
			old.Close()
			nw.Close()
		})
	}
	// A peer that says it failed: its words come back as a PeerError.
	old, nw := pair(t)
	nw.Fail(errors.New("listener 127.0.0.1:80: boom"))
	var pe *PeerError
	if err := old.Expect(Ready, soon()); !errors.As(err, &pe) || pe.Msg != "listener 127.0.0.1:80: boom" {
		t.Fatalf("expect after Fail: %v", err)
	}
	// A peer that says nothing: the deadline.
	if err := old.Expect(Ready, time.Now().Add(50*time.Millisecond)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("silent peer: %v", err)
	}
	old.Close()
	nw.Close()
	if after := openFDs(t); after != before {
		t.Fatalf("%d descriptors open before, %d after", before, after)
	}
}

// TestSpawn: the new process finds its end through EnvFD, gets the offer
// with a socket and answers; the variable is gone from its environment.
func TestSpawn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, _ := ln.(*net.TCPListener).File()
	fd := rawFD(t, f)
	f.Close()
	defer unix.Close(fd)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "HANDOVER_TEST_CHILD=1")
	cmd.Stderr = os.Stderr
	c, err := Spawn(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	o := Offer{PID: os.Getpid(), State: json.RawMessage(`{}`), CommandSocket: "x",
		Sockets: []listener.Socket{{Address: ln.Addr().String()}}}
	if err := c.SendOffer(o, []int{fd}, fd, int(os.Stderr.Fd())); err != nil {
		t.Fatal(err)
	}
	if err := c.Expect(Ready, deadline); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(Commit); err != nil {
		t.Fatal(err)
	}
	var pe *PeerError
	if err := c.Expect(Serving, deadline); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "child done: "+ln.Addr().String()) {
		t.Fatalf("child's last word: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// child is TestSpawn's new process.
func child() int {
	c, err := FromEnv()
	if err != nil || c == nil {
		return 3
	}
	defer c.Close()
	if _, set := os.LookupEnv(EnvFD); set {
		return 4
	}
	r, err := c.ReceiveOffer(time.Now().Add(10 * time.Second))
	if err != nil {
		return 5
	}
	defer r.Close()
	if err := c.Send(Ready); err != nil {
		return 6
	}
	if err := c.Expect(Commit, time.Now().Add(10*time.Second)); err != nil {
		return 7
	}
	c.Fail(errors.New("child done: " + r.Offer.Sockets[0].Address))
	return 0
}
