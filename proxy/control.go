package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluiceproxy/sluice/order"
	"github.com/sluiceproxy/sluice/state"
)

// control handles the orders about the proxy itself rather than its
// configuration; ok is false for other orders.
func (p *proxy) control(o order.Order) (err error, ok bool) {
	switch o := o.(type) {
	case order.SaveState:
		return p.saveState(o.Path), true
	case order.LoadState:
		return p.loadState(o.Path), true
	case order.SetLogLevel:
		if p.cfg.LogLevel == nil {
			return &order.FieldError{Field: "level", Reason: "this proxy's log level is fixed (Config.LogLevel is nil)"}, true
		}
		p.cfg.LogLevel.Set(ParseLevel(o.Level))
		return nil, true
	case order.Shutdown:
		p.stop = &o
		return nil, true
	case order.SubscribeEvents:
		return &order.FieldError{Field: "kind", Reason: "events are streamed by proxy.Client.Subscribe " +
			"(the command socket's subscribe_events does it)"}, true
	}
	return nil, false
}

// LevelTrace is the level of trace logs, below debug.
const LevelTrace = slog.LevelDebug - 4

// ParseLevel maps trace, debug, info, warn and error to slog levels;
// anything else is info.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "trace":
		return LevelTrace
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// saveState writes the state dump to path through a temporary file in the
// same folder, mode 0600, renamed into place.
func (p *proxy) saveState(path string) error {
	data, err := json.MarshalIndent(p.state.Dump(), "", "  ")
	if err != nil {
		return fmt.Errorf("save_state: encoding: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sluice-state-*")
	if err != nil {
		return &order.FieldError{Field: "path", Reason: err.Error()}
	}
	defer os.Remove(tmp.Name()) // after a successful rename, this fails harmlessly
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(append(data, '\n'))
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return &order.FieldError{Field: "path", Reason: err.Error()}
	}
	return nil
}

// ReadState reads and checks a state file written by save_state.
func ReadState(path string) (*order.State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &order.FieldError{Field: "path", Reason: err.Error()}
	}
	var st order.State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, &order.FieldError{Field: "path", Reason: fmt.Sprintf("%s is not a Sluice state file: %v", path, err)}
	}
	if st.KeysOmitted {
		return nil, &order.FieldError{Field: "path", Reason: fmt.Sprintf("%s is a state dump without its private keys "+
			"(keys_omitted): its certificates cannot be loaded; use a file written by save_state (sluice state save), "+
			"or a dump_state with with_keys (sluice state dump --with-keys)", path)}
	}
	if st.Version != order.StateVersion {
		return nil, &order.FieldError{Field: "path", Reason: fmt.Sprintf("%s has state version %d; this proxy reads version %d", path, st.Version, order.StateVersion)}
	}
	return &st, nil
}

// loadState applies a state file all or nothing: every order is first
// applied to a copy of the configuration, every listener to activate is
// test-bound, and only then are the orders applied for real.
func (p *proxy) loadState(path string) error {
	st, err := ReadState(path)
	if err != nil {
		return err
	}
	orders := st.Orders()
	scratch := state.New()
	for _, o := range p.state.Dump().Orders() {
		if err := scratch.Apply(o); err != nil {
			return fmt.Errorf("load_state: copying the current state: %w", err)
		}
	}
	for i, o := range orders {
		if err := scratch.Apply(o); err != nil {
			return fmt.Errorf("load_state: %s: object %d (%s): %w", path, i+1, o.Kind(), err)
		}
	}
	for i, o := range orders {
		if b, ok := o.(order.AddBackend); ok { // a host name must resolve
			if _, err := p.resolve(b.Address); err != nil {
				return fmt.Errorf("load_state: %s: object %d (%s): %w", path, i+1, o.Kind(), err)
			}
		}
		a, ok := o.(order.ActivateListener)
		if !ok {
			continue
		}
		if rl := p.listeners[a.Address]; rl != nil && rl.acceptor != nil {
			continue
		}
		ln, err := net.Listen("tcp", a.Address)
		if err != nil {
			return &order.FieldError{Field: "listener.address", Reason: fmt.Sprintf("cannot listen: %v", err)}
		}
		ln.Close()
	}
	for i, o := range orders {
		if err := p.apply(o); err != nil {
			return fmt.Errorf("load_state: %s: object %d (%s) failed after the checks passed; the state is partly loaded: %w", path, i+1, o.Kind(), err)
		}
	}
	return nil
}
