package order

import "strings"

// SaveState writes the configuration (as DumpState returns it) to a file,
// mode 0600 since certificates carry private keys. The file is replaced
// atomically.
type SaveState struct {
	Path string `json:"path"`
}

// LoadState applies a saved configuration on top of the current one, all or
// nothing: if any object in the file is invalid or conflicts, nothing
// changes.
type LoadState struct {
	Path string `json:"path"`
}

// Shutdown stops the proxy. A soft shutdown stops accepting, lets
// exchanges in flight finish within the proxy's grace period, then stops; a
// hard one closes every connection at once. The response is sent before the
// proxy stops.
type Shutdown struct {
	Hard bool `json:"hard,omitempty"`
}

// SetLogLevel changes the proxy's log level at runtime: trace, debug, info,
// warn or error.
type SetLogLevel struct {
	Level string `json:"level"`
}

func (SaveState) Kind() Kind   { return "save_state" }
func (LoadState) Kind() Kind   { return "load_state" }
func (Shutdown) Kind() Kind    { return "shutdown" }
func (SetLogLevel) Kind() Kind { return "logging" }

func (o SaveState) Validate() error {
	if o.Path == "" {
		return fieldErr("path", "missing")
	}
	return nil
}

func (o LoadState) Validate() error {
	if o.Path == "" {
		return fieldErr("path", "missing")
	}
	return nil
}

func (Shutdown) Validate() error { return nil }

func (o SetLogLevel) Validate() error {
	switch strings.ToLower(o.Level) {
	case "trace", "debug", "info", "warn", "error":
		return nil
	}
	return fieldErr("level", "%q is not trace, debug, info, warn or error", o.Level)
}

func init() {
	for _, o := range []Order{&SaveState{}, &LoadState{}, &Shutdown{}, &SetLogLevel{}} {
		register(o)
	}
}
