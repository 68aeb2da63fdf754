package command

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// maxSocketPath is the longest socket path bind accepts on Linux (108 bytes
// of sun_path, NUL included).
const maxSocketPath = 107

// probeTimeout bounds the check of whether a live server answers on an
// existing socket.
const probeTimeout = 2 * time.Second

// Listen creates the command socket at path with mode 0600 and returns a
// server ready to [Server.Serve].
//
// If path exists and is a socket nothing accepts on (a stale socket left by
// a proxy that died), it is replaced. If a server answers on it, Listen fails
// with an error saying another proxy is running there. Any other file at
// path is an error and is left alone.
//
// The socket is made in a private directory (mode 0700) next to path,
// restricted to 0600, then hard-linked to path, so it is never reachable
// with looser permissions and never replaces a file created meanwhile. A
// socket path is at most 107 bytes; the temporary one is up to 20 bytes
// longer than its directory, which must leave room for it.
func Listen(path string) (*Server, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("command: socket path %s is too long (%d bytes; at most %d)", path, len(path), maxSocketPath)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(path), ".sluice")
	if err != nil {
		return nil, fmt.Errorf("command: creating the socket %s: %w", path, err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "s")
	if len(tmp) > maxSocketPath {
		return nil, fmt.Errorf("command: socket path %s is too long (%d bytes; keep it under %d)",
			path, len(path), len(path)-(len(tmp)-maxSocketPath))
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("command: creating the socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // the temporary name goes with tmpDir; path is Close's
	fail := func(err error) (*Server, error) {
		ln.Close()
		return nil, err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail(fmt.Errorf("command: creating the socket %s: %w", path, err))
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fail(fmt.Errorf("command: %s was created by someone else while the proxy was starting", path))
		}
		return fail(fmt.Errorf("command: creating the socket %s: %w", path, err))
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fail(fmt.Errorf("command: creating the socket %s: %w", path, err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{path: path, info: info, ln: ln, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}, nil
}

// removeStale leaves path free for a new socket: it does nothing if path
// does not exist, removes a socket nothing accepts on, and refuses anything
// else.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("command: checking %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("command: %s exists and is not a socket; not replacing it", path)
	}
	c, err := net.DialTimeout("unix", path, probeTimeout)
	if err == nil {
		c.Close()
		return fmt.Errorf("command: another proxy is running on %s (its command socket answers)", path)
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		// Stale: remove it, unless it was replaced since we looked.
		if again, serr := os.Lstat(path); serr == nil && os.SameFile(fi, again) {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("command: removing the stale socket %s: %w", path, err)
			}
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return nil // removed meanwhile
	default:
		return fmt.Errorf("command: checking whether a proxy answers on %s: %w", path, err)
	}
}
