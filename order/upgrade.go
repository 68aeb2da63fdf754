package order

import "time"

// Upgrade replaces the running process by a new one started from Binary,
// without closing a listening socket: the daemon (sluice start) starts the
// new process and hands it every listening socket, the whole state (the
// orders of dump_state, private keys included: they never leave the two
// processes) and the command socket. Once the new process says it serves,
// the old one stops accepting, lets its exchanges and tunnels in flight
// finish (a soft shutdown) and exits. If the new process fails to start
// or to say so within Timeout, it is killed, the old one goes on serving
// as before, and the order is answered an error with the new process's
// last words (its stderr). The answer comes from the old process, after
// the new one serves the command socket. See docs/upgrade.md.
//
// A proxy run as a library (proxy.Run) refuses it: only a daemon has a
// binary to replace.
type Upgrade struct {
	// Binary is the executable to start; empty means the path the
	// running binary was started from (a new version installed there).
	Binary string `json:"binary,omitempty"`
	// Timeout bounds the whole handover; zero means the daemon's
	// upgrade_timeout (default 10s).
	Timeout Duration `json:"timeout,omitempty"`
}

// MaxUpgradeTimeout bounds Upgrade.Timeout.
const MaxUpgradeTimeout = 10 * time.Minute

func (Upgrade) Kind() Kind { return "upgrade" }

func (o Upgrade) Validate() error {
	if o.Timeout < 0 || o.Timeout.D() > MaxUpgradeTimeout {
		return fieldErr("timeout", "%s is not between 0 and %s", o.Timeout, MaxUpgradeTimeout)
	}
	for i := 0; i < len(o.Binary); i++ {
		if o.Binary[i] == 0 {
			return fieldErr("binary", "a path with a NUL byte")
		}
	}
	return nil
}

func init() { register(&Upgrade{}) }
