package config

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2/unstable"
)

// ReadCommandSocket reads only the command_socket key of the configuration
// file at path and returns the socket's absolute path (default
// "sluice.sock" next to the file): all a client such as `sluice -c FILE
// status` needs to reach a running proxy. The rest of the file is not
// checked, so that an operator whose file went bad can still talk to the
// proxy (`shutdown --hard` included): other keys and their values, unknown
// keys, tables, and a TOML syntax error anywhere after the key (or, when
// the key is absent, after the first table header, below which no
// top-level key can be) are ignored. What keeps the key from being read is
// an error (an *Error with the file, line and column): a value that is not
// a non-empty string, a key defined twice, a socket path too long for a
// unix socket, and a syntax error before the key (or, when the key is
// absent, before the end of the first table header).
func ReadCommandSocket(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", &Error{File: path, Msg: err.Error()}
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return "", &Error{File: path, Msg: err.Error()}
	}
	l := &loader{ps: &problems{file: path}, dir: filepath.Dir(abs)}
	b := &builder{lines: lineStarts(data)}
	b.p.Reset(data)
	var found *value // command_socket's value (b.value copies it out of the parser's nodes, which are reused)
	var at pos       // its key
	for b.p.NextExpression() {
		e := b.p.Expression()
		if e.Kind != unstable.KeyValue {
			break // a table header: the top-level keys are over
		}
		parts := b.key(e.Key())
		if len(parts) == 0 || parts[0].name != "command_socket" {
			continue
		}
		if found != nil || len(parts) > 1 {
			return "", b.errAt(parts[0].at, "command_socket: key %q is already defined", "command_socket").withFile(path)
		}
		at = parts[0].at
		v, verr := b.value(e.Value(), at)
		if verr != nil {
			return "", verr.withFile(path)
		}
		found = v
	}
	if err := b.p.Error(); err != nil && found == nil {
		var pe *unstable.ParserError
		if errors.As(err, &pe) && pe.Highlight != nil {
			return "", b.errAt(b.at(b.p.Range(pe.Highlight)), "%s", pe.Message).withFile(path)
		}
		return "", &Error{File: path, Msg: err.Error()}
	}
	socket := DefaultCommandSocket
	if found != nil {
		if found.kind != kString {
			return "", b.errAt(found.at, "command_socket: expected %s, found %s", kString, found.kind).withFile(path)
		}
		if socket = found.str; socket == "" {
			return "", b.errAt(found.at, "command_socket: empty path").withFile(path)
		}
	}
	socket = l.resolve(socket)
	if len(socket) > maxSocketPath {
		return "", (&Error{Line: at.line, Column: at.col, Msg: "command_socket: " + socket +
			" is too long for a unix socket; set a shorter command_socket"}).withFile(path)
	}
	return socket, nil
}

// withFile sets the file of e and returns it.
func (e *Error) withFile(file string) *Error {
	e.File = file
	return e
}
