package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluiceproxy/sluice/order"
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

// ReadState reads and checks a state file written by save_state, of any
// version from order.MinStateVersion to order.StateVersion (older ones
// load through the same orders: see order.StateVersion).
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
	if st.Version < order.MinStateVersion || st.Version > order.StateVersion {
		return nil, &order.FieldError{Field: "path", Reason: fmt.Sprintf("%s has state version %d; this proxy reads versions %d to %d",
			path, st.Version, order.MinStateVersion, order.StateVersion)}
	}
	return &st, nil
}

// loadState applies a state file as one batch, all or nothing (see
// applyAll): every order is validated, answer templates and certificates
// included, and every socket opened, before anything changes.
func (p *proxy) loadState(path string) error {
	st, err := ReadState(path)
	if err != nil {
		return err
	}
	if err := p.applyAll(st.Orders()); err != nil {
		return fmt.Errorf("load_state: %s: %w", path, err)
	}
	return nil
}
