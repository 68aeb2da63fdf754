package handover

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sluiceproxy/sluice/listener"
)

// Offer is what the old process hands over. Its descriptors travel with
// it: one per socket of Sockets in order, then the command socket's, then
// the old process's stderr.
type Offer struct {
	// PID is the old process's id.
	PID int `json:"pid"`
	// Deadline is when the old process gives up (Unix milliseconds): the
	// new one has until then to say Ready, and to get Commit.
	Deadline int64 `json:"deadline"`
	// State is the configuration (order.State as dump_state gives it,
	// private keys included).
	State json.RawMessage `json:"state"`
	// Sockets are the listening TCP sockets: the live ones under their
	// listener's address key, and the service manager's kept ones.
	Sockets []listener.Socket `json:"sockets"`
	// CommandSocket is the path of the command socket.
	CommandSocket string `json:"command_socket"`
}

// Received is an offer with its descriptors as files, owned by the
// receiver.
type Received struct {
	Offer
	// Sockets has one file for each of Offer.Sockets.
	Sockets []*os.File
	// Command is the listening command socket.
	Command *os.File
	// Stderr is where the old process writes its logs: the new one makes
	// it its own stderr once it serves.
	Stderr *os.File
}

// Close closes the files not taken (nil ones are skipped).
func (r *Received) Close() {
	for _, f := range append(r.Sockets, r.Command, r.Stderr) {
		if f != nil {
			f.Close()
		}
	}
}

// SendOffer sends the offer with its descriptors (sockets, the command
// socket, stderr), which stay the caller's.
func (c *Conn) SendOffer(o Offer, sockets []int, command, stderr int) error {
	if len(sockets) != len(o.Sockets) {
		return fmt.Errorf("handover: %d sockets described, %d descriptors", len(o.Sockets), len(sockets))
	}
	all := append(append([]int{}, sockets...), command, stderr)
	return c.send(message{Type: offer, Offer: &o}, all)
}

// ReceiveOffer waits until deadline for the offer and checks it: a state,
// a command socket path, one descriptor per socket plus two.
func (c *Conn) ReceiveOffer(deadline time.Time) (*Received, error) {
	m, got, err := c.receive(deadline)
	if err != nil {
		return nil, err
	}
	bad := func(e error) (*Received, error) {
		closeFDs(got)
		return nil, e
	}
	switch {
	case m.Type != offer:
		return bad(fmt.Errorf("handover: expected the offer, got %q", m.Type))
	case m.Offer == nil:
		return bad(errors.New("handover: an offer without its content"))
	case len(m.Offer.State) == 0 || string(m.Offer.State) == "null":
		return bad(errors.New("handover: an offer without a state"))
	case m.Offer.CommandSocket == "":
		return bad(errors.New("handover: an offer without the command socket's path"))
	case len(got) != len(m.Offer.Sockets)+2:
		return bad(fmt.Errorf("handover: the offer describes %d sockets and came with %d descriptors; want %d (and the command socket and stderr)",
			len(m.Offer.Sockets), len(got), len(m.Offer.Sockets)+2))
	}
	r := &Received{Offer: *m.Offer}
	for i, fd := range got[:len(m.Offer.Sockets)] {
		name := m.Offer.Sockets[i].Address
		if name == "" {
			name = m.Offer.Sockets[i].Name
		}
		r.Sockets = append(r.Sockets, os.NewFile(uintptr(fd), name))
	}
	n := len(m.Offer.Sockets)
	r.Command = os.NewFile(uintptr(got[n]), m.Offer.CommandSocket)
	r.Stderr = os.NewFile(uintptr(got[n+1]), "stderr")
	return r, nil
}
