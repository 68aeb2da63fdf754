package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadCommandSocket: the client's reading of a file sees only
// command_socket: it agrees with Load on good files, ignores errors
// elsewhere, and reports errors in the key itself at their position.
func TestReadCommandSocket(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.toml")
	cases := []struct {
		name, text string
		want       string // the socket, relative to dir; "" when an error is expected
		err        string // part of the error
	}{
		{"default", "log_level = \"info\"\n", "sluice.sock", ""},
		{"relative", "command_socket = \"run/x.sock\"\n", "run/x.sock", ""},
		{"absolute", "command_socket = \"/tmp/abs.sock\"\n", "/tmp/abs.sock", ""},
		{"other keys bad", "log_level = \"loud\"\ncolour = 1\ncommand_socket = \"a.sock\"\n[[listeners]]\naddress = 7\n", "a.sock", ""},
		{"syntax error after the key", "command_socket = \"a.sock\"\nx = \n", "a.sock", ""},
		{"syntax error in a table, no key", "x = 1\n[[listeners]]\nprotocol = \n", "sluice.sock", ""},
		{"syntax error in the first header, no key", "x = 1\n[[listeners]\n", "", "s.toml:2:"},
		{"a table's command_socket is another key", "[t]\ncommand_socket = 3\n", "sluice.sock", ""},
		{"not a string", "command_socket = 7\n", "", "s.toml:1:18: command_socket: expected a string, found an integer"},
		{"empty", "command_socket = \"\"\n", "", "s.toml:1:18: command_socket: empty path"},
		{"twice", "command_socket = \"a\"\ncommand_socket = \"b\"\n", "", "s.toml:2:1: command_socket: key \"command_socket\" is already defined"},
		{"dotted", "command_socket.x = \"b\"\n", "", "s.toml:1:1: command_socket:"},
		{"syntax error before the key", "x = \ncommand_socket = \"a\"\n", "", "s.toml:1:"},
		{"too long", "command_socket = \"" + strings.Repeat("x", 120) + "\"\n", "", "too long for a unix socket"},
	}
	for _, c := range cases {
		if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadCommandSocket(file)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %q, %v; want an error with %q", c.name, got, err, c.err)
			}
			continue
		}
		want := c.want
		if !filepath.IsAbs(want) {
			want = filepath.Join(dir, want)
		}
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, want)
		}
		if cfg, err := Load(file); err == nil && cfg.CommandSocket != got {
			t.Errorf("%s: Load says %q", c.name, cfg.CommandSocket)
		}
	}
	if _, err := ReadCommandSocket(filepath.Join(dir, "none.toml")); err == nil {
		t.Error("a missing file: no error")
	}
}
