package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/sluiceproxy/sluice/order"
)

// control handles the orders about the proxy itself rather than its
// configuration; ok is false for other orders.
func (p *proxy) control(o order.Order, id string) (err error, ok bool) {
	switch o := o.(type) {
	case order.SaveState:
		return p.saveState(o.Path), true
	case order.LoadState:
		return p.loadState(o.Path, id), true
	case order.SetLogLevel:
		if p.cfg.LogLevel == nil {
			return &order.FieldError{Field: "level", Reason: "this proxy's log level is fixed (Config.LogLevel is nil)"}, true
		}
		p.cfg.LogLevel.Set(ParseLevel(o.Level))
		return nil, true
	case order.Shutdown:
		p.stop = &o
		return nil, true
	case order.Upgrade:
		return &order.FieldError{Field: "kind", Reason: "upgrade replaces a daemon's process (sluice start); " +
			"a proxy run as a library has no binary to replace"}, true
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

// saveState writes the state dump to path (see writeState).
func (p *proxy) saveState(path string) error {
	if err := writeState(path, p.state.Dump()); err != nil {
		return &order.FieldError{Field: "path", Reason: err.Error()}
	}
	return nil
}

// ReadState reads and checks a state file written by save_state, of any
// version from order.MinStateVersion to order.StateVersion (older ones
// load through the same orders: see order.StateVersion).
func ReadState(path string) (*order.State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &order.FieldError{Field: "path", Reason: err.Error()}
	}
	st, err := DecodeState(data, path)
	if err != nil {
		return nil, &order.FieldError{Field: "path", Reason: err.Error()}
	}
	return st, nil
}

// DecodeState decodes and checks a state as ReadState does (the state an
// upgrade hands over, say); what names where it comes from, in the
// errors.
func DecodeState(data []byte, what string) (*order.State, error) {
	var st order.State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%s is not a Sluice state file: %v", what, err)
	}
	if st.KeysOmitted {
		return nil, fmt.Errorf("%s is a state dump without its private keys "+
			"(keys_omitted): its certificates cannot be loaded; use a file written by save_state (sluice state save), "+
			"or a dump_state with with_keys (sluice state dump --with-keys)", what)
	}
	if st.Version < order.MinStateVersion || st.Version > order.StateVersion {
		return nil, fmt.Errorf("%s has state version %d; this proxy reads versions %d to %d",
			what, st.Version, order.MinStateVersion, order.StateVersion)
	}
	return &st, nil
}

// loadState applies a state file as one batch, all or nothing (see
// applyAll): every order is validated, answer templates and certificates
// included, and every socket opened, before anything changes.
func (p *proxy) loadState(path, id string) error {
	st, err := ReadState(path)
	if err != nil {
		return err
	}
	orders := st.Orders()
	if err := p.applyAll(orders); err != nil {
		return fmt.Errorf("load_state: %s: %w", path, err)
	}
	p.batchApplied(order.StateLoaded, id, orders)
	return nil
}
