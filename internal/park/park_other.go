//go:build !linux

package park

import "time"

// Poller is not available on this system; New returns ErrUnsupported.
type Poller struct{}

// New returns ErrUnsupported.
func New() (*Poller, error) { return nil, ErrUnsupported }

// Park returns ErrUnsupported.
func (p *Poller) Park(c Conn, w Waker) (Key, error) { return 0, ErrUnsupported }

// ParkUntil returns ErrUnsupported.
func (p *Poller) ParkUntil(c Conn, w Expirer, deadline time.Time) (Key, error) {
	return 0, ErrUnsupported
}

// Unpark does nothing.
func (p *Poller) Unpark(c Conn, k Key) {}

// Parked returns 0.
func (p *Poller) Parked() int { return 0 }

// Close does nothing.
func (p *Poller) Close() {}
